"""An open-loop stream of people's updates for the benchmarks: one started every `interval`
seconds whether or not the earlier ones were answered (so a slow bot shows as latency)."""

from __future__ import annotations

import asyncio
import time
from typing import Awaitable, Callable


async def paced(interval: float, start_one: Callable[[float], Awaitable[None]],
                until: asyncio.Future | None = None, count: int | None = None) -> None:
    """Start `start_one(due)` at each due time until `until` is done or `count` have started;
    then wait for all of them."""
    tasks, start, n = [], time.perf_counter(), 0
    while (until is None or not until.done()) and (count is None or n < count):
        due = start + n * interval
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        if until is not None and until.done():
            break
        tasks.append(asyncio.create_task(start_one(due)))
        n += 1
    await asyncio.gather(*tasks)
