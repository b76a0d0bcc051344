"""Heavy CPU work (the XLSX and CSV export, charts) in a worker process.

openpyxl and matplotlib are pure-Python CPU work: in a thread they would still hold
Python's lock, and nobody else would get an answer meanwhile. They run in one worker
process instead, shared by everything in this process, made when first needed
('spawn': nothing of the bot's event loop, connections or threads is inherited) and
shut down with the Application (bot/background.py). One worker: the machine is
small, and a second export waits for the first rather than halving its speed.

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

_pool: ProcessPoolExecutor | None = None


def _follow_parent(parent: int) -> None:
    """In the worker: end when the bot's process is gone. A bot killed outright (SIGKILL,
    out of memory) never stops its pool, and the worker would otherwise wait for work forever."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)
    threading.Thread(target=watch, name="follow the bot", daemon=True).start()


def _executor() -> ProcessPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                    initializer=_follow_parent, initargs=(os.getpid(),))
    return _pool


async def run(function: Callable[..., Any], *args: Any) -> Any:
    """function(*args) in the worker process; the arguments and the result are pickled
    (keep both small: the worker reads what it needs itself and returns the file's bytes)."""
    pool = _executor()
    try:
        return await asyncio.get_running_loop().run_in_executor(pool, function, *args)
    except BrokenProcessPool:
        # The worker died (killed, out of memory): this job fails, the next one gets a new worker.
        global _pool
        if _pool is pool:
            _pool = None
        pool.shutdown(wait=False, cancel_futures=True)
        raise


def started() -> bool:
    return _pool is not None


async def shutdown() -> None:
    """Stop the worker (waiting for the job it is on), if there is one; the next run() makes a new one."""
    global _pool
    pool, _pool = _pool, None
    if pool is not None:
        await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)
