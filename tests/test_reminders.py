"""The sweep: holidays, no duplicates, a restart mid-sweep; one-tap status; snooze and /settings."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
from sqlmodel import func, select

from bot.jobs import sweep_if_due
from bot.rules.cycle import CycleDates
from bot.services import reminders
from bot.services.cycles import CycleEntry, set_cycles
from storage import reminders as reminder_store
from storage.models import MeasureEvent, OutboxMessage, Reminder, UnitFollowup
from tests.test_measures import register


def at(day: date, harness, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour, 0), harness.settings.bot_timezone)


async def outbox_count(db):
    async with db.session() as session:
        return (await session.exec(select(func.count()).select_from(OutboxMessage)
                                   .where(OutboxMessage.kind == "reminder"))).one()


@pytest.fixture
async def team(harness, db):
    harness.set_today(date(2027, 5, 10))
    leader = await harness.member(801, "leader", "Kari")
    rep = await harness.member(802, "safety_rep", "Ola", language="Nynorsk")
    # Results come out on Saturday 15 May 2027, just before 17 May.
    await set_cycles(db, [CycleEntry("test", "HB", CycleDates(
        year=2027, survey_opens=date(2027, 2, 1), survey_closes=date(2027, 3, 1),
        results_available=date(2027, 5, 15), feedback_meeting_due=date(2027, 6, 1),
        plan_deadline=date(2027, 6, 20), status_1=date(2027, 9, 15), status_2=date(2027, 12, 1),
        status_3=date(2028, 1, 14), evaluation_deadline=date(2028, 1, 31)))])
    harness.application.bot_data["sender"].per_chat = 0
    return leader, rep


async def test_weekend_and_17_may_wait_for_the_next_working_day(harness, db, team):
    leader, rep = team
    for day in (date(2027, 5, 15), date(2027, 5, 16), date(2027, 5, 17)):
        assert await sweep_if_due(harness.application, at(day, harness)) is None
    assert await outbox_count(db) == 0
    result = await sweep_if_due(harness.application, at(date(2027, 5, 18), harness))
    assert result.digests == 2
    assert "The survey results are available" in leader.last.plain
    assert "Resultata frå undersøkinga er klare" in rep.last.plain
    assert rep.last.buttons[0]["text"] == "Opne oppfølginga"


async def test_no_sweep_before_the_time_or_in_the_evening_and_catch_up_later(harness, db, team):
    day = date(2027, 5, 18)
    assert await sweep_if_due(harness.application, at(day, harness, 7)) is None
    assert await sweep_if_due(harness.application, at(day, harness, 20)) is None
    # Down at 09:00, up at 14:00: the missed sweep runs then, once.
    assert (await sweep_if_due(harness.application, at(day, harness, 14))).digests == 2
    assert await sweep_if_due(harness.application, at(day, harness, 15)) is None
    assert await outbox_count(db) == 2


async def test_a_sweep_run_twice_sends_nothing_twice(harness, db, team):
    now = at(date(2027, 5, 18), harness)
    rules = reminders.rules_from(harness.settings)
    first = await reminders.sweep(db, now, harness.settings.bot_timezone, rules)
    second = await reminders.sweep(db, now, harness.settings.bot_timezone, rules)
    assert (first.recorded, first.digests, second.recorded, second.digests) == (2, 2, 0, 0)
    await harness.application.bot_data["sender"].send_due(now=now)
    assert await outbox_count(db) == 2
    # The next day nothing new is due: the results reminder was sent once and is not repeated.
    third = await reminders.sweep(db, at(date(2027, 5, 19), harness), harness.settings.bot_timezone, rules)
    assert (third.recorded, third.digests) == (0, 0)


async def test_a_restart_in_the_middle_of_a_sweep_makes_no_duplicates(harness, db, team, monkeypatch):
    now = at(date(2027, 5, 18), harness)
    real_add_digest = reminder_store.add_digest
    calls = {"n": 0}

    async def dies_on_the_second(session, message, chosen):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("killed")
        return await real_add_digest(session, message, chosen)

    monkeypatch.setattr(reminder_store, "add_digest", dies_on_the_second)
    with pytest.raises(RuntimeError):
        await sweep_if_due(harness.application, now)
    monkeypatch.setattr(reminder_store, "add_digest", real_add_digest)
    await harness.restart()
    harness.application.bot_data["sender"].per_chat = 0
    result = await sweep_if_due(harness.application, now)
    assert result is not None  # the interrupted sweep was not marked as run
    async with db.session() as session:
        digests = (await session.exec(select(OutboxMessage.person_id, func.count()).where(
            OutboxMessage.kind == "reminder").group_by(OutboxMessage.person_id))).all()
        keys = (await session.exec(select(Reminder.key))).all()
    assert sorted(count for _, count in digests) == [1, 1]
    assert len(keys) == len(set(keys)) == 2


async def test_snooze_holds_optional_reminders_but_not_the_plan_deadline(harness, db, team):
    leader, rep = team
    harness.set_today(date(2027, 5, 14))
    await rep.send("/settings")
    await rep.press("Minn meg på om ei veke")
    assert "Sett på pause til 21. mai 2027" in rep.callback_answers()[-1]["text"]
    await leader.send("/settings")
    replies = await leader.press("Steps not done")
    assert "🔕 Steps not done" in replies[0].plain
    await sweep_if_due(harness.application, at(date(2027, 5, 18), harness))
    assert "The survey results are available" in leader.last.plain  # results are not muted
    assert "Resultata" not in rep.last.plain  # snoozed: held, not dropped
    await sweep_if_due(harness.application, at(date(2027, 5, 24), harness))
    assert "Resultata frå undersøkinga er klare" in rep.last.plain
    # Review not done 14 days after results: muted by the leader, so nothing on 1 June...
    await sweep_if_due(harness.application, at(date(2027, 6, 1), harness))
    assert "The review with the parties is not done" not in leader.last.plain
    # ...but the plan deadline cannot be turned off.
    await sweep_if_due(harness.application, at(date(2027, 6, 7), harness))
    assert "The action plan is due in two weeks" in leader.last.plain


async def test_one_tap_status_is_authorised_like_everything_else(harness, db, team):
    leader, rep = team
    harness.set_today(date(2027, 6, 2))
    await register(leader, "Tavlemøte", deadline="1.12.2027")
    other = await harness.member(803, "leader", "Per", place="AKUTT")
    await sweep_if_due(harness.application, at(date(2027, 9, 15), harness))
    digest = leader.last
    assert "Quarterly status for the measures" in digest.plain
    forged = next(b["callback_data"] for b in digest.buttons if b["callback_data"].endswith(":stuck"))
    for user in (rep, other):
        await user.press_data(forged)
    assert rep.callback_answers()[-1]["text"] == "Du kan ikkje gjere det for denne eininga."
    assert other.callback_answers()[-1]["text"] == "You cannot do that for this unit."
    async with db.session() as session:
        assert (await session.exec(select(MeasureEvent.field))).all() == ["created"]
    replies = await leader.press("Stuck", digest)
    assert leader.callback_answers()[-1]["text"] == "Saved: Stuck"
    assert any(b["text"].startswith("✓ Stuck: Tavlemøte") for b in replies[0].buttons)
    async with db.session() as session:
        assert (await session.exec(select(MeasureEvent.new).where(MeasureEvent.field == "quarterly"))).all() == ["stuck"]


async def test_the_level_above_reminds_a_late_units_leader(harness, db, team):
    leader, rep = team
    trude = await harness.member(804, "leader", "Trude", scope="trust", place="HB")
    # The plan deadline was 20 June; ESCALATION_DAYS (14) later is a Sunday: the leaders above hear of
    # it in their weekly digest on Monday 5 July, every late unit of theirs under one heading.
    for day in (date(2027, 7, 2), date(2027, 7, 5)):
        await sweep_if_due(harness.application, at(day, harness))
    digest = trude.last
    assert digest.plain == (
        "Reminders\n\nThe units below you this week\n"
        "Medisinsk sengepost 1: the action plan is not submitted (deadline 20 June 2027)\n"
        "Kirurgisk poliklinikk: the action plan is not submitted (deadline 20 June 2027)")
    forged = next(b["callback_data"] for b in digest.buttons if b["text"] == "Remind the leader of Kirurgisk poliklinikk")
    # Only someone above the unit may press it.
    for user in (leader, rep):
        before = len(leader.messages)
        await user.press_data(forged)
        assert user.callback_answers()[-1]["text"] in ("You cannot do that for this unit.",
                                                        "Du kan ikkje gjere det for denne eininga.")
    assert len(leader.messages) == before
    await trude.press("Remind the leader of Kirurgisk poliklinikk", digest)
    assert trude.callback_answers()[-1]["text"] == "1 leader reminded."
    assert leader.last.plain.startswith("Trude, at the level above, asks about your unit's action plan")
    # Once the plan is in, the button reminds nobody.
    async with db.session() as session:
        followup = (await session.exec(select(UnitFollowup))).one()
        followup.plan_submitted_at = at(date(2027, 7, 5), harness)
    before = len(leader.messages)
    await trude.press("Remind the leader of Kirurgisk poliklinikk", digest)
    assert trude.callback_answers()[-1]["text"] == "The plan has been submitted since; nobody was reminded."
    assert len(leader.messages) == before


async def test_easter_and_christmas_hold_the_sweep_until_the_next_working_day(harness, db, team):
    leader, rep = team
    # Christmas Day and Boxing Day 2026 (Friday and Saturday) and the Sunday after: no sweep at all.
    for day in (date(2026, 12, 25), date(2026, 12, 26), date(2026, 12, 27)):
        assert await sweep_if_due(harness.application, at(day, harness)) is None, day
    assert await sweep_if_due(harness.application, at(date(2026, 12, 28), harness)) is not None
    # Results on Maundy Thursday 2027: Good Friday, the weekend and Easter Monday follow.
    await set_cycles(db, [CycleEntry("test", "HB", CycleDates(
        year=2027, survey_opens=date(2027, 2, 1), survey_closes=date(2027, 3, 1),
        results_available=date(2027, 3, 25), feedback_meeting_due=date(2027, 4, 20),
        plan_deadline=date(2027, 5, 20), status_1=date(2027, 9, 15), status_2=date(2027, 12, 1),
        status_3=date(2028, 1, 14), evaluation_deadline=date(2028, 1, 31)))])
    for day in (date(2027, 3, 25), date(2027, 3, 26), date(2027, 3, 27), date(2027, 3, 28), date(2027, 3, 29)):
        assert await sweep_if_due(harness.application, at(day, harness)) is None, day
    result = await sweep_if_due(harness.application, at(date(2027, 3, 30), harness))
    assert result.digests == 2 and "go through the results" in leader.last.plain
