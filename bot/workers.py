"""Heavy CPU work (the XLSX and CSV export, charts) in a worker process.

openpyxl and matplotlib are pure-Python CPU work: in a thread they would still hold
Python's lock, and nobody else would get an answer meanwhile. They run in one worker
process instead, shared by everything in this process, made when first needed
('spawn': nothing of the bot's event loop, connections or threads is inherited) and
shut down with the Application (bot/background.py). One worker: the machine is
small, and a second export waits for the first rather than halving its speed. The
worker runs at a lower priority (nice 10), so that on a busy machine the bot's own
process, answering people, comes first; and it ends after IDLE_SECONDS without work,
so that its memory (openpyxl, matplotlib, the export's buffers) is not held all day.

Only the worker imports openpyxl and matplotlib: this module imports neither.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable

IDLE_SECONDS = 300.0  # the worker ends after this long without work; the next job starts a new one
NICENESS = 10

_pool: ProcessPoolExecutor | None = None
_running = 0  # jobs submitted and not finished
_idle_timer: asyncio.TimerHandle | None = None


def _start_worker(parent: int) -> None:
    """In the worker, first: a lower priority than the bot, and an end when the bot's process is
    gone (a bot killed outright never stops its pool; the worker would wait for work forever)."""
    try:
        os.nice(NICENESS)
    except OSError:
        pass

    def follow_parent() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)
    threading.Thread(target=follow_parent, name="follow the bot", daemon=True).start()


def _executor() -> ProcessPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                    initializer=_start_worker, initargs=(os.getpid(),))
    return _pool


async def run(function: Callable[..., Any], *args: Any) -> Any:
    """function(*args) in the worker process; the arguments and the result are pickled
    (keep both small: the worker reads what it needs itself and returns the file's bytes)."""
    global _pool, _running, _idle_timer
    if _idle_timer is not None:
        _idle_timer.cancel()
        _idle_timer = None
    pool = _executor()
    _running += 1
    try:
        return await asyncio.get_running_loop().run_in_executor(pool, function, *args)
    except BrokenProcessPool:
        # The worker died (killed, out of memory): this job fails, the next one gets a new worker.
        if _pool is pool:
            _pool = None
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        _running -= 1
        if _running == 0 and _pool is not None:
            _idle_timer = asyncio.get_running_loop().call_later(IDLE_SECONDS, _retire_if_idle)


def _retire_if_idle() -> None:
    global _pool, _idle_timer
    _idle_timer = None
    if _running == 0 and _pool is not None:
        pool, _pool = _pool, None
        pool.shutdown(wait=False)  # nothing is queued: the worker exits at once


def started() -> bool:
    return _pool is not None


async def shutdown() -> None:
    """Stop the worker (waiting for the job it is on), if there is one; the next run() makes a new one."""
    global _pool, _idle_timer
    if _idle_timer is not None:
        _idle_timer.cancel()
        _idle_timer = None
    pool, _pool = _pool, None
    if pool is not None:
        await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)
