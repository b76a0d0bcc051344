"""The reminder sweep gives way to people's updates (bot/busy.py): between two slices of its work it
waits while an update is being answered, for GIVE_WAY at most at a time, and work that an update
starts itself never waits for that update."""

from __future__ import annotations

import asyncio
import time

from bot import busy
from bot.services import reminders


async def answer_for(seconds: float, started: asyncio.Event) -> None:
    async with busy.answering():
        started.set()
        await asyncio.sleep(seconds)


async def a_turn_of_the_sweep() -> float:
    """How long one turn of the sweep took, its slice of work being over."""
    turns = reminders._Turns()
    turns.since -= reminders.SLICE
    started = time.perf_counter()
    await turns.take()
    return time.perf_counter() - started


async def test_the_sweep_waits_while_an_update_is_answered_and_goes_on_when_it_is_done():
    assert busy.running() == 0
    assert await a_turn_of_the_sweep() < 0.02  # nobody to give way to
    started = asyncio.Event()
    update = asyncio.create_task(answer_for(0.03, started))
    await started.wait()
    assert busy.running() == 1
    waited = await a_turn_of_the_sweep()
    assert update.done() and busy.running() == 0
    assert 0.02 <= waited < reminders.GIVE_WAY + 0.03


async def test_a_long_update_slows_the_sweep_down_but_does_not_stop_it():
    started = asyncio.Event()
    update = asyncio.create_task(answer_for(1.0, started))
    await started.wait()
    waited = await a_turn_of_the_sweep()
    assert reminders.GIVE_WAY <= waited < reminders.GIVE_WAY + 0.1
    assert not update.done()
    update.cancel()
    await asyncio.gather(update, return_exceptions=True)
    assert busy.running() == 0  # a cancelled update is counted out too


async def test_work_started_by_an_update_does_not_wait_for_that_update():
    async with busy.answering():
        assert busy.running() == 1
        assert await a_turn_of_the_sweep() < 0.02
        assert await asyncio.create_task(a_turn_of_the_sweep()) < 0.02  # a task it starts, too
    assert busy.running() == 0


async def test_the_bots_updates_are_counted_while_they_are_answered(harness, monkeypatch):
    seen = []
    real = busy.answering

    def counting():
        seen.append(busy.running())
        return real()

    monkeypatch.setattr(busy, "answering", counting)
    leader = await harness.member(841, "leader", "Kari")
    await leader.send("/help")
    assert seen and busy.running() == 0
