"""A member of the unit named responsible gets the measure's due and overdue reminders and its
quarterly one-tap, in the one digest a day; a new survey year reminds the leader of last year's
open measures (issue 13)."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
from sqlmodel import select

from bot.jobs import sweep_if_due
from storage.models import Measure, MeasureEvent, Person


async def register_for(leader, title: str, who: str, deadline: str, typed: bool = False):
    await leader.send("/newmeasure")
    await leader.press("Teamwork climate")
    await leader.press("Improve")
    await leader.send(title)
    await leader.send("Hver mandag.")
    await (leader.send(who) if typed else leader.press(who))
    await leader.send(deadline)
    await leader.press("Save")


@pytest.fixture
async def unit(harness):
    harness.set_today(date(2026, 5, 10))
    leader = await harness.member(1601, "leader", "Kari")
    rep = await harness.member(1602, "safety_rep", "Ola")
    union = await harness.member(1603, "union_rep", "Siri")
    await register_for(leader, "Tavlemøte", "Ola (safety representative)", "20.9.2026")
    await register_for(leader, "Fagdag", "Avdelingssjefen", "18.9.2026", typed=True)
    harness.application.bot_data["sender"].per_chat = 0
    return leader, rep, union


async def sweep_on(harness, day: date):
    harness.set_today(day)
    await sweep_if_due(harness.application, datetime.combine(day, time(9, 0), harness.settings.bot_timezone))


async def test_the_member_responsible_gets_the_measures_reminders_and_its_one_tap(harness, db, unit):
    leader, rep, union = unit
    before = len(rep.messages)
    await sweep_on(harness, date(2026, 9, 15))
    # One message that day: the measure's quarterly one-tap and its coming deadline together.
    new = rep.messages[before:]
    assert len(new) == 1
    text = new[0].plain
    assert "Quarterly status for your measure\n“Tavlemøte”: you are responsible for it. Give it a short status – one tap." in text
    assert "A measure is due in a week\n“Tavlemøte” is due 20 September 2026." in text
    assert "Fagdag" not in text  # typed as a name: nobody in the bot gets its reminders
    labels = [b["text"] for b in new[0].buttons]
    assert labels[labels.index("Tavlemøte"):][:5] == ["Tavlemøte", "Done", "In progress", "Stuck", "Dropped"]
    # The union rep, responsible for nothing, hears nothing of it; the leader gets the unit's status.
    assert not any("Tavlemøte" in m.plain for m in union.messages)
    assert "Quarterly status for the measures" in leader.last.plain

    await rep.press("In progress", new[0])
    assert rep.callback_answers()[-1]["text"] == "Saved: In progress"
    async with db.session() as session:
        measures = {m.title: m for m in (await session.exec(select(Measure))).all()}
        ola = (await session.exec(select(Person).where(Person.telegram_user_id == 1602))).one()
        event = (await session.exec(select(MeasureEvent).where(MeasureEvent.field == "quarterly"))).one()
    assert measures["Tavlemøte"].status == "in_progress" and event.person_id == ola.id
    # Not a measure Ola is responsible for: refused, nothing saved.
    await rep.press_data(f"qs:{measures['Fagdag'].id}:done")
    assert rep.callback_answers()[-1]["text"] == "You cannot do that for this unit."
    await union.press_data(f"qs:{measures['Tavlemøte'].id}:done")
    assert union.callback_answers()[-1]["text"] == "You cannot do that for this unit."
    async with db.session() as session:
        assert (await session.get(Measure, measures["Fagdag"].id)).status == "planned"

    # Overdue: the member responsible is told too.
    before = len(rep.messages)
    await sweep_on(harness, date(2026, 9, 21))
    assert "“Tavlemøte” was due 20 September 2026. Update its status or its deadline." in rep.messages[before].plain


async def test_a_new_survey_year_reminds_the_leader_of_last_years_open_measures(harness, db, unit):
    leader, rep, union = unit
    await sweep_on(harness, date(2027, 2, 2))
    digest = next(m for m in reversed(leader.messages) if "A new survey year" in m.plain)
    assert "Kirurgisk poliklinikk: a new survey year has begun. For each of last year's open measures: carry it on, " \
           "or close it with its evaluation – one tap each." in digest.plain
    assert not any("A new survey year" in m.plain for m in rep.messages)
    replies = await leader.press("Last year's open measures", digest)
    assert replies[0].plain.startswith("ForBedring 2027 has begun · Kirurgisk poliklinikk")
    assert "2 measures from 2026 are still open." in replies[0].plain


async def test_the_card_changes_the_responsible_to_a_member_or_a_typed_name(harness, db, unit):
    leader, rep, union = unit
    await leader.send("/measures")
    await leader.press("Fagdag")
    replies = await leader.press("Responsible")
    assert replies[0].plain.startswith("Who is responsible? Choose a member of the unit")
    await leader.press("Siri (union representative)")
    async with db.session() as session:
        siri = (await session.exec(select(Person).where(Person.telegram_user_id == 1603))).one()
        fagdag = (await session.exec(select(Measure).where(Measure.title == "Fagdag"))).one()
    assert (fagdag.responsible, fagdag.responsible_person_id) == ("Siri", siri.id)
    await leader.send("/measures")
    await leader.press("Fagdag")
    await leader.press("Responsible")
    await leader.send("Avdelingssjefen")
    async with db.session() as session:
        fagdag = (await session.exec(select(Measure).where(Measure.title == "Fagdag"))).one()
    assert (fagdag.responsible, fagdag.responsible_person_id) == ("Avdelingssjefen", None)


def test_a_responsible_who_is_no_longer_a_member_hears_nothing():
    from bot.rules.cycle import default_cycle
    from bot.rules.nudges import OpenMeasure, UnitSituation, due_reminders

    def situation(reps):
        return UnitSituation(unit_id=1, year=2026, cycle=default_cycle(2026), done_steps=set(), plan_submitted=True,
                             leaders=[10], reps=reps, above=[],
                             open_measures=[OpenMeasure(5, "Tavlemøte", date(2026, 9, 20), responsible=11)])
    day = date(2026, 9, 15)
    assert {(d.person_id, d.reason) for d in due_reminders(situation([11]), day)} == {
        (10, "status"), (10, "measure_due"), (11, "measure_due"), (11, "status_own")}
    assert {(d.person_id, d.reason) for d in due_reminders(situation([]), day)} == {(10, "status"), (10, "measure_due")}
