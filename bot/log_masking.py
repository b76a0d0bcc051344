"""Secrets never reach a log: a filter on every handler masks them in each record.

Installed at start (bot/cli.py), before anything can log. It masks the bot token (whole,
and its secret part after the colon, which is what appears in `/bot<token>/` URLs), the
webhook secret and the database password, in the message, its arguments, the exception
text and the stack text. Python's warnings are routed through logging so they are masked too.
"""

from __future__ import annotations

import logging
from typing import Iterable

MASK = "***"


class SecretMask(logging.Filter):
    def __init__(self, secrets: Iterable[str | None]):
        super().__init__()
        # Longest first, so that the whole token is masked before its tail.
        self.secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def mask(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep what there is, masked
            message = f"{record.msg} {record.args}"
        record.msg, record.args = self.mask(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.mask(record.exc_text)
        if record.stack_info:
            record.stack_info = self.mask(record.stack_info)
        return True


def secrets_of(settings) -> list[str]:
    from sqlalchemy.engine import make_url

    token = settings.telegram_bot_token
    secrets = [token, token.partition(":")[2] if token else None, settings.webhook_secret]
    try:
        secrets.append(make_url(settings.database_url).password)
    except Exception:
        pass
    return [s for s in secrets if s]


def install(secrets: Iterable[str | None]) -> SecretMask:
    """Put the mask on every handler of the root logger (and on Python's last-resort handler)."""
    mask = SecretMask(secrets)
    logging.captureWarnings(True)
    handlers = list(logging.getLogger().handlers)
    if logging.lastResort is not None:
        handlers.append(logging.lastResort)
    for handler in handlers:
        for old in [f for f in handler.filters if isinstance(f, SecretMask)]:
            handler.removeFilter(old)
        handler.addFilter(mask)
    return mask
