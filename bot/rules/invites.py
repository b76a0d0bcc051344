"""Invite codes and the rules for redeeming them."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from bot.rules.errors import InviteError
from bot.rules.vocabulary import InviteState

# 24 random bytes = 192 bits, 32 URL-safe characters: well inside Telegram's
# 64-character deep-link limit of [A-Za-z0-9_-].
CODE_BYTES = 24
CODE_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")

MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)

# An invite is a bearer credential: one that many may use, for a long time, is a leak waiting to happen.
MAX_USES = 500
MAX_VALIDITY = timedelta(days=90)


def new_code() -> str:
    return secrets.token_urlsafe(CODE_BYTES)


def hash_code(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def looks_like_code(text: str) -> bool:
    return bool(CODE_RE.match(text))


def invite_state(revoked_at: datetime | None, expires_at: datetime, uses_count: int,
                 uses_allowed: int, now: datetime) -> InviteState:
    if revoked_at is not None:
        return InviteState.REVOKED
    if expires_at <= now:
        return InviteState.EXPIRED
    if uses_count >= uses_allowed:
        return InviteState.USED_UP
    return InviteState.VALID


def retry_after(failures: list[datetime], now: datetime) -> timedelta | None:
    """After MAX_FAILURES wrong codes within FAILURE_WINDOW, wait until the
    oldest of them leaves the window. None means: go ahead."""
    recent = [at for at in failures if at > now - FAILURE_WINDOW]
    if len(recent) < MAX_FAILURES:
        return None
    return recent[-MAX_FAILURES] + FAILURE_WINDOW - now


_DURATION_RE = re.compile(r"^(\d{1,4})([hdw])$")


def parse_duration(text: str) -> timedelta:
    """'14d', '12h', '2w' -> timedelta. Raises InviteError with the reason."""
    match = _DURATION_RE.match(text.strip().lower())
    if not match or int(match.group(1)) == 0:
        raise InviteError(f"'{text}' is not a duration like 12h, 14d or 2w")
    amount, unit = int(match.group(1)), match.group(2)
    return {"h": timedelta(hours=amount), "d": timedelta(days=amount), "w": timedelta(weeks=amount)}[unit]


def check_limits(uses: int, expires_in: timedelta) -> None:
    """At most MAX_USES uses and MAX_VALIDITY; raises InviteError with the reason."""
    if not 1 <= uses <= MAX_USES:
        raise InviteError(f"--uses must be between 1 and {MAX_USES}")
    if expires_in > MAX_VALIDITY:
        raise InviteError(f"--expires must be at most {MAX_VALIDITY.days} days (e.g. 90d or 12w); "
                          "make a new invite when this one runs out")
