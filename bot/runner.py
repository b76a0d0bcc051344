"""Running the bot for real: polling, or a webhook when WEBHOOK_URL is set."""

from __future__ import annotations

import asyncio
import logging
import signal

from sqlalchemy.engine import make_url

from bot.settings import Settings
from storage import migrate
from storage.database import Database
from storage.migrate import SchemaOutOfDate

log = logging.getLogger(__name__)

__all__ = ["BotApiUnusable", "SchemaOutOfDate", "open_database", "run_bot"]


class BotApiUnusable(Exception):
    """The Bot API refused the token or could not be reached at start. The message names
    the setting to fix and never contains the token; `exit_code` is what the program exits with."""

    def __init__(self, message: str, exit_code: int):
        super().__init__(message)
        self.exit_code = exit_code


EXIT_TOKEN_REFUSED = 2  # like any other bad setting
EXIT_BOT_API_UNREACHABLE = 3


def bot_api_error(exc: Exception, settings: Settings) -> BotApiUnusable | None:
    """One line for PTB's `InvalidToken` (its message carries the token) and network errors."""
    from telegram.error import BadRequest, InvalidToken, NetworkError

    from bot.log_masking import SecretMask, secrets_of

    mask = SecretMask(secrets_of(settings)).mask
    if isinstance(exc, InvalidToken):
        # Bot.get_me wraps the server's answer ("Unauthorized", "Not Found") in a message with the token.
        answer = mask(str(exc.__cause__ or "refused"))
        return BotApiUnusable(
            f"TELEGRAM_BOT_TOKEN was refused by the Bot API at TELEGRAM_API_URL ({settings.telegram_api_url}): "
            f"{answer}. Check the token from @BotFather, and that TELEGRAM_API_URL is the root of a Bot API "
            "server (without /bot<token>).", EXIT_TOKEN_REFUSED)
    if isinstance(exc, NetworkError) and not isinstance(exc, BadRequest):
        return BotApiUnusable(
            f"the Bot API at TELEGRAM_API_URL ({settings.telegram_api_url}) could not be reached: "
            f"{mask(str(exc))}. Check TELEGRAM_API_URL and the network.", EXIT_BOT_API_UNREACHABLE)
    return None


async def open_database(settings: Settings) -> Database:
    """The embedded SQLite is upgraded on start; PostgreSQL must be upgraded
    on purpose (`forbedring-bot db upgrade`) and is only checked here."""
    db = Database(settings.database_url)
    if make_url(settings.database_url).get_backend_name() == "sqlite":
        await migrate.upgrade(db.engine)
    elif await migrate.current_revision(db.engine) != migrate.head_revision():
        await db.dispose()
        raise SchemaOutOfDate("the database schema is not up to date: run 'forbedring-bot db upgrade' first")
    return db


def _stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)


async def run_bot(settings: Settings) -> None:
    # The Application and every conversation are imported here, not by the other commands.
    from telegram import Update

    from bot.app import build_application, on_startup
    from bot.webhook import WebhookServer, webhook_path

    settings.require_token()
    db = await open_database(settings)
    application = build_application(settings, db, with_updater=settings.webhook_url is None)
    stop = asyncio.Event()
    _stop_on_signals(stop)
    try:
        try:
            await application.initialize()  # asks getMe: a refused token or an unreachable API shows here
        except Exception as exc:
            unusable = bot_api_error(exc, settings)
            if unusable is None:
                raise
            raise unusable from None
        async with application:
            await on_startup(application)
            await application.start()
            sender_task = asyncio.create_task(application.bot_data["sender"].run_forever())
            if settings.webhook_url:
                server = WebhookServer(application, settings.webhook_secret, webhook_path(settings.webhook_url))
                port = server.start(settings.webhook_listen, settings.webhook_port)
                await application.bot.set_webhook(settings.webhook_url, secret_token=settings.webhook_secret,
                                                  allowed_updates=Update.ALL_TYPES)
                log.info("webhook mode: listening on %s:%s", settings.webhook_listen, port)
                await stop.wait()
                await server.stop()
            else:
                await application.bot.delete_webhook()
                await application.updater.start_polling(allowed_updates=Update.ALL_TYPES)
                log.info("polling for updates")
                await stop.wait()
                await application.updater.stop()
            sender_task.cancel()
            await application.stop()
    finally:
        await db.dispose()
