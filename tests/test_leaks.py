"""Issue 12, leaks: the token and the webhook secret appear in no output, at any log level.

The real `forbedring-bot` process runs against a Bot API server on 127.0.0.1 that refuses
the token (401), answers 404 (what a wrong TELEGRAM_API_URL path gives with a valid token),
or is not there at all; and against a working one with LOG_LEVEL=DEBUG, polling and webhook.
"""

from __future__ import annotations

import io
import json
import logging
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bot.log_masking import SecretMask
from tests.test_real_runner import TOKEN, LocalBotApi, cli_env

SECRET_PART = TOKEN.split(":")[1]
WEBHOOK_SECRET = "WebhookSecret_0123456789abcdef"


class RefusingBotApi:
    """Answers every call with one HTTP error, as Telegram words it."""

    def __init__(self, status: int, description: str):
        self.paths: list[str] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                api.paths.append(self.path)
                payload = json.dumps({"ok": False, "error_code": status, "description": description}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def no_secret_in(output: str) -> None:
    assert TOKEN not in output and SECRET_PART not in output, output
    assert WEBHOOK_SECRET not in output, output


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip()]


@pytest.mark.parametrize("log_level", [None, "DEBUG"])
@pytest.mark.parametrize("status, description, path", [
    (401, "Unauthorized", ""),           # a revoked or mistyped token
    (404, "Not Found", "/wrong/path"),   # a valid token, but TELEGRAM_API_URL has a wrong path
])
def test_a_refused_token_stops_run_with_one_line_and_no_token(tmp_path, db_url, status, description, path,
                                                              log_level):
    api = RefusingBotApi(status, description)
    try:
        env = cli_env(tmp_path, db_url, api)
        env["TELEGRAM_API_URL"] = api.url + path
        if log_level:
            env["LOG_LEVEL"] = log_level
        result = subprocess.run([sys.executable, "-m", "bot", "run"], cwd=tmp_path, env=env,
                                capture_output=True, text=True, timeout=60)
    finally:
        api.close()
    assert api.paths == [f"{path}/bot{TOKEN}/getMe"]  # it did ask, with the real token
    no_secret_in(result.stdout + result.stderr)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    last = error_lines(result.stderr)[-1]
    assert last.startswith("error: TELEGRAM_BOT_TOKEN was refused by the Bot API at TELEGRAM_API_URL")
    assert description in last
    assert [line for line in error_lines(result.stderr) if "error" in line.lower()] == [last]


def test_invite_create_with_a_refused_token_says_so_without_the_token(tmp_path, db_url):
    api = RefusingBotApi(401, "Unauthorized")
    try:
        result = subprocess.run([sys.executable, "-m", "bot", "invite", "create", "--unit", "MED1", "--role",
                                 "leader"], cwd=tmp_path, env={**cli_env(tmp_path, db_url, api), "LOG_LEVEL": "DEBUG"},
                                capture_output=True, text=True, timeout=60)
    finally:
        api.close()
    no_secret_in(result.stdout + result.stderr)
    assert result.returncode == 2
    assert "TELEGRAM_BOT_TOKEN was refused" in result.stderr and "Traceback" not in result.stderr


def test_an_unreachable_bot_api_stops_run_with_one_line(tmp_path, db_url):
    class Nowhere:
        url = f"http://127.0.0.1:{free_port()}"
    result = subprocess.run([sys.executable, "-m", "bot", "run"], cwd=tmp_path,
                            env={**cli_env(tmp_path, db_url, Nowhere), "LOG_LEVEL": "DEBUG"},
                            capture_output=True, text=True, timeout=60)
    no_secret_in(result.stdout + result.stderr)
    assert result.returncode == 3, result.stderr
    assert error_lines(result.stderr)[-1].startswith("error: the Bot API at TELEGRAM_API_URL")
    assert "Traceback" not in result.stderr


def run_until(env: dict, tmp_path, done) -> str:
    process = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=tmp_path, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.time() + 60
        while time.time() < deadline and not done() and process.poll() is None:
            time.sleep(0.2)
        assert done(), "the bot did not get there"
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=60)[0]
    assert process.returncode == 0, output
    return output


@pytest.fixture
def bot_api():
    api = LocalBotApi()
    yield api
    api.close()


def test_debug_logging_in_polling_mode_shows_no_token(tmp_path, db_url, bot_api):
    bot_api.pending_updates.append({"update_id": 1, "message": {
        "message_id": 1, "date": int(time.time()), "text": "/start",
        "chat": {"id": 4712, "type": "private", "first_name": "Eva"},
        "from": {"id": 4712, "is_bot": False, "first_name": "Eva", "language_code": "nb"},
        "entities": [{"type": "bot_command", "offset": 0, "length": 6}]}})
    env = {**cli_env(tmp_path, db_url, bot_api), "LOG_LEVEL": "debug"}
    output = run_until(env, tmp_path, lambda: bot_api.fake.chat(4712))
    assert " DEBUG " in output  # the level took effect
    no_secret_in(output)


def test_debug_logging_in_webhook_mode_shows_neither_token_nor_secret(tmp_path, db_url, bot_api):
    env = {**cli_env(tmp_path, db_url, bot_api), "LOG_LEVEL": "DEBUG", "WEBHOOK_URL": "https://bot.example.org/tg",
           "WEBHOOK_SECRET": WEBHOOK_SECRET, "WEBHOOK_LISTEN": "127.0.0.1", "WEBHOOK_PORT": str(free_port())}
    output = run_until(env, tmp_path, lambda: any(p.endswith("/setWebhook") for p in bot_api.paths))
    assert " DEBUG " in output
    setwebhook = [c for c in bot_api.fake.calls if c.method == "setWebhook"]
    assert setwebhook[0].params["secret_token"] == WEBHOOK_SECRET  # Telegram got it; the log did not
    no_secret_in(output)


