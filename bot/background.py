"""Work a person asked for that takes a while (an export, a chart), run beside the updates.

The update that asks for it only starts the job and returns, so the next update (someone
else's, or the same person's) is handled at once; the job sends its result when it is
ready. The CPU part runs in the worker process (bot/workers.py). One job of each kind per
person at a time: `start` says False when one is running.

`BotApplication` is the Application every way of running the bot builds (bot/app.py):
on shutdown it cancels unfinished jobs and stops the worker process.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable

from telegram.ext import Application

from bot import workers

log = logging.getLogger(__name__)


class Background:
    def __init__(self, application: Application):
        self.application = application
        self._running: dict[tuple[str, int], asyncio.Task] = {}

    def busy(self, kind: str, user_id: int) -> bool:
        return (kind, user_id) in self._running

    def start(self, kind: str, user_id: int, update: object, work: Callable[[], Awaitable[None]]) -> bool:
        """Run work() beside the updates, unless this person's job of this kind is running
        (then False). An error goes to the application's error handler with the update,
        which tells the person."""
        key = (kind, user_id)
        if key in self._running:
            return False
        self._running[key] = asyncio.create_task(self._run(key, update, work), name=f"{kind} for {user_id}")
        return True

    async def _run(self, key: tuple[str, int], update: object, work: Callable[[], Awaitable[None]]) -> None:
        try:
            await work()
        except Exception as exc:  # noqa: BLE001 - as PTB does for a handler
            await self.application.process_error(update, exc)
        finally:
            self._running.pop(key, None)

    async def settle(self, user_id: int | None = None) -> None:
        """Wait until the person's jobs (everyone's, without a user id) are done."""
        while tasks := [task for (_, who), task in self._running.items() if user_id is None or who == user_id]:
            await asyncio.gather(*tasks, return_exceptions=True)

    async def stop(self) -> None:
        """Cancel what is still running (at shutdown)."""
        tasks = list(self._running.values())
        for task in tasks:
            task.cancel()
        if tasks:
            log.info("cancelled %s unfinished export(s) or chart(s)", len(tasks))
            await asyncio.gather(*tasks, return_exceptions=True)


class BotApplication(Application):
    """PTB's Application with the background jobs of bot/background.py."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.background = Background(self)

    async def shutdown(self) -> None:
        await self.background.stop()
        try:
            await super().shutdown()
        finally:
            await workers.shutdown()
