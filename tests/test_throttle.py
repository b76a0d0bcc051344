"""Issue 12: a per-person throttle. One person's burst gets one "slow down" and is dropped
before the identity loader, so it costs no database work and others are answered as usual.
Time is the bot's clock, held still here, so nothing depends on how fast the machine is."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

import bot.identity
from bot.throttle import Throttle, Verdict

SLOW_DOWN_EN = "You are sending more than I can answer. Please wait 10 seconds, then go on."
SLOW_DOWN_NB = "Du sender mer enn jeg rekker å svare på. Vent 10 sekunder, og fortsett så."


@pytest.fixture
def still_clock(harness, monkeypatch):
    """The bot's clock, stopped; `moment[0] += ...` moves it."""
    assert (harness.throttle.limit, harness.throttle.window) == (20, timedelta(seconds=10))  # the settings' defaults
    harness.application.bot_data["throttle"] = harness.throttle  # on, as in a real run
    harness.set_today(__import__("datetime").date(2026, 5, 11))
    moment = [harness.clock.now()]
    monkeypatch.setattr(harness.clock, "now", lambda: moment[0])
    return moment


@pytest.fixture
def identity_loads(monkeypatch):
    """How many times each person was looked up in the database."""
    counts: dict[int, int] = {}
    real = bot.identity._who

    async def counting(db, telegram_user_id):
        counts[telegram_user_id] = counts.get(telegram_user_id, 0) + 1
        return await real(db, telegram_user_id)
    monkeypatch.setattr(bot.identity, "_who", counting)
    return counts


async def test_a_burst_of_500_gets_one_slow_down_and_others_are_answered(harness, still_clock, identity_loads):
    flood = await harness.member(701, "leader", "Flo")           # Telegram language: English
    other = await harness.member(702, "safety_rep", "Ola", language="Bokmål")
    still_clock[0] += timedelta(seconds=11)  # a fresh window after joining
    identity_loads.clear()
    before = len(harness.telegram.calls)
    # 500 messages at once, and another person's message in the middle of them.
    flood_tasks = [asyncio.create_task(flood.send("/help")) for _ in range(250)]
    other_task = asyncio.create_task(other.send("/help"))
    flood_tasks += [asyncio.create_task(flood.send("/help")) for _ in range(250)]
    await asyncio.gather(*flood_tasks)
    other_answer = await other_task
    assert other_answer and other_answer[0].plain.startswith("Du er registrert som")  # answered as usual
    # The flood: the first 20 answered, then one "slow down", the rest dropped unanswered.
    sent_to_flood = [c for c in harness.telegram.calls[before:] if c.params.get("chat_id") == 701]
    slow = [c for c in sent_to_flood if c.params.get("text") == SLOW_DOWN_EN]
    assert len(slow) == 1
    assert len(sent_to_flood) == 20 + 1, len(sent_to_flood)
    # Dropped updates never reached the database: only the 20 were looked up.
    assert identity_loads == {701: 20, 702: 1}
    # Still within the window: dropped, and no second "slow down".
    still_clock[0] += timedelta(seconds=9)
    assert await flood.send("/help") == []
    # Once the window has passed, the person is answered again.
    still_clock[0] += timedelta(seconds=2)
    replies = await flood.send("/help")
    assert replies and "/followup" in replies[0].plain


async def test_slow_down_is_in_the_persons_telegram_language_and_presses_are_throttled_too(harness, still_clock):
    stranger = harness.user(703, "Eva", language_code="nb")
    for _ in range(20):
        assert await stranger.send("hei")
    replies = await stranger.press_data("ax:1")  # a button press counts as well
    assert stranger.callback_answers()[-1]["text"] == SLOW_DOWN_NB
    assert replies == []
    for _ in range(5):
        assert await stranger.send("hei") == []


def test_the_throttle_keeps_a_bounded_number_of_people():
    from datetime import datetime, timezone

    now = datetime(2026, 5, 11, 9, tzinfo=timezone.utc)
    throttle = Throttle(limit=3, window_seconds=10, max_people=100)
    for person in range(10_000):
        assert throttle.check(person, now) is Verdict.ALLOW
    assert len(throttle) == 100
    verdicts = [throttle.check(1, now) for _ in range(6)]
    assert verdicts == [Verdict.ALLOW] * 3 + [Verdict.WARN, Verdict.DROP, Verdict.DROP]
    assert throttle.check(1, now + timedelta(seconds=10)) is Verdict.ALLOW


def test_throttle_settings_have_documented_defaults_and_bounds():
    from bot.settings import SettingsError, load_settings

    s = load_settings(env={}, env_file=None)
    assert (s.throttle_updates, s.throttle_seconds) == (20, 10.0)
    with pytest.raises(SettingsError, match="THROTTLE_UPDATES is malformed"):
        load_settings(env={"THROTTLE_UPDATES": "0"}, env_file=None)
    with pytest.raises(SettingsError, match="THROTTLE_SECONDS is malformed"):
        load_settings(env={"THROTTLE_SECONDS": "-1"}, env_file=None)