def test_the_mask_covers_message_arguments_and_exception_text():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(SecretMask([TOKEN, SECRET_PART, WEBHOOK_SECRET]))
    logger = logging.getLogger("tests.leaks")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning(f"in the message {TOKEN}")
        logger.warning("in the arguments %s %r", f"/bot{TOKEN}/getMe", {"secret_token": WEBHOOK_SECRET})
        try:
            raise ValueError(f"The token `{TOKEN}` was rejected by the server.")
        except ValueError:
            logger.exception("in the exception")
    finally:
        logger.removeHandler(handler)
    output = stream.getvalue()
    no_secret_in(output)
    assert output.count("***") >= 4 and "was rejected by the server" in output


def test_log_level_is_checked(tmp_path):
    result = subprocess.run([sys.executable, "-m", "bot", "db", "upgrade"], cwd=tmp_path,
                            env={"PATH": "", "LOG_LEVEL": "chatty", "DATA_DIR": str(tmp_path)},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip() == "error: LOG_LEVEL is malformed: use one of DEBUG, INFO, WARNING, ERROR."


# --- Export cells that a spreadsheet would take as formulas (CSV injection) ----------------------------------

FORMULA = '=HYPERLINK("http://x","y")'
TRAPS = [FORMULA, "+47 123", "-1+2", "@SUM(1)", "\tcmd", "\rcmd"]


async def _measures_with(db, titles, unit_code="MED1", trust_code="HB"):
    from datetime import date, datetime, timezone

    from sqlmodel import select

    from storage.models import HealthTrust, Measure, Person, Unit, UnitFollowup

    now = datetime(2026, 5, 1, tzinfo=timezone.utc)
    async with db.session() as session:
        unit = (await session.exec(select(Unit).join(HealthTrust).where(Unit.code == unit_code,
                                                                         HealthTrust.code == trust_code))).one()
        person = Person(telegram_user_id=999_001, name="Rep")
        followup = UnitFollowup(unit_id=unit.id, year=2026)
        session.add_all([person, followup])
        await session.flush()
        session.add_all([Measure(followup_id=followup.id, unit_id=unit.id, year=2026, theme="teamwork",
                                 kind="improve", title=title, description=title, responsible=title,
                                 deadline=date(2026, 9, 1), status="planned", created_by=person.id,
                                 created_at=now, updated_at=now) for title in titles])


async def test_export_writes_formula_like_cells_as_text(harness, db):
    import csv

    from openpyxl import load_workbook

    from datetime import date

    harness.set_today(date(2026, 10, 1))
    await _measures_with(db, TRAPS)
    leader = await harness.member(951, "leader", "Trude", scope="trust", place="HB")
    await leader.send("/export")
    workbook = load_workbook(io.BytesIO(harness.telegram.files[-1][2]))
    sheet = workbook["Measures"]
    header = [c.value for c in sheet[1]]
    cells = [row[header.index(column)] for row in sheet.iter_rows(min_row=2)
             for column in ("title", "what_we_will_do", "responsible")]
    assert len(cells) == 3 * len(TRAPS)
    assert all(cell.data_type == "s" and cell.value.startswith("'") for cell in cells)
    assert sorted({cell.value for cell in cells}) == sorted("'" + t for t in TRAPS)
    # Ordinary cells stay as they were: numbers are numbers, plain text has no quote.
    first = [c.value for c in next(sheet.iter_rows(min_row=2))]
    assert first[header.index("year")] == 2026 and first[header.index("unit_code")] == "MED1"

    await leader.send("/export csv")
    text = harness.telegram.files[-1][2].decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";"))
    assert sorted(r["title"] for r in rows) == sorted("'" + t for t in TRAPS)
    assert all(r["responsible"].startswith("'") for r in rows)


def test_export_from_the_command_line_writes_formula_like_names_as_text(cli, db_url, tmp_path):
    import asyncio
    import csv

    from openpyxl import load_workbook

    from storage.database import Database
    from tests.harness import write

    org = "region;trust_code;trust_name;unit_code;unit_name\nHelse Vest;HB;Helse Bergen;MED1;@SUM(1+1)\n"
    assert cli("org", "import", write(tmp_path, "org.csv", org))[0] == 0

    async def seed():
        db = Database(db_url)
        try:
            await _measures_with(db, [FORMULA])
        finally:
            await db.dispose()
    asyncio.run(seed())
    assert cli("export", "--scope", "trust:HB", "--output", str(tmp_path / "hb.xlsx"))[0] == 0
    workbook = load_workbook(tmp_path / "hb.xlsx")
    measures = workbook["Measures"]
    header = [c.value for c in measures[1]]
    title = measures.cell(row=2, column=header.index("title") + 1)
    assert title.data_type == "s" and title.value == "'" + FORMULA
    unit = workbook["Unit progress"].cell(row=2, column=5)
    assert unit.data_type == "s" and unit.value == "'@SUM(1+1)"
    assert cli("export", "--scope", "trust:HB", "--format", "csv", "--output", str(tmp_path / "hb"))[0] == 0
    text = (tmp_path / "hb-measures.csv").read_text(encoding="utf-8-sig")
    row = next(csv.DictReader(io.StringIO(text, newline=""), delimiter=";"))
    assert row["title"] == "'" + FORMULA and row["unit"] == "'@SUM(1+1)"
