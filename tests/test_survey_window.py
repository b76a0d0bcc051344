"""The survey window: leaders and reps hear when the survey opens and again halfway (the response
target and the link), through the daily digest; and a unit with fewer than 5 answers (no report of
its own) goes on with the results of the level above, the steps saying how."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import func, select

from bot.jobs import sweep_if_due
from bot.rules.cycle import CycleDates
from bot.rules.nudges import UnitSituation, due_reminders, survey_halfway
from bot.services.cycles import CycleEntry, set_cycles
from storage.models import AuditEntry, Reminder, UnitFollowup
from tests.test_reminders import at, outbox_count

HB_2027 = CycleDates(
    year=2027, survey_opens=date(2027, 2, 3), survey_closes=date(2027, 3, 3),
    results_available=date(2027, 4, 20), feedback_meeting_due=date(2027, 5, 20), plan_deadline=date(2027, 6, 18),
    status_1=date(2027, 9, 15), status_2=date(2027, 12, 1), status_3=date(2028, 1, 14),
    evaluation_deadline=date(2028, 1, 31))


@pytest.fixture
async def team(harness, db):
    harness.set_today(date(2027, 1, 25))
    leader = await harness.member(801, "leader", "Kari")
    safety = await harness.member(802, "safety_rep", "Ola", language="Nynorsk")
    union = await harness.member(803, "union_rep", "Siri", language="Bokmål")
    await set_cycles(db, [CycleEntry("test", "HB", HB_2027)])
    harness.application.bot_data["sender"].per_chat = 0
    return leader, safety, union


def url_buttons(message) -> list[tuple[str, str]]:
    return [(b["text"], b["url"]) for b in message.buttons if "url" in b]


def test_the_rule_opens_and_halfway_once_each_and_not_after_the_survey_is_done():
    situation = UnitSituation(unit_id=7, year=2027, cycle=HB_2027, done_steps=set(), plan_submitted=False,
                              leaders=[1], reps=[2, 3], above=[9])
    assert survey_halfway(HB_2027) == date(2027, 2, 17)

    def due(day, **changes):
        for name, value in changes.items():
            setattr(situation, name, value)
        return sorted((d.person_id, d.reason, d.key) for d in due_reminders(situation, day))
    assert due(date(2027, 2, 2)) == []
    opened = due(date(2027, 2, 3))
    assert opened == [(1, "survey_open", "1:survey_open:unit:7:2027"), (2, "survey_open", "2:survey_open:unit:7:2027"),
                      (3, "survey_open", "3:survey_open:unit:7:2027")]
    assert due(date(2027, 2, 16)) == opened  # the same keys: recorded once, sent once
    assert [r for _, r, _ in due(date(2027, 2, 17))] == ["survey_halfway"] * 3
    assert due(date(2027, 3, 3)) == []  # closed
    assert due(date(2027, 2, 20), done_steps={"survey"}) == []  # the leader marked the survey done


async def test_leaders_and_reps_hear_when_the_survey_opens_and_halfway(harness, db, team):
    leader, safety, union = team
    assert await sweep_if_due(harness.application, at(date(2027, 2, 2), harness)) is not None
    assert await outbox_count(db) == 0  # the trust's survey opens on 3 February

    result = await sweep_if_due(harness.application, at(date(2027, 2, 3), harness))
    assert result.digests == 3
    text = leader.last.plain
    assert text.startswith("Reminders\n\nThe ForBedring survey is open\n")
    assert ("Kirurgisk poliklinikk: the ForBedring survey is open until 3 March 2027. The target is that at least "
            "75 % answer") in text
    assert "Never chase individuals." in text
    assert url_buttons(leader.last) == [("About the survey", "https://www.sammenomforbedring.no/")]
    assert "ForBedring-undersøkinga er open til 3. mars 2027. Målet er at minst 75 % svarer" in safety.last.plain
    assert url_buttons(safety.last) == [("Om undersøkinga", "https://www.sammenomforbedring.no/")]
    assert "ForBedring-undersøkelsen er åpen til 3. mars 2027" in union.last.plain

    # The digest's step button opens the survey step, which says the target too.
    await leader.press("Open the step")
    assert "the target is 75 %" in leader.last.plain

    # Nothing more until halfway.
    for day in (date(2027, 2, 4), date(2027, 2, 5), date(2027, 2, 16)):
        await sweep_if_due(harness.application, at(day, harness))
    assert await outbox_count(db) == 3
    await sweep_if_due(harness.application, at(date(2027, 2, 17), harness))
    assert await outbox_count(db) == 6
    assert "The ForBedring survey is halfway" in leader.last.plain
    assert "the survey is halfway and closes 3 March 2027. Remind everyone once more that the target is 75 %" \
        in leader.last.plain
    assert "undersøkinga er halvvegs og stengjer 3. mars 2027" in safety.last.plain
    assert url_buttons(union.last) == [("Om undersøkelsen", "https://www.sammenomforbedring.no/")]
    for day in (date(2027, 2, 18), date(2027, 3, 3), date(2027, 3, 4)):
        await sweep_if_due(harness.application, at(day, harness))
    assert await outbox_count(db) == 6


async def test_one_message_a_day_and_the_survey_marked_done_ends_them(harness, db, team):
    leader, safety, union = team
    # The preparation marked with both reps on Wednesday 27 January: their answer is due a week later,
    # the same day as the survey opens; each rep gets one message with both.
    harness.set_today(date(2027, 1, 27))
    await leader.send("/followup")
    await leader.press("Preparation")
    await leader.press("Mark as done")
    await leader.press("Today")
    await leader.press("Save")
    await sweep_if_due(harness.application, at(date(2027, 2, 3), harness))
    assert await outbox_count(db) == 3
    text = union.last.plain
    assert "ForBedring-undersøkelsen er åpen" in text and "Du ble spurt 27. januar 2027" in text

    # The leader marks the survey done early: no halfway reminder.
    harness.set_today(date(2027, 2, 10))
    await leader.send("/followup")
    await leader.press("Survey")
    await leader.press("Mark as done")
    await leader.press("Today")
    await sweep_if_due(harness.application, at(date(2027, 2, 17), harness))
    async with db.session() as session:
        reasons = (await session.exec(select(Reminder.reason).where(Reminder.reason.like("survey%")))).all()
    assert sorted(reasons) == ["survey_open"] * 3


async def test_a_rep_can_turn_the_survey_reminders_off(harness, db, team):
    _, safety, _ = team
    await safety.send("/settings")
    await safety.press("🔔 Når undersøkinga er open")
    await sweep_if_due(harness.application, at(date(2027, 2, 3), harness))
    assert await outbox_count(db) == 2  # the leader and the union rep


async def test_fewer_than_5_answers_the_follow_up_goes_on_with_the_level_above(harness, db, team):
    leader, safety, _ = team
    harness.set_today(date(2027, 4, 22))
    await leader.send("/followup")
    await leader.press("Review with the parties")
    assert "no report of its own" not in leader.last.plain
    replies = await leader.press("Fewer than 5 answers: no report of our own")
    assert leader.callback_answers()[-1]["text"] == (
        "Noted: the follow-up goes on with the results of the level above; the steps say how.")
    step = replies[-1].plain
    assert ("Your unit had fewer than 5 answers and got no report of its own. Get the report of the level above "
            "(your section, department or clinic)") in step
    assert [b["text"] for b in replies[-1].buttons][:2] == ["Mark as done", "Undo: we got our own report"]
    async with db.session() as session:
        followup = (await session.exec(select(UnitFollowup).where(UnitFollowup.year == 2027))).one()
        assert followup.no_own_report is True
        audit = (await session.exec(select(AuditEntry).where(AuditEntry.action == "followup.no_own_report"))).all()
        assert [(a.actor, a.detail) for a in audit] == [("person:1", "yes")]

    # The overview says so, and the feedback meeting and the areas say how, to the reps as well.
    await leader.send("/followup")
    assert ("Fewer than 5 answers: no report of the unit's own. The follow-up uses the results of the level "
            "above.") in leader.last.plain
    await leader.press("Feedback meeting")
    assert "Present the results of the level above." in leader.last.plain
    await safety.send("/followup")
    await safety.press("Val av område")
    assert "Vel områda ut frå resultata frå nivået over" in safety.last.plain

    # A rep cannot mark it (forged press): refused, nothing changed.
    unit_id = followup.unit_id
    await safety.press_data(f"nor:{unit_id}:off")
    assert safety.callback_answers()[-1]["text"] == "Du kan ikkje gjere det for denne eininga."
    async with db.session() as session:
        assert (await session.exec(select(UnitFollowup.no_own_report))).one() is True

    # Undone by the leader: the guidance is as before.
    await leader.send("/followup")
    await leader.press("Review with the parties")
    await leader.press("Undo: we got our own report")
    assert leader.callback_answers()[-1]["text"] == "Noted: the unit has its own report."
    assert "no report of its own" not in leader.last.plain
    async with db.session() as session:
        assert (await session.exec(select(UnitFollowup.no_own_report))).one() is False


async def test_the_survey_reminders_cost_no_statement_per_unit_or_person(db, monkeypatch):
    """The day the survey opens every unit's leader and reps hear of it: the same fixed number of
    statements for 50 units as for 200 (the sweep of tests/test_sweep_scale.py), with the people read
    in one chunk (the statements grow with the number of chunks, not of units or people)."""
    from bench.progress_bench import generate
    from bot.services import reminders

    monkeypatch.setattr(reminders, "PEOPLE_CHUNK", 100_000)
    from storage.statements import StatementCounter
    from tests.test_sweep_scale import empty, sweep

    statements = {}
    for units in (50, 200):
        await empty(db)
        await generate(db, units=units, trusts=4, regions=2)
        with StatementCounter(db.engine) as counted:
            result = await sweep(db, date(2027, 2, 1))  # the default dates: the survey opens on 1 February
        statements[units] = counted.n
        async with db.session() as session:
            opened = (await session.exec(select(func.count()).select_from(Reminder)
                                         .where(Reminder.reason == "survey_open"))).one()
        assert result.digests == 3 * units and opened == 3 * units  # with last year's open measures besides
    assert statements[50] == statements[200] < 40
