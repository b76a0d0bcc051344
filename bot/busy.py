"""Whether people's updates are being answered right now, so that work in the background (the
reminder sweep) can give way to them: a person waits for the bot's answer, the sweep does not.

bot/updates.py counts the updates it runs (`answering()` around each); the sweep, between two
slices of its work, waits while any is running (`quiet()`), for at most a few milliseconds at a
time, so that a steady stream of updates slows the sweep down but never stops it."""

from __future__ import annotations

import asyncio
import time
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import AsyncIterator

POLL = 0.001  # seconds between two looks while waiting

_running = 0
_inside = ContextVar("inside_an_update", default=False)  # work started by an update does not wait for itself


def running() -> int:
    """How many people's updates are being answered now."""
    return _running


@asynccontextmanager
async def answering() -> AsyncIterator[None]:
    """Around the handling of one update."""
    global _running
    _running += 1
    inside = _inside.set(True)
    try:
        yield
    finally:
        _inside.reset(inside)
        _running -= 1


async def quiet(at_most: float) -> None:
    """Wait until no update is being answered, or `at_most` seconds (not at all in an update's own work)."""
    if _inside.get():
        return
    until = time.perf_counter() + at_most
    while _running and time.perf_counter() < until:
        await asyncio.sleep(POLL)
