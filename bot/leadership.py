"""Which process is the active worker, when more than one runs on one database.

Every process serves updates (webhook mode behind a load balancer). Only the
active worker runs the reminder sweep, the outbox sender and the announcement
jobs, and in polling mode only it polls (Telegram allows one poller). On
PostgreSQL the active worker is whoever holds the advisory lock of
storage/worker_lock.py; standbys try to take it every `retry` seconds, and the
active one checks every `check` seconds that its lock connection still answers
(the lock ends with that connection or the process). Without a lock (SQLite,
one process; the tests) the process is active from the start.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Awaitable, Callable

log = logging.getLogger(__name__)

Callback = Callable[[], Awaitable[None]]


class Leadership:
    def __init__(self, lock=None, worker: str = "", retry: float = 3.0, check: float = 2.0):
        self.lock, self.worker = lock, worker
        self.retry, self.check = retry, check
        self.active = lock is None
        self.active_since: float | None = time.monotonic() if self.active else None
        self._on_gained: list[Callback] = []
        self._on_lost: list[Callback] = []
        self._task: asyncio.Task | None = None

    def on_gained(self, callback: Callback) -> None:
        self._on_gained.append(callback)

    def on_lost(self, callback: Callback) -> None:
        self._on_lost.append(callback)

    async def start(self) -> None:
        """Try once now (so a lone process is active before it starts its jobs), then keep watch."""
        if self.lock is None:
            return
        await self._try()
        self._task = asyncio.create_task(self._watch())

    async def _try(self) -> None:
        if await self.lock.try_take():
            self.active, self.active_since = True, time.monotonic()
            log.info("this process (%s) is the active worker: it runs the sweep, the sender and the jobs",
                     self.worker)
            await self._tell(self._on_gained)

    async def _watch(self) -> None:
        announced_standby = False
        while True:
            if self.active:
                await asyncio.sleep(self.check)
                if not await self.lock.still_held():
                    self.active, self.active_since = False, None
                    log.warning("lost the worker lock (its database connection ended); standing by")
                    announced_standby = True
                    await self._tell(self._on_lost)
            else:
                if not announced_standby:
                    log.info("another process is the active worker; this one serves updates and stands by")
                    announced_standby = True
                await asyncio.sleep(self.retry)
                await self._try()

    async def _tell(self, callbacks: list[Callback]) -> None:
        for callback in callbacks:
            try:
                await callback()
            except Exception:  # noqa: BLE001 - one failing callback must not stop the watch
                log.exception("leadership callback failed")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        if self.lock is not None:
            await self.lock.release()
        self.active = False
