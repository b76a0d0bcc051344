"""Webhook mode: the secret is checked before anything is processed."""

from __future__ import annotations

import asyncio
import json

import pytest
from tornado.httpclient import AsyncHTTPClient, HTTPClientError

from bot.webhook import SECRET_HEADER, WebhookServer

SECRET = "s3cret-Token_for-the-webhook"


def start_update(user_id: int, text: str = "/start") -> bytes:
    return json.dumps({"update_id": 77, "message": {
        "message_id": 1, "date": 0, "text": text,
        "chat": {"id": user_id, "type": "private", "first_name": "W"},
        "from": {"id": user_id, "is_bot": False, "first_name": "W", "language_code": "en"},
        "entities": [{"type": "bot_command", "offset": 0, "length": len(text)}],
    }}).encode()


@pytest.fixture
async def webhook(harness):
    await harness.application.start()
    server = WebhookServer(harness.application, SECRET, "/telegram")
    port = server.start("127.0.0.1", 0)
    yield f"http://127.0.0.1:{port}/telegram"
    await server.stop()
    await harness.application.stop()


async def post(url: str, body: bytes, secret: str | None) -> int:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers[SECRET_HEADER] = secret
    try:
        response = await AsyncHTTPClient().fetch(url, method="POST", body=body, headers=headers)
        return response.code
    except HTTPClientError as error:
        return error.code


@pytest.mark.parametrize("secret", [None, "", "wrong", SECRET + "x", SECRET[:-1]])
async def test_wrong_or_missing_secret_is_refused_and_nothing_processed(harness, webhook, secret):
    assert await post(webhook, start_update(901), secret) == 403
    await asyncio.sleep(0.2)
    assert harness.telegram.chat(901) == []
    assert harness.application.update_queue.empty()


async def test_right_secret_is_processed(harness, webhook):
    assert await post(webhook, start_update(902), SECRET) == 200
    for _ in range(50):
        if harness.telegram.chat(902):
            break
        await asyncio.sleep(0.05)
    assert "you need an invite link" in harness.telegram.chat(902)[0].plain


async def test_garbage_body_is_refused(harness, webhook):
    assert await post(webhook, b"not json", SECRET) == 400


# --- Issue 12: the secret before the body, a size limit, malformed bodies ------------------------------------

async def raw_request(url: str, headers: dict[str, str], body_parts=()) -> bytes:
    """Send the headers (and perhaps some of a body) over a socket; return what the server answers.
    The server must answer without waiting for the rest of the body."""
    from urllib.parse import urlparse

    u = urlparse(url)
    reader, writer = await asyncio.open_connection(u.hostname, u.port)
    head = f"POST {u.path} HTTP/1.1\r\nHost: {u.hostname}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    writer.write(head.encode() + b"\r\n")
    try:
        for part in body_parts:
            writer.write(part)
            await writer.drain()
    except (ConnectionError, OSError):
        pass  # the server closed the connection after refusing: as it should
    try:
        answer = await asyncio.wait_for(reader.read(4096), timeout=10)
    finally:
        writer.close()
    return answer


@pytest.mark.parametrize("secret", [None, "wrong"])
async def test_a_huge_body_without_the_secret_is_refused_before_it_is_sent(harness, webhook, secret):
    headers = {"Content-Type": "application/json", "Content-Length": str(95 * 1024 * 1024)}
    if secret:
        headers[SECRET_HEADER] = secret
    answer = await raw_request(webhook, headers)  # not one byte of the 95 MB is sent
    assert answer.startswith(b"HTTP/1.1 403")


async def test_a_body_over_one_megabyte_is_refused_unread(harness, webhook):
    headers = {"Content-Type": "application/json", "Content-Length": str(1024 * 1024 + 1), SECRET_HEADER: SECRET}
    answer = await raw_request(webhook, headers)
    assert answer.startswith(b"HTTP/1.1 413")
    # The same without a Content-Length (chunked): refused once it passes the limit.
    chunk = b"x" * 65536
    parts = [b"%x\r\n%s\r\n" % (len(chunk), chunk)] * 20
    answer = await raw_request(webhook, {SECRET_HEADER: SECRET, "Transfer-Encoding": "chunked"}, parts)
    assert answer.startswith(b"HTTP/1.1 413")
    assert harness.application.update_queue.empty()


async def test_an_update_just_under_the_limit_is_processed(harness, webhook):
    body = json.loads(start_update(903))
    body["message"]["entities"] = []
    body["message"]["text"] = "x" * (1024 * 1024 - 1000)
    data = json.dumps(body).encode()
    assert len(data) <= 1024 * 1024
    assert await post(webhook, data, SECRET) == 200


@pytest.mark.parametrize("body", [b"null", b"[]", b'"x"', b"1", b"{", b"not json", b"\xff\xfe", b"{}",
                                  b'{"update_id": "1"}', b'{"update_id": 1, "message": "x"}',
                                  b'{"update_id": 1, "message": {"chat": 5}}', b""])
async def test_malformed_bodies_get_400_and_no_traceback(harness, webhook, body, caplog):
    assert await post(webhook, body, SECRET) == 400
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= 40], caplog.text
    assert harness.application.update_queue.empty()
    assert await post(webhook, start_update(904), SECRET) == 200  # the server is still well


def test_a_short_webhook_secret_stops_the_program_with_one_line(cli, monkeypatch):
    monkeypatch.setenv("WEBHOOK_URL", "https://bot.example.no/tg")
    monkeypatch.setenv("WEBHOOK_SECRET", "a")
    code, out, err = cli("db", "upgrade")
    assert code == 2 and out == ""
    assert err.splitlines() == ["error: WEBHOOK_SECRET is too short: use at least 16 characters of A-Z, a-z, 0-9, _ "
                                "and - (e.g. from: python -c 'import secrets; print(secrets.token_urlsafe(32))')."]
    monkeypatch.setenv("WEBHOOK_SECRET", "a" * 15)
    assert cli("db", "upgrade")[0] == 2
    monkeypatch.setenv("WEBHOOK_SECRET", "a" * 16)
    assert cli("db", "upgrade")[0] == 0


async def test_healthz_answers_the_load_balancer_with_the_database_and_the_worker_role(harness, monkeypatch):
    import json

    from bot.leadership import Leadership

    await harness.application.start()
    standby = Leadership(lock=object())  # holds no lock: a standby
    server = WebhookServer(harness.application, SECRET, "/telegram", leadership=standby, worker="host:1:ab")
    port = server.start("127.0.0.1", 0)
    try:
        response = await AsyncHTTPClient().fetch(f"http://127.0.0.1:{port}/healthz")
        assert response.code == 200
        assert json.loads(response.body) == {"database": "ok", "active_worker": False, "worker": "host:1:ab"}
        standby.active = True
        response = await AsyncHTTPClient().fetch(f"http://127.0.0.1:{port}/healthz")
        assert json.loads(response.body)["active_worker"] is True

        async def no_answer(timeout):
            return False

        monkeypatch.setattr(harness.application.bot_data["db"], "answers", no_answer)
        with pytest.raises(HTTPClientError) as refused:
            await AsyncHTTPClient().fetch(f"http://127.0.0.1:{port}/healthz")
        assert refused.value.code == 503 and json.loads(refused.value.response.body)["database"] == "unreachable"
    finally:
        await server.stop()
        await harness.application.stop()


async def test_the_database_answers_check_is_real(db):
    assert await db.answers(timeout=5) is True
    await db.dispose()
    broken = type(db)("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    assert await broken.answers(timeout=3) is False
    await broken.dispose()
