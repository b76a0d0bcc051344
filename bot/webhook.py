"""Webhook mode: a small HTTP server that hands Telegram's updates to the Application.

PTB's own webhook server compares the secret with `!=`; ours uses
`hmac.compare_digest`, answers 403 and processes nothing on a mismatch.
"""

from __future__ import annotations

import hmac
import json
import logging
from urllib.parse import urlparse

import tornado.httpserver
import tornado.netutil
import tornado.web
from telegram import Update
from telegram.ext import Application

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class _UpdateHandler(tornado.web.RequestHandler):
    def initialize(self, bot_application: Application, secret: str) -> None:
        self.bot_application = bot_application
        self.secret = secret.encode()

    async def post(self) -> None:
        given = self.request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self.secret):
            log.warning("webhook: refused a request with a %s secret from %s",
                        "wrong" if given else "missing", self.request.remote_ip)
            self.set_status(403)
            return
        try:
            update = Update.de_json(json.loads(self.request.body), self.bot_application.bot)
        except (ValueError, TypeError, KeyError):
            log.warning("webhook: refused a body that is not an update")
            self.set_status(400)
            return
        await self.bot_application.update_queue.put(update)
        self.set_status(200)

    def log_exception(self, typ, value, tb) -> None:  # keep tornado from printing request details
        log.error("webhook handler failed", exc_info=(typ, value, tb))


def webhook_path(webhook_url: str) -> str:
    return urlparse(webhook_url).path or "/"


class WebhookServer:
    def __init__(self, application: Application, secret: str, path: str = "/"):
        app = tornado.web.Application([(path, _UpdateHandler, {"bot_application": application, "secret": secret})])
        self._server = tornado.httpserver.HTTPServer(app, xheaders=True)
        self.port: int | None = None

    def start(self, listen: str, port: int) -> int:
        """Start listening; returns the port (useful when 0 asked for a free one)."""
        sockets = tornado.netutil.bind_sockets(port, address=listen)
        self._server.add_sockets(sockets)
        self.port = sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        self._server.stop()
        await self._server.close_all_connections()
