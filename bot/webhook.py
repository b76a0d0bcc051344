"""Webhook mode: a small HTTP server that hands Telegram's updates to the Application.

PTB's own webhook server compares the secret with `!=`; ours uses
`hmac.compare_digest`, answers 403 and processes nothing on a mismatch. The secret
and the announced size are checked when the headers have arrived, before any of the
body is read: a body over 1 MB gets 413 unread, and anything that is not an update 400.
`GET /healthz` answers the load balancer (no secret needed, nothing private in it).
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


MAX_BODY = 1024 * 1024  # Telegram's updates are a few kilobytes; more is refused unread (413)


@tornado.web.stream_request_body  # the body arrives in chunks after prepare(): nothing is read before the checks
class _UpdateHandler(tornado.web.RequestHandler):
    def initialize(self, bot_application: Application, secret: str) -> None:
        self.bot_application = bot_application
        self.secret = secret.encode()
        self.chunks: list[bytes] = []
        self.size = 0

    def _refuse(self, status: int, why: str) -> None:
        log.warning("webhook: refused a request from %s: %s", self.request.remote_ip, why)
        self.set_status(status)
        # Finishing before the body is read makes tornado close the connection after the answer
        # instead of reading the rest.
        self.finish()

    def prepare(self) -> None:
        """Only the headers have arrived: the secret first, then the announced size."""
        given = self.request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self.secret):
            self._refuse(403, f"{'wrong' if given else 'missing'} secret")
            return
        length = self.request.headers.get("Content-Length")
        if length is not None and not length.isdigit():
            self._refuse(400, "malformed Content-Length")
        elif length is not None and int(length) > MAX_BODY:
            self._refuse(413, f"a body of {int(length):,} bytes (at most {MAX_BODY:,})")

    def data_received(self, chunk: bytes) -> None:
        if self._finished:
            return  # refused: what still arrives is dropped
        self.size += len(chunk)
        if self.size > MAX_BODY:  # a chunked body that did not say its size
            self.chunks = []
            self._refuse(413, f"a body over {MAX_BODY:,} bytes")
            return
        self.chunks.append(chunk)

    async def post(self) -> None:
        try:
            data = json.loads(b"".join(self.chunks))
            if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
                raise ValueError("not an update")
            update = Update.de_json(data, self.bot_application.bot)
            if update is None:
                raise ValueError("not an update")
        except Exception as exc:  # whatever the body is, a 400 and one line, never a traceback
            log.warning("webhook: refused a body that is not an update (%s)", type(exc).__name__)
            self.set_status(400)
            return
        await self.bot_application.update_queue.put(update)
        self.set_status(200)

    def log_exception(self, typ, value, tb) -> None:  # keep tornado from printing request details
        log.error("webhook handler failed", exc_info=(typ, value, tb))


class _HealthHandler(tornado.web.RequestHandler):
    """GET /healthz for the load balancer: 200 when the database answers, 503 when it does not;
    the body says whether this process is the active worker (bot/leadership.py)."""

    def initialize(self, bot_application: Application, leadership, worker: str) -> None:
        self.bot_application, self.leadership, self.worker = bot_application, leadership, worker

    async def get(self) -> None:
        database = await self.bot_application.bot_data["db"].answers(timeout=HEALTH_TIMEOUT)
        self.set_status(200 if database else 503)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"database": "ok" if database else "unreachable",
                                "active_worker": bool(self.leadership is not None and self.leadership.active),
                                "worker": self.worker}))


HEALTH_PATH = "/healthz"
HEALTH_TIMEOUT = 3.0


def webhook_path(webhook_url: str) -> str:
    return urlparse(webhook_url).path or "/"


class WebhookServer:
    def __init__(self, application: Application, secret: str, path: str = "/", leadership=None, worker: str = ""):
        app = tornado.web.Application([
            (HEALTH_PATH, _HealthHandler, {"bot_application": application, "leadership": leadership,
                                           "worker": worker}),
            (path, _UpdateHandler, {"bot_application": application, "secret": secret}),
        ])
        # Other paths too: nothing over the limit is buffered (tornado closes the connection).
        self._server = tornado.httpserver.HTTPServer(app, xheaders=True, max_body_size=2 * MAX_BODY,
                                                     max_buffer_size=2 * MAX_BODY)
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
