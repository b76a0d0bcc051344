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
