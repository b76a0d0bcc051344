"""Running the bot for real: polling, or a webhook when WEBHOOK_URL is set."""

from __future__ import annotations

import asyncio
import logging
import signal
import time

from sqlalchemy.engine import make_url

from bot.settings import Settings
from storage import migrate
from storage.database import Database
from storage.migrate import SchemaOutOfDate

log = logging.getLogger(__name__)

__all__ = ["BotApiUnusable", "CannotRun", "SchemaOutOfDate", "open_database", "run_bot"]


class CannotRun(Exception):
    """The bot cannot start; the message is one line for the operator (never a secret) and
    `exit_code` is what the program exits with."""

    def __init__(self, message: str, exit_code: int):
        super().__init__(message)
        self.exit_code = exit_code


class BotApiUnusable(CannotRun):
    """The Bot API refused the token or could not be reached at start. The message names
    the setting to fix and never contains the token."""


EXIT_TOKEN_REFUSED = 2  # like any other bad setting
EXIT_BOT_API_UNREACHABLE = 3
EXIT_ALREADY_RUNNING = 4
CONFLICT_LOG_EVERY = 60.0  # seconds between two lines about Telegram's 409 Conflict
SENDER_STOP_TIMEOUT = 60.0  # a graceful stop waits this long for the message in flight to be marked


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


def one_process_per_sqlite_file(settings: Settings):
    """On SQLite one process is the rule: a second `run` on the same file stops with one line."""
    from storage.worker_lock import AlreadyRunning, SqliteFileLock

    lock = SqliteFileLock(settings.database_url)
    try:
        lock.take()
    except AlreadyRunning as exc:
        raise CannotRun(f"another forbedring-bot run is already using the SQLite database {exc}; on SQLite one "
                        "process is the rule (use PostgreSQL to run more than one)", EXIT_ALREADY_RUNNING) from None
    return lock


def polling_error_callback():
    """Polling errors as one line each, never a traceback. Telegram's 409 Conflict (another process
    polls with this token, or a webhook is set) is said once a minute while it lasts; PTB keeps
    retrying, so this process takes over polling as soon as the other one stops."""
    from telegram.error import Conflict

    last_conflict = [-CONFLICT_LOG_EVERY]

    def callback(exc) -> None:
        if isinstance(exc, Conflict):
            if time.monotonic() - last_conflict[0] >= CONFLICT_LOG_EVERY:
                last_conflict[0] = time.monotonic()
                log.warning("Telegram answers 409 Conflict: another process is polling with this token, or a "
                            "webhook is set for it; retrying (%s)", exc.message)
        else:
            log.warning("polling failed, retrying: %s", exc)

    return callback


async def run_bot(settings: Settings) -> None:
    # The Application and every conversation are imported here, not by the other commands.
    from telegram import Update

    from bot import jobs
    from bot.app import build_application, on_startup
    from bot.leadership import Leadership
    from bot.webhook import WebhookServer, webhook_path
    from storage.worker_lock import PostgresLock

    settings.require_token()
    on_sqlite = make_url(settings.database_url).get_backend_name() == "sqlite"
    # Before the embedded database is upgraded: a second process must not touch a file in use.
    file_lock = one_process_per_sqlite_file(settings) if on_sqlite else None
    try:
        db = await open_database(settings)
    except BaseException:
        if file_lock is not None:
            file_lock.release()
        raise
    try:
        application = build_application(settings, db, with_updater=settings.webhook_url is None)
        sender = application.bot_data["sender"]
        if not on_sqlite:
            application.bot_data["leadership"] = Leadership(PostgresLock(settings.database_url, sender.worker),
                                                            sender.worker)
        leadership: Leadership = application.bot_data["leadership"]
        stop = asyncio.Event()
        _stop_on_signals(stop)
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
            await leadership.start()
            sender_task = asyncio.create_task(sender.run_forever())
            leadership.on_gained(lambda: jobs.catch_up(application))
            if settings.webhook_url:
                server = WebhookServer(application, settings.webhook_secret, webhook_path(settings.webhook_url),
                                       leadership=leadership, worker=sender.worker)
                port = server.start(settings.webhook_listen, settings.webhook_port)
                await application.bot.set_webhook(settings.webhook_url, secret_token=settings.webhook_secret,
                                                  allowed_updates=Update.ALL_TYPES)
                log.info("webhook mode: listening on %s:%s", settings.webhook_listen, port)
                await stop.wait()
                await server.stop()
            else:
                # Telegram allows one poller: only the active worker polls; a standby starts when it takes over.
                async def start_polling() -> None:
                    if not application.updater.running:
                        await application.bot.delete_webhook()
                        await application.updater.start_polling(allowed_updates=Update.ALL_TYPES,
                                                                error_callback=polling_error_callback())
                        log.info("polling for updates")

                async def stop_polling() -> None:
                    if application.updater.running:
                        await application.updater.stop()

                leadership.on_gained(start_polling)
                leadership.on_lost(stop_polling)
                if leadership.active:
                    await start_polling()
                await stop.wait()
                await stop_polling()
            # Graceful: nothing new is claimed; the message in flight is finished and marked.
            sender.stop()
            try:
                await asyncio.wait_for(sender_task, SENDER_STOP_TIMEOUT)
            except asyncio.TimeoutError:
                log.warning("the sender did not stop within %.0f s", SENDER_STOP_TIMEOUT)
            await leadership.stop()
            await application.stop()
    finally:
        if file_lock is not None:
            file_lock.release()
        await db.dispose()
