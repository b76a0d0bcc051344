"""Settings from the environment (and an optional `.env` file).

The names are fixed: deployment scripts rely on them. A bad value raises
`SettingsError` naming the setting, never echoing a secret.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.resources import Resources, ResourcesError, default_resources, load as load_resources

LANGUAGES = ("nb", "nn", "en")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")

_TOKEN_RE = re.compile(r"^\d{3,20}:[A-Za-z0-9_-]{30,64}$")
# Telegram allows 1-256 characters A-Z, a-z, 0-9, _ and - in a webhook secret; we want at least 16,
# so that it cannot be guessed.
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
SECRET_MIN_LENGTH = 16


class SettingsError(Exception):
    """A setting is missing or malformed. The message names it and never shows secrets."""


@dataclass(frozen=True)
class Settings:
    telegram_bot_token: str | None
    database_url: str
    telegram_api_url: str
    webhook_url: str | None
    webhook_secret: str | None
    webhook_listen: str
    webhook_port: int
    bot_timezone: ZoneInfo
    default_language: str
    data_dir: Path
    nudge_time: time = time(9, 0)
    review_reminder_days: int = 14
    feedback_reminder_days: int = 28
    escalation_days: int = 14
    outbox_rate: float = 25.0
    outbox_per_chat_seconds: float = 1.0
    outbox_give_up_hours: float = 24.0  # network errors and 5xx are retried this long, then the message fails
    outbox_lease_seconds: float = 30.0  # a row in 'sending' whose worker is gone is taken back after this
    log_level: str | None = None  # None: INFO for `run` and `db`, WARNING for the other commands
    throttle_updates: int = 20  # a person's updates per window before "slow down"
    throttle_seconds: float = 10.0
    # Privacy (README "Privacy and data"): the notice's controller, contact and legal basis (the
    # trust's own words; "" gives the notice's general wording), and how long things are kept.
    privacy_controller: str = ""
    privacy_contact: str = ""
    privacy_legal_basis: str = ""
    retention_join_attempts_days: int = 30
    retention_outbox_text_days: int = 90
    retention_draft_days: int = 60
    retention_memberless_days: int = 365
    # Der skoen trykker and Tidlig og tett på (bot/rules/dst.py, README): each phase's target, in days
    # after the unit's start; when a phase not done counts as stalled; the TTP reminder's days.
    dst_phase_days: tuple[int, ...] = (28, 84, 112, 154, 280, 364, 420)
    dst_stall_days: int = 14
    ttp_dates: str = "03-15,06-15,09-15,12-15"
    # The links under the steps and in the survey reminders (RESOURCES_FILE, else the file shipped in
    # bot/resources.toml), read and checked when the settings are loaded.
    resources: Resources = field(default_factory=default_resources)

    def __repr__(self) -> str:  # keep secrets out of tracebacks and logs: no token, no webhook secret,
        # and the database URL without its password
        shown = make_url(self.database_url).render_as_string(hide_password=True)
        return f"Settings(database_url={shown!r}, webhook={'on' if self.webhook_url else 'off'})"

    __str__ = __repr__

    @property
    def bot_api_base_url(self) -> str:
        return f"{self.telegram_api_url}/bot"

    @property
    def bot_api_file_url(self) -> str:
        return f"{self.telegram_api_url}/file/bot"

    def require_token(self) -> str:
        if not self.telegram_bot_token:
            raise SettingsError(
                "TELEGRAM_BOT_TOKEN is missing: set it to the token @BotFather gave you."
            )
        return self.telegram_bot_token


def normalise_database_url(raw: str) -> str:
    """Accept the usual spellings and pick the async driver we ship."""
    try:
        url = make_url(raw)
    except ArgumentError as exc:
        raise SettingsError("DATABASE_URL is malformed: expected e.g. "
                            "postgresql://user@host:5432/db or sqlite:///path/file.db.") from exc
    backend = url.get_backend_name()
    if backend == "sqlite":
        url = url.set(drivername="sqlite+aiosqlite")
    elif backend == "postgresql":
        url = url.set(drivername="postgresql+asyncpg")
    else:
        raise SettingsError(
            f"DATABASE_URL names an unsupported database '{backend}': use sqlite or postgresql."
        )
    return url.render_as_string(hide_password=False)


def load_settings(env: dict[str, str] | None = None, env_file: str | Path | None = ".env") -> Settings:
    """Read settings; the real environment wins over the `.env` file."""
    values: dict[str, str | None] = {}
    if env_file is not None and Path(env_file).is_file():
        values.update(dotenv_values(env_file))
    values.update(os.environ if env is None else env)

    def get(name: str) -> str | None:
        value = values.get(name)
        return value.strip() if value and value.strip() else None

    token = get("TELEGRAM_BOT_TOKEN")
    if token is not None and not _TOKEN_RE.match(token):
        raise SettingsError(
            "TELEGRAM_BOT_TOKEN is malformed: expected '<digits>:<secret>' as given by @BotFather."
        )

    data_dir = Path(get("DATA_DIR") or "data")
    database_url = normalise_database_url(
        get("DATABASE_URL") or f"sqlite:///{(data_dir / 'forbedring.db').as_posix()}"
    )

    api_url = (get("TELEGRAM_API_URL") or "https://api.telegram.org").rstrip("/")
    parsed = urlparse(api_url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise SettingsError(
            "TELEGRAM_API_URL is malformed: expected the root of a Bot API server, "
            "e.g. https://api.telegram.org."
        )

    webhook_url = get("WEBHOOK_URL")
    webhook_secret = get("WEBHOOK_SECRET")
    if webhook_url is not None:
        parsed = urlparse(webhook_url)
        if parsed.scheme != "https" or not parsed.netloc:
            raise SettingsError("WEBHOOK_URL is malformed: Telegram needs an https:// URL.")
        if webhook_secret is None:
            raise SettingsError("WEBHOOK_SECRET is missing: it is required when WEBHOOK_URL is set.")
    if webhook_secret is not None and not _SECRET_RE.match(webhook_secret):
        raise SettingsError(
            f"WEBHOOK_SECRET is malformed: use {SECRET_MIN_LENGTH}-256 characters of A-Z, a-z, 0-9, _ and -."
        )
    if webhook_secret is not None and len(webhook_secret) < SECRET_MIN_LENGTH:
        raise SettingsError(
            f"WEBHOOK_SECRET is too short: use at least {SECRET_MIN_LENGTH} characters of A-Z, a-z, 0-9, _ and - "
            "(e.g. from: python -c 'import secrets; print(secrets.token_urlsafe(32))')."
        )

    listen = get("WEBHOOK_LISTEN") or "0.0.0.0"
    port_text = get("WEBHOOK_PORT") or "8443"
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise SettingsError("WEBHOOK_PORT is malformed: expected a port number 1-65535.")

    tz_name = get("BOT_TIMEZONE") or "Europe/Oslo"
    try:
        timezone = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise SettingsError(
            f"BOT_TIMEZONE is malformed: '{tz_name}' is not a known time zone (e.g. Europe/Oslo)."
        ) from exc

    language = (get("DEFAULT_LANGUAGE") or "nb").lower()
    if language not in LANGUAGES:
        raise SettingsError("DEFAULT_LANGUAGE is malformed: use one of nb, nn, en.")

    nudge_text = get("NUDGE_TIME") or "09:00"
    try:
        nudge_time = time.fromisoformat(nudge_text)
    except ValueError as exc:
        raise SettingsError("NUDGE_TIME is malformed: expected HH:MM, e.g. 09:00.") from exc
    if not time(8, 0) <= nudge_time < time(20, 0):
        raise SettingsError("NUDGE_TIME is malformed: reminders go out between 08:00 and 20:00.")

    log_level = get("LOG_LEVEL")
    if log_level is not None:
        log_level = log_level.upper()
        if log_level not in LOG_LEVELS:
            raise SettingsError(f"LOG_LEVEL is malformed: use one of {', '.join(LOG_LEVELS)}.")

    def number(name: str, default: str, low: float, high: float, kind=int):
        text = get(name) or default
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            raise SettingsError(f"{name} is malformed: expected a number from {low:g} to {high:g}.")
        return value

    def text(name: str, limit: int = 500) -> str:
        value = get(name) or ""
        if len(value) > limit:
            raise SettingsError(f"{name} is too long: at most {limit} characters.")
        return value

    resources_file = get("RESOURCES_FILE")
    try:
        resources = load_resources(Path(resources_file) if resources_file else None)
    except ResourcesError as exc:
        raise SettingsError(f"RESOURCES_FILE is malformed: {exc}") from exc

    from bot.rules import dst

    phase_days = tuple(number(f"DST_PHASE_{n}_DAYS", str(default), 1, 3650)
                       for n, default in enumerate(dst.DEFAULT_PHASE_DAYS, 1))
    if problem := dst.check_phase_days(phase_days):
        raise SettingsError(f"DST_PHASE_1_DAYS … DST_PHASE_7_DAYS are malformed: {problem}.")
    ttp_dates = get("TTP_DATES") or dst.DEFAULT_TTP_DATES
    try:
        dst.parse_ttp_dates(ttp_dates)
    except ValueError as exc:
        raise SettingsError(f"TTP_DATES is malformed: {exc}; e.g. 03-15,06-15,09-15,12-15.") from exc

    return Settings(
        dst_phase_days=phase_days,
        dst_stall_days=number("DST_STALL_DAYS", str(dst.DEFAULT_STALL_DAYS), 1, 365),
        ttp_dates=ttp_dates,
        resources=resources,
        privacy_controller=text("PRIVACY_CONTROLLER"),
        privacy_contact=text("PRIVACY_CONTACT"),
        privacy_legal_basis=text("PRIVACY_LEGAL_BASIS", 1000),
        retention_join_attempts_days=number("RETENTION_JOIN_ATTEMPTS_DAYS", "30", 1, 3650),
        retention_outbox_text_days=number("RETENTION_OUTBOX_TEXT_DAYS", "90", 1, 3650),
        retention_draft_days=number("RETENTION_DRAFT_DAYS", "60", 1, 3650),
        retention_memberless_days=number("RETENTION_MEMBERLESS_DAYS", "365", 30, 3650),
        nudge_time=nudge_time,
        log_level=log_level,
        review_reminder_days=number("REMINDER_REVIEW_DAYS", "14", 1, 120),
        feedback_reminder_days=number("REMINDER_FEEDBACK_DAYS", "28", 1, 120),
        escalation_days=number("ESCALATION_DAYS", "14", 1, 120),
        outbox_rate=number("OUTBOX_RATE", "25", 1, 30, float),
        outbox_per_chat_seconds=number("OUTBOX_PER_CHAT_SECONDS", "1", 0, 60, float),
        outbox_give_up_hours=number("OUTBOX_GIVE_UP_HOURS", "24", 0.1, 24 * 14, float),
        outbox_lease_seconds=number("OUTBOX_LEASE_SECONDS", "30", 5, 600, float),
        throttle_updates=number("THROTTLE_UPDATES", "20", 5, 1000),
        throttle_seconds=number("THROTTLE_SECONDS", "10", 1, 3600, float),
        telegram_bot_token=token,
        database_url=database_url,
        telegram_api_url=api_url,
        webhook_url=webhook_url,
        webhook_secret=webhook_secret,
        webhook_listen=listen,
        webhook_port=int(port_text),
        bot_timezone=timezone,
        default_language=language,
        data_dir=data_dir,
    )
