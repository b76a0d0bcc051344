"""`forbedring-bot run` and `invite create` against a local Bot API server.

A small HTTP server on 127.0.0.1 plays Telegram (the fake Bot API's answers),
so the real process is started with a token and TELEGRAM_API_URL, exactly as a
hospital with its own Bot API server would run it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

import pytest

from bot.offline import Call, FakeTelegram

TOKEN = "123456789:AAFakeTokenForTheLocalBotApiServer00"


class LocalBotApi:
    def __init__(self):
        self.fake = FakeTelegram()
        self.paths: list[str] = []
        self.pending_updates: list[dict] = []
        self.lock = threading.Lock()
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                params = {}
                for key, value in parse_qsl(body):
                    try:
                        params[key] = json.loads(value)
                    except ValueError:
                        params[key] = value
                with api.lock:
                    api.paths.append(self.path)
                    method = self.path.rsplit("/", 1)[-1]
                    if method == "getUpdates":
                        updates, api.pending_updates = api.pending_updates, []
                        status, payload = 200, json.dumps({"ok": True, "result": updates}).encode()
                    else:
                        status, payload = api.call(method, params)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def call(self, method, params):
        """Answer as the in-process fake does, from the same code."""
        self.fake.calls.append(Call(method, params))
        handler = getattr(self.fake, f"_api_{method}", None)
        return handler(params) if handler else self.fake._ok(True)

    def close(self):
        self.server.shutdown()


@pytest.fixture
def bot_api():
    api = LocalBotApi()
    yield api
    api.close()


def cli_env(tmp_path, db_url, bot_api):
    env = {k: v for k, v in os.environ.items() if not k.startswith("WEBHOOK")}
    env.update({"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": bot_api.url, "DATABASE_URL": db_url,
                "DATA_DIR": str(tmp_path)})
    return env


def test_invite_link_uses_the_username_from_get_me(tmp_path, db_url, bot_api):
    (tmp_path / "org.csv").write_text("region,trust_code,trust_name,unit_code,unit_name\nHelse Vest,HB,Helse Bergen,MED1,Med 1\n")
    env = cli_env(tmp_path, db_url, bot_api)
    subprocess.run([sys.executable, "-m", "bot", "org", "import", "org.csv"], cwd=tmp_path, env=env, check=True,
                   capture_output=True)
    result = subprocess.run([sys.executable, "-m", "bot", "invite", "create", "--unit", "MED1", "--role", "leader"],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("https://t.me/forbedring_demo_bot?start=")
    assert f"/bot{TOKEN}/getMe" in bot_api.paths


def test_run_polls_answers_and_stops_cleanly(tmp_path, db_url, bot_api):
    bot_api.pending_updates.append({"update_id": 1, "message": {
        "message_id": 1, "date": int(time.time()), "text": "/start",
        "chat": {"id": 4711, "type": "private", "first_name": "Eva"},
        "from": {"id": 4711, "is_bot": False, "first_name": "Eva", "language_code": "nb"},
        "entities": [{"type": "bot_command", "offset": 0, "length": 6}]}})
    process = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=tmp_path,
                               env=cli_env(tmp_path, db_url, bot_api), stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.time() + 60
        while time.time() < deadline and not bot_api.fake.chat(4711):
            time.sleep(0.2)
        assert bot_api.fake.chat(4711), "the bot did not answer"
        assert "trenger du en invitasjonslenke" in bot_api.fake.chat(4711)[0].plain
    finally:
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=60)[0]
    assert process.returncode == 0, output
    assert TOKEN not in output and TOKEN.split(":")[1] not in output
    assert any(p == f"/bot{TOKEN}/deleteWebhook" for p in bot_api.paths)
