"""Registering a measure as a leader would, and a rep's proposal."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from storage.models import DialogState, Measure, MeasureEvent


@pytest.fixture
async def leader(harness):
    harness.set_today(date(2026, 5, 20))
    return await harness.member(201, "leader", "Kari")


async def measures(db):
    async with db.session() as session:
        return list((await session.exec(select(Measure))).all())


async def begin_draft(leader, title: str = "Medarbeidersamtaler"):
    """/newmeasure up to the title: Leadership behaviour, Improve, `title`."""
    await leader.send("/newmeasure")
    await leader.press("Leadership behaviour")
    await leader.press("Improve")
    return await leader.send(title)


async def test_register_a_measure_step_by_step(harness, db, leader):
    replies = await leader.send("/newmeasure")
    assert replies[0].plain == "Which theme is the measure about?"
    await leader.press("Teamwork climate")
    await leader.press("Improve")
    replies = await leader.send("Faste <tavlemøter> & «huddle» 😀 på mandager_")
    assert replies[0].plain.startswith("What will you do")
    await leader.send("Ti minutter hver mandag; vi merker det når avvik tas opp tidligere.")
    await leader.send("Assisterende avdelingssykepleier")
    replies = await leader.send("15. januar")  # the next 15 January: before the evaluation deadline
    card = replies[0].plain
    assert "Title: Faste <tavlemøter> & «huddle» 😀 på mandager_" in card
    assert "Deadline: 15 January 2027" in card and "Preserve or improve: improve" in card
    replies = await leader.press("Save")
    assert replies[0].plain == "Saved: “Faste <tavlemøter> & «huddle» 😀 på mandager_”. /measures shows the unit's measures."

    [measure] = await measures(db)
    assert (measure.theme, measure.kind, measure.deadline, measure.status) == (
        "teamwork", "improve", date(2027, 1, 15), "planned")
    assert measure.title == "Faste <tavlemøter> & «huddle» 😀 på mandager_"
    async with db.session() as session:
        assert (await session.exec(select(MeasureEvent.field))).all() == ["created"]
        assert (await session.exec(select(DialogState))).all() == []


async def test_back_change_a_field_and_limits(harness, db, leader):
    await leader.send("/newmeasure")
    await leader.press("Engagement")
    await leader.press("⬅ Back")
    assert leader.last.plain == "Which theme is the measure about?"
    await leader.press("Safety climate")
    await leader.press("Preserve")
    replies = await leader.send("x" * 121)
    assert replies[0].plain.startswith("That is 121 characters; the limit is 120. Please shorten it – nothing was cut.")
    replies = await leader.send("   ")
    assert replies[0].plain.startswith("That was empty.")
    await leader.send("Avviksgjennomgang")
    replies = await leader.send("y" * 1001)
    assert "That is 1,001 characters; the limit is 1,000." in replies[0].plain
    await leader.send("Vi går gjennom avvik hver uke.")
    await leader.send("Leder")
    replies = await leader.send("1.1.2020")
    assert replies[0].plain.startswith("1 January 2020 has already passed.")
    replies = await leader.send("1.6.2027")
    assert replies[0].plain.startswith("1 June 2027 is after this year's evaluation deadline (31 January 2027).")
    replies = await leader.send("31.02.2027")
    assert replies[0].plain.startswith("There is no such day.")
    await leader.press("📅 Pick a date")
    await leader.press("December 2026")
    await leader.press("24")
    assert "Deadline: 24 December 2026" in leader.last.plain
    await leader.press("Change a field")
    await leader.press("Responsible")
    replies = await leader.send("Verneombud og leder sammen")
    assert "Responsible: Verneombud og leder sammen" in replies[0].plain  # straight back to the card
    await leader.press("Save")
    [measure] = await measures(db)
    assert (measure.kind, measure.responsible, measure.deadline) == ("preserve", "Verneombud og leder sammen",
                                                                      date(2026, 12, 24))


async def test_restart_mid_registration_resumes_at_the_same_step(harness, db, leader):
    await begin_draft(leader)
    await harness.restart()
    # The next typed text is the description, as before the restart.
    replies = await leader.send("Alle får en samtale før sommeren.")
    assert replies[0].plain.startswith("Who is responsible?")
    await harness.restart()
    replies = await leader.send("/newmeasure")
    assert "You have a measure you have not finished (“Medarbeidersamtaler”)" in replies[0].plain
    replies = await leader.press("Continue")
    assert replies[0].plain.startswith("Who is responsible?")
    await leader.send("Leder")
    await leader.send("1.12.2026")
    await leader.press("Save")
    [measure] = await measures(db)
    assert (measure.title, measure.description) == ("Medarbeidersamtaler", "Alle får en samtale før sommeren.")


async def test_idea_bank_gives_a_starting_point(harness, db, leader):
    await leader.send("/newmeasure")
    await leader.press("Physical environment")
    await leader.press("Improve")
    replies = await leader.press("💡 Ideas")
    assert replies[0].plain.startswith("Ideas to start from")
    first_idea = replies[0].buttons[0]["text"]
    replies = await leader.press(first_idea)
    assert replies[-1].plain.startswith("Who is responsible?")
    await leader.send("Driftskoordinator")
    await leader.send("1.10.2026")
    await leader.press("Save")
    [measure] = await measures(db)
    assert measure.title.startswith(first_idea[:20]) and measure.description


async def test_old_buttons_and_cancel(harness, db, leader):
    await leader.send("/newmeasure")
    old_theme_message = leader.last
    await leader.send("/cancel")
    await leader.press("Engagement", message=old_theme_message)
    assert "already finished or cancelled" in leader.callback_answers()[-1]["text"]
    assert await measures(db) == []


async def test_strangers_and_reps_cannot_register_for_a_unit(harness, db, leader):
    rep = await harness.member(202, "safety_rep", "Ola")
    await leader.send("/newmeasure")
    unit_id = None
    async with db.session() as session:
        unit_id = (await session.exec(select(DialogState))).one()
    await rep.send("/newmeasure")
    assert rep.last.plain == "You have no unit where you can do this."
    await rep.press_data("nm:2")
    assert rep.callback_answers()[-1]["text"] == "You cannot do that for this unit."
    # The leader's dialog token in someone else's hands is nothing.
    await rep.press_data(f"ms:{unit_id.token}:save")
    assert "already finished or cancelled" in rep.callback_answers()[-1]["text"]


async def test_register_in_bokmal(harness, db):
    harness.set_today(date(2026, 5, 20))
    leader = await harness.member(210, "leader", "Kari", language="Bokmål")
    replies = await leader.send("/nyttiltak")
    assert replies[0].plain == "Hvilket tema gjelder tiltaket?"
    await leader.press("Lederatferd")
    await leader.press("Forbedre")
    await leader.send("Medarbeidersamtaler")
    await leader.send("Alle får en samtale før sommeren; vi ser det i neste måling.")
    await leader.send("Avdelingsleder")
    await leader.press("📅 Velg en dato")
    await leader.press("oktober 2026")
    replies = await leader.press("15")
    assert "Frist: 15. oktober 2026" in replies[0].plain
    replies = await leader.press("Lagre")
    assert replies[0].plain.startswith("Lagret: «Medarbeidersamtaler».")
    [measure] = await measures(db)
    assert (measure.theme, measure.kind, measure.deadline) == ("leadership", "improve", date(2026, 10, 15))


async def test_saving_and_closing_the_draft_are_one_transaction(harness, db, leader, monkeypatch):
    """A failure while saving keeps the draft; the Save that then works saves it once, and a
    Save pressed again on the same card saves nothing more."""
    from bot.services import measures as measure_service

    await begin_draft(leader)
    await leader.send("Alle får en samtale.")
    await leader.send("Leder")
    await leader.send("1.12.2026")
    card = leader.last
    real_add = measure_service.store.add_measure

    async def failing_add(session, measure, person_id):
        await real_add(session, measure, person_id)
        raise RuntimeError("the database went away")

    monkeypatch.setattr(measure_service.store, "add_measure", failing_add)
    replies = await leader.press("Save", card)
    assert replies[-1].plain.startswith("Sorry, something went wrong on my side.")
    async with db.session() as session:
        assert (await session.exec(select(DialogState))).one().step == "summary"
    assert await measures(db) == []
    monkeypatch.setattr(measure_service.store, "add_measure", real_add)
    # The process dies right after the save: whatever runs next must not find the draft open.
    from bot import dialogs

    async def killed(context):
        raise RuntimeError("killed")

    monkeypatch.setattr(dialogs, "end", killed)
    await leader.press("Save", card)
    monkeypatch.undo()
    await harness.restart()
    await leader.press("Save", card)
    assert "already finished or cancelled" in leader.callback_answers()[-1]["text"]
    assert len(await measures(db)) == 1


async def test_invisible_nul_characters_are_dropped_on_every_database(harness, db, leader):
    await begin_draft(leader, "Medarbeider\x00samtaler")
    await leader.send("Alle\x00 får en samtale.")
    await leader.send("Leder")
    await leader.send("1.12.2026")
    await leader.press("Save")
    [measure] = await measures(db)
    assert (measure.title, measure.description) == ("Medarbeidersamtaler", "Alle får en samtale.")


async def test_a_draft_waits_while_the_leader_marks_a_step(harness, db, leader):
    await begin_draft(leader)
    # Something else first: the feedback meeting was held today.
    await leader.send("/followup")
    await leader.press("Feedback meeting")
    await leader.press("Mark as done")
    await leader.press("Today")
    replies = await leader.press("Save")
    assert replies[0].plain.startswith("Saved: “Feedback meeting” done")
    replies = await leader.send("/newmeasure")
    assert "You have a measure you have not finished (“Medarbeidersamtaler”)" in replies[0].plain
    replies = await leader.press("Continue")
    assert replies[0].plain.startswith("What will you do, and how will you notice that it works?")
    await leader.send("Alle får en samtale.")
    await leader.send("Leder")
    await leader.send("1.12.2026")
    await leader.press("Save")
    [measure] = await measures(db)
    assert (measure.title, measure.description) == ("Medarbeidersamtaler", "Alle får en samtale.")


async def test_a_draft_set_aside_is_offered_again_by_newmeasure(harness, db, leader):
    await leader.send("/newmeasure")
    await leader.press("Leadership behaviour")
    await leader.press("Improve")
    replies = await leader.send("\x00\x00")  # nothing a person can see: refused like an empty title
    assert replies[0].plain.startswith("That was empty. Please write something.")
    await leader.send("Medarbeidersamtaler")
    await leader.send("/followup")
    await leader.press("Feedback meeting")
    await leader.press("Mark as done")  # and then, instead of a date, a new measure
    replies = await leader.send("/newmeasure")
    assert "You have a measure you have not finished (“Medarbeidersamtaler”)" in replies[0].plain
    replies = await leader.press("Continue")
    assert replies[0].plain.startswith("What will you do, and how will you notice that it works?")
