"""Updates from different people at the same time, each person's in order.

PTB hands every update to the Application's update processor (polling and the webhook
put them on `Application.update_queue`; with more than one update allowed at a time,
each gets its own task). `PerPersonUpdateProcessor` keeps one `asyncio.Lock` per person:
a person's updates run one after another, in the order they arrived, while other
people's run beside them. A lock lives only while that person has an update waiting or
running, so memory does not grow with the number of people who ever wrote.

Each update runs inside a unit of work (storage/unit_of_work.py, given as `unit_of_work`):
one database session for everything it does, closed when it is done.

Two bounds: `max_concurrent_updates` (PTB's own semaphore, taken first) is how many
updates are accepted at once, running or waiting for the same person's earlier one;
`max_working` is how many run at once. A person who sends many updates in a burst
only waits for their own: they hold no working place while they wait.
"""

from __future__ import annotations

import asyncio
from contextlib import nullcontext
from typing import Any, AsyncContextManager, Awaitable, Callable

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot import busy

MAX_WORKING = 32  # updates handled at once (each may hold a database connection)
MAX_ACCEPTED = 4096  # updates accepted at once, running or waiting for the same person's earlier one


def person_of(update: object) -> int | None:
    """Whose updates must stay in order: the person's (the chat's when no person is named)."""
    if not isinstance(update, Update):
        return None
    if update.effective_user is not None:
        return update.effective_user.id
    return update.effective_chat.id if update.effective_chat is not None else None


class _Turn:
    """One person's lock and how many of their updates hold or wait for it."""

    __slots__ = ("lock", "users")

    def __init__(self):
        self.lock = asyncio.Lock()
        self.users = 0


class PerPersonUpdateProcessor(BaseUpdateProcessor):
    def __init__(self, unit_of_work: Callable[[], AsyncContextManager] = nullcontext,
                 max_working: int = MAX_WORKING, max_accepted: int = MAX_ACCEPTED):
        super().__init__(max_accepted)
        self.unit_of_work = unit_of_work
        self.max_working = max_working
        self._working = asyncio.BoundedSemaphore(max_working)
        self._turns: dict[int, _Turn] = {}

    @property
    def people_waiting(self) -> int:
        """People with an update running or waiting (each holds a lock while so)."""
        return len(self._turns)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = person_of(update)
        if key is None:
            async with self._working, busy.answering(), self.unit_of_work():
                await coroutine
            return
        # Taken in arrival order: the tasks reach this line in the order PTB created them
        # (PTB's semaphore and asyncio.Lock both wake waiters first come, first served).
        turn = self._turns.get(key)
        if turn is None:
            turn = self._turns[key] = _Turn()
        turn.users += 1
        try:
            async with turn.lock:
                async with self._working, busy.answering(), self.unit_of_work():
                    await coroutine
        finally:
            turn.users -= 1
            if turn.users == 0:
                del self._turns[key]

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass
