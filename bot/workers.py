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

A job may say how far it has come (`report(done, total)`, in the worker): the figures go
through a small array of shared memory, tagged with the job's number, so that a job still
waiting behind another one's export never shows the other's progress. The caller of `run`
gets them through `on_progress`, at most once per PROGRESS_SECONDS and only when they moved.

Only the worker imports openpyxl and matplotlib: this module imports neither.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Awaitable, Callable

log = logging.getLogger(__name__)

IDLE_SECONDS = 300.0  # the worker ends after this long without work; the next job starts a new one
NICENESS = 10
PROGRESS_SECONDS = 3.0  # how often a job's progress is looked at (an edited message at most this often)

_pool: ProcessPoolExecutor | None = None
_running = 0  # jobs submitted and not finished
_idle_timer: asyncio.TimerHandle | None = None
_jobs = itertools.count(1)
# (job number, done, total): written by the worker, read by the bot.
_progress = None  # the bot's end
_reported = None  # the worker's end (set as it starts)

Progress = Callable[[int, int], Awaitable[None]]


def _start_worker(parent: int, progress) -> None:
    """In the worker, first: a lower priority than the bot, and an end when the bot's process is
    gone (a bot killed outright never stops its pool; the worker would wait for work forever)."""
    global _reported
    _reported = progress
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
    global _pool, _progress
    if _pool is None:
        context = multiprocessing.get_context("spawn")
        _progress = context.Array("q", 3)  # handed to the worker as it starts (spawn: by inheritance)
        _pool = ProcessPoolExecutor(max_workers=1, mp_context=context,
                                    initializer=_start_worker, initargs=(os.getpid(), _progress))
    return _pool


def report(done: int, total: int) -> None:
    """In the worker, from a job: how far it has come. Anywhere else it does nothing."""
    if _reported is not None:
        with _reported.get_lock():
            _reported[1], _reported[2] = done, total


def _job(number: int, function: Callable[..., Any], *args: Any) -> Any:
    """In the worker: the job, its number on the progress it reports."""
    if _reported is not None:
        with _reported.get_lock():
            _reported[0], _reported[1], _reported[2] = number, 0, 0
    return function(*args)


def _progress_of(number: int, shared) -> tuple[int, int] | None:
    with shared.get_lock():
        job, done, total = shared[:]
    return (done, total) if job == number and total else None


async def _follow(future: asyncio.Future, number: int, shared, on_progress: Progress) -> Any:
    """Wait for the job; meanwhile hand its progress to on_progress when it has moved."""
    last = None
    while True:
        finished, _ = await asyncio.wait({future}, timeout=PROGRESS_SECONDS)
        if finished:
            return future.result()
        now = _progress_of(number, shared)
        if now is not None and now != last:
            last = now
            try:
                await on_progress(*now)
            except Exception:  # noqa: BLE001 - only a progress message: the job goes on
                log.warning("could not show a job's progress", exc_info=True)


async def run(function: Callable[..., Any], *args: Any, on_progress: Progress | None = None) -> Any:
    """function(*args) in the worker process; the arguments and the result are pickled
    (keep both small: the worker reads what it needs itself and returns the file's bytes).
    on_progress(done, total) is awaited with what the job reports (`report`), now and then."""
    global _pool, _running, _idle_timer
    if _idle_timer is not None:
        _idle_timer.cancel()
        _idle_timer = None
    pool = _executor()
    shared, number = _progress, next(_jobs)
    _running += 1
    try:
        future = asyncio.get_running_loop().run_in_executor(pool, _job, number, function, *args)
        if on_progress is None:
            return await future
        try:
            return await _follow(future, number, shared, on_progress)
        finally:
            future.cancel()  # the caller gave up (cancelled): a job not begun yet is dropped
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
