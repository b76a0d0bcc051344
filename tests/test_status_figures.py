"""Who owes a quarterly status, and for which date: a measure registered after the status
date owes none; a trust that has had no status date yet is not counted; "on track" for a
measure past its deadline waits for a new deadline."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from sqlmodel import select

from bot.jobs import sweep_if_due
from bot.rules.cycle import default_cycle
from bot.services.cycles import CycleEntry, set_cycles
from storage.models import Measure, MeasureEvent
from tests.test_measures import register
from tests.test_progress import known  # noqa: F401 (a fixture)
from tests.test_reminders import at, team  # noqa: F401 (a fixture)
from tests.test_reminders_year import set_status


def with_status_1(trust: str, status_1: date) -> CycleEntry:
    """Trust `trust` keeps the default dates of 2026 but for its first quarterly date."""
    return CycleEntry("test", trust, replace(default_cycle(2026), status_1=status_1))


async def test_a_measure_registered_after_the_status_date_owes_no_status(harness, db, known):
    admin, _ = known
    # Medisinsk sengepost 1 gave its one open measure a status on 20 September, after the
    # status date of 15 September; today (1 October) it registers one more.
    leader = await harness.member(970, "leader", "Lise", place="MED1", trust="HB")
    await register(leader, "Nytt tiltak", deadline="1.12.2026")
    lines = (await admin.send("/overdue"))[0].plain.splitlines()
    assert "Medisinsk sengepost 1 (Helse Bergen) – since 1 September 2026: 1 measure" in lines
    assert "Updated their measures since 15 September 2026: 67%" in (await admin.send("/progress"))[0].plain


async def test_a_measure_registered_after_the_last_status_date_leaves_the_step_done(harness, db, team):
    leader, _ = team
    harness.set_today(date(2027, 6, 2))
    await register(leader, "Tavlemøte", deadline="1.12.2027")
    # After the last status date (14 January 2028) the measure gets its status, then a new one comes.
    harness.set_today(date(2028, 1, 17))
    await set_status(leader, "Tavlemøte", "done")
    harness.set_today(date(2028, 1, 18))
    await register(leader, "Ny rutine", deadline="30.1.2028")
    text = (await leader.send("/followup"))[0].plain
    assert any(line.startswith("✅") and "Quarterly follow-up" in line for line in text.splitlines()), text


async def test_a_trust_without_a_status_date_yet_is_not_counted_as_not_updated(harness, db, known):
    admin, _ = known
    # Oslo universitetssykehus has its first status date on 15 October: its unit owes no status yet.
    await set_cycles(db, [with_status_1("OUS", date(2026, 10, 15))])
    text = (await admin.send("/progress"))[0].plain
    assert "Updated their measures since 15 September 2026: 50%" in text  # one of Helse Bergen's two units
    # With another date (10 September) the line says that the dates differ.
    await set_cycles(db, [with_status_1("OUS", date(2026, 9, 10))])
    text = (await admin.send("/progress"))[0].plain
    assert ("Updated their measures since their trust's last status date (10 September 2026 to 15 September "
            "2026): 67%") in text


async def test_on_track_past_the_deadline_asks_for_a_new_deadline(harness, db, team):
    leader, _ = team
    harness.set_today(date(2027, 6, 2))
    await register(leader, "Tavlemøte", deadline="15.9.2027")
    await sweep_if_due(harness.application, at(date(2027, 9, 15), harness))
    digest = leader.last
    assert "Quarterly status for the measures" in digest.plain
    # The leader answers the next day, when the deadline has passed.
    harness.set_today(date(2027, 9, 16))
    replies = await leader.press("In progress", digest)
    assert replies[-1].plain == ("“Tavlemøte” was due 15 September 2027. To go on with it, give it a new deadline. "
                                 "By when? Write a date (for example 15.03.2027).")
    async with db.session() as session:
        assert (await session.exec(select(MeasureEvent.field))).all() == ["created"]  # nothing saved yet
    replies = await leader.send("1.11.2027")
    assert replies[0].plain == "Saved: In progress, with the new deadline 1 November 2027."
    async with db.session() as session:
        measure = (await session.exec(select(Measure))).one()
        events = (await session.exec(select(MeasureEvent.field, MeasureEvent.new).order_by(MeasureEvent.id))).all()
    assert measure.deadline == date(2027, 11, 1) and measure.status == "in_progress"
    assert events[1:] == [("deadline", "2027-11-01"), ("quarterly", "on_track"), ("status", "in_progress")]
    # The next morning no reminder calls it overdue.
    before = len(leader.messages)
    await sweep_if_due(harness.application, at(date(2027, 9, 17), harness))
    assert not any("overdue" in m.plain for m in leader.messages[before:])
    # Done, stuck and dropped need no new deadline.
    harness.set_today(date(2027, 11, 2))
    replies = await leader.press("Stuck", digest)
    assert leader.callback_answers()[-1]["text"] == "Saved: Stuck"
