"""/followup: the year's steps, marking a step done, the reps confirming or objecting."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from storage.models import Confirmation, StepRecord


@pytest.fixture
async def unit_team(harness):
    harness.set_today(date(2026, 5, 2))
    leader = await harness.member(101, "leader", "Kari")
    safety = await harness.member(102, "safety_rep", "Ola", language="Nynorsk")
    union = await harness.member(103, "union_rep", "Siri")
    return leader, safety, union


async def mark(leader, step: str, day: str | None = None, button: str = "Mark as done"):
    """From the follow-up overview: open the step, mark it (on `day`, or today) and save."""
    await leader.press(step)
    await leader.press(button)
    await (leader.send(day) if day else leader.press("Today"))
    return await leader.press("Save")


async def test_leader_sees_the_year_and_marks_a_step_the_reps_confirm(harness, db, unit_team):
    leader, safety, union = unit_team
    replies = await leader.send("/followup")
    text = replies[0].plain
    assert text.startswith("ForBedring 2026 · Kirurgisk poliklinikk")
    assert "⬜ 3. Review with the parties – by 29 April 2026" in text
    # The unit started on 2 May: what was due before is not asked for (issue 13), but can be marked.
    assert "⬜ 1. Preparation – by 1 February 2026 · before the unit started with the bot; can still be marked" in text
    assert "Next: Feedback meeting, by 15 May 2026." in text

    await leader.press("Review with the parties")
    assert "Go through the results with the safety rep" in leader.last.plain
    await leader.press("Mark as done")
    assert "When did it happen?" in leader.last.plain
    replies = await leader.send("28.4")
    assert replies[0].plain.startswith("Date: 28 April 2026. Who took part besides you?")
    await leader.press("union representative")  # untick the union rep
    assert [b["text"] for b in leader.last.buttons][:2] == ["☑ safety representative", "☐ union representative"]
    replies = await leader.press("Save")
    assert replies[0].plain == "Saved: “Review with the parties” done 28 April 2026. 2 representatives are asked to confirm."
    assert "✅ 3. Review with the parties – 28 April 2026" in replies[1].plain
    assert "… safety representative Ola: not answered yet" in replies[1].plain

    # Both reps got the question in their own language.
    assert safety.last.plain.startswith("Kari har merkt «Gjennomgang med partane» som ferdig (28. april 2026)")
    assert union.last.plain.endswith("Did you take part?")
    await union.press("I took part")
    assert union.last.plain == "Thank you, your answer is saved."
    await safety.press(safety.last.buttons[1]["text"])  # "I was not involved", in Nynorsk
    await safety.send("Eg var på kurs den dagen.")

    async with db.session() as session:
        record = (await session.exec(select(StepRecord))).one()
        answers = {c.role: (c.answer, c.comment) for c in (await session.exec(select(Confirmation))).all()}
    assert (record.step, record.done_on, record.parties) == ("review", date(2026, 4, 28), "leader,safety_rep")
    assert answers == {"safety_rep": ("not_involved", "Eg var på kurs den dagen."), "union_rep": ("took_part", None)}

    # The objection is shown on the overview, never hidden, and the leader was told.
    assert any("was not involved" in m.plain for m in leader.messages[-3:])
    replies = await leader.send("/followup")
    assert "⚠ safety representative Ola: was not involved – «Eg var på kurs den dagen.»" in replies[0].plain
    assert "✔ union representative Siri: took part" in replies[0].plain


async def test_dates_in_the_future_or_unreadable_are_refused(harness, db, unit_team):
    leader, _, _ = unit_team
    await leader.send("/followup")
    await leader.press("Preparation")
    await leader.press("Mark as done")
    replies = await leader.send("1. juni 2026")
    assert replies[0].plain.startswith("That date is in the future.")
    replies = await leader.send("soon")
    assert replies[0].plain.startswith("I could not read that as a date.")
    await leader.press("Yesterday")
    replies = await leader.press("Save")
    assert "done 1 May 2026" in replies[0].plain
    async with db.session() as session:
        assert (await session.exec(select(StepRecord.done_on))).one() == date(2026, 5, 1)


async def test_mark_dialog_survives_a_restart(harness, db, unit_team):
    leader, _, _ = unit_team
    await leader.send("/followup")
    await leader.press("Feedback meeting")
    await leader.press("Mark as done")
    await leader.send("30.04.2026")
    await harness.restart()
    replies = await leader.press("Save")
    assert "“Feedback meeting” done 30 April 2026" in replies[0].plain


async def test_reps_see_but_cannot_mark(harness, db, unit_team):
    _, safety, union = unit_team
    replies = await union.send("/followup")
    assert replies[0].plain.startswith("ForBedring 2026")
    await union.press("Review with the parties")
    # Only Back to press (and the step's links, tests/test_resources.py).
    assert [b["text"] for b in union.last.buttons if "url" not in b] == ["⬅ Back"]
    unit_id = int(union.last.buttons[-1]["callback_data"].split(":")[1])
    await union.press_data(f"fm:{unit_id}:review")
    assert union.callback_answers()[-1]["text"] == "You cannot do that for this unit."
    async with db.session() as session:
        assert (await session.exec(select(StepRecord))).all() == []


async def test_other_units_and_strangers_are_refused(harness, db, unit_team):
    leader, _, _ = unit_team
    other = await harness.member(110, "leader", "Per", place="AKUTT")
    await leader.send("/followup")
    unit_id = int(leader.last.buttons[0]["callback_data"].split(":")[1])
    for forged in (f"fu:{unit_id}", f"fs:{unit_id}:review", f"fm:{unit_id}:review", f"u:fu:{unit_id}"):
        await other.press_data(forged)
        assert other.callback_answers()[-1]["text"] == "You cannot do that for this unit.", forged
    stranger = harness.user(111, "Eve", language_code="en")
    await stranger.press_data(f"fm:{unit_id}:review")
    assert "I don't know you yet" in stranger.callback_answers()[-1]["text"]
    # Someone else's confirmation cannot be answered.
    await leader.press("Preparation")
    await leader.press("Mark as done")
    await leader.press("Today")
    await leader.press("Save")
    async with db.session() as session:
        confirmation_id = (await session.exec(select(Confirmation.id))).first()
    await other.press_data(f"cf:{confirmation_id}:not_involved")
    assert other.callback_answers()[-1]["text"] == "You cannot do that for this unit."
    async with db.session() as session:
        assert {c.answer for c in (await session.exec(select(Confirmation))).all()} == {None}


async def test_leader_of_two_units_chooses_first(harness, unit_team):
    leader, _, _ = unit_team
    await leader.send(f"/start {await harness.invite('leader', place='AKUTT')}")
    replies = await leader.send("/followup")
    assert replies[0].plain == "Which unit?"
    replies = await leader.press("Akuttmottaket")
    assert replies[0].plain.startswith("ForBedring 2026 · Akuttmottaket")


async def test_cancel_ends_the_dialog(harness, unit_team):
    leader, _, _ = unit_team
    await leader.send("/followup")
    await leader.press("Preparation")
    await leader.press("Mark as done")
    replies = await leader.send("/cancel")
    assert replies[0].plain == "Cancelled. Nothing was changed."
    replies = await leader.send("12.03.2026")
    assert replies[0].plain == "I didn't understand that. /help shows what you can do."
    await leader.press("Today")
    assert "That button belongs to something you already finished" in leader.callback_answers()[-1]["text"]


async def test_forged_steps_and_answers_that_do_not_fit_are_refused(harness, db, unit_team):
    leader, safety, _ = unit_team
    await leader.send("/followup")
    unit_id = int(leader.last.buttons[0]["callback_data"].split(":")[1])
    # A step that does not exist, or one that is not marked by hand: refused in the chat or as a pop-up,
    # and the press is answered once (the harness fails the test on a second answer).
    for forged in (f"fs:{unit_id}:bogus", f"fm:{unit_id}:bogus", f"fm:{unit_id}:areas"):
        replies = await leader.press_data(forged)
        refusals = [r.plain for r in replies] + [a.get("text") for a in leader.callback_answers()[-1:]]
        assert "You cannot do that for this unit." in refusals, forged
    await leader.press_data(f"fu:{unit_id}")
    await mark(leader, "Preparation")
    async with db.session() as session:
        confirmation = (await session.exec(select(Confirmation).where(Confirmation.role == "safety_rep"))).one()
    # "acknowledged" is an answer about the plan, not about a step.
    await safety.press_data(f"cf:{confirmation.id}:acknowledged")
    async with db.session() as session:
        assert (await session.get(Confirmation, confirmation.id)).answer is None
    async with db.session() as session:
        assert (await session.exec(select(StepRecord.step))).all() == ["prepare"]


async def test_an_unexpected_error_is_answered_in_the_persons_language(harness, unit_team):
    leader, safety, _ = unit_team  # Kari chose English, Ola Nynorsk
    harness.telegram.fail_next("sendMessage", 400, "Bad Request: something odd")
    replies = await leader.send("/help")
    assert replies[-1].plain.startswith("Sorry, something went wrong on my side.")
    harness.telegram.fail_next("sendMessage", 400, "Bad Request: something odd")
    replies = await safety.send("/help")
    assert replies[-1].plain.startswith("Orsak, noko gjekk gale hos meg.")


async def test_asking_again_never_hides_an_objection(harness, db, unit_team):
    leader, safety, _ = unit_team
    await leader.send("/followup")
    await mark(leader, "Review with the parties", "28.4")
    await safety.press(safety.last.buttons[1]["text"])  # "I was not involved", in Nynorsk
    await safety.send("Eg var på kurs den dagen.")
    # The leader changes the date: the reps are asked again, and the objection stays on show.
    await leader.send("/followup")
    replies = await mark(leader, "Review with the parties", "29.4", button="Change date or parties")
    overview = replies[1].plain
    assert "… safety representative Ola: not answered yet" in overview
    assert "⚠ before the leader changed it: was not involved – «Eg var på kurs den dagen.»" in overview
    replies = await leader.send("/plan")
    assert "before the leader changed it: was not involved – «Eg var på kurs den dagen.»" in replies[0].plain
    # The rep's own new answer is their word on the new round.
    await safety.press(safety.last.buttons[0]["text"])  # "I took part"
    replies = await leader.send("/followup")
    assert "✔ safety representative Ola: took part" in replies[0].plain
    assert "before the leader changed it" not in replies[0].plain


async def test_next_years_preparation_is_recorded_in_december(harness, db, unit_team):
    leader, safety, _ = unit_team
    replies = await leader.send("/followup")
    assert "Prepare ForBedring 2027" not in str(replies[0].buttons)
    harness.set_today(date(2026, 12, 10))
    replies = await leader.send("/followup")
    assert replies[0].plain.startswith("ForBedring 2026")  # this year's follow-up goes on
    replies = await leader.press("Prepare ForBedring 2027")
    assert replies[0].plain.startswith("ForBedring 2027 · Kirurgisk poliklinikk\nNext year's preparation")
    assert [b["text"] for b in replies[0].buttons] == ["⬜ Preparation", "⬅ Back"]
    replies = await mark(leader, "⬜ Preparation", "8.12")
    assert replies[0].plain.startswith("Saved: “Preparation” done 8 December 2026.")
    assert "✅ 1. Preparation – 8 December 2026" in replies[1].plain and replies[1].plain.startswith("ForBedring 2027")
    assert safety.last.plain.startswith("Kari har merkt «Førebuing» som ferdig (8. desember 2026)")
    # Only the first step of next year, and only from December: forged buttons change nothing.
    unit_id = int(leader.last.buttons[0]["callback_data"].split(":")[1])
    for forged in (f"fm:{unit_id}:review:2027", f"fs:{unit_id}:review:2027", f"fu:{unit_id}:2028"):
        await leader.press_data(forged)
        assert leader.callback_answers()[-1]["text"] == "You cannot do that for this unit.", forged
    async with db.session() as session:
        records = (await session.exec(select(StepRecord.step, StepRecord.done_on))).all()
    assert records == [("prepare", date(2026, 12, 8))]
    # In February the new year is the working year, with its preparation already done.
    harness.set_today(date(2027, 2, 2))
    replies = await leader.send("/followup")
    assert replies[0].plain.startswith("ForBedring 2027") and "✅ 1. Preparation – 8 December 2026" in replies[0].plain


async def test_a_step_begun_in_one_year_is_not_saved_into_the_next(harness, db, unit_team):
    leader, _, _ = unit_team
    harness.set_today(date(2027, 1, 29))
    await leader.send("/followup")
    await leader.press("Review with the parties")
    await leader.press("Mark as done")
    await leader.send("28.1")
    harness.set_today(date(2027, 2, 1))  # the 2027 survey year begins before Save is pressed
    replies = await leader.press("Save")
    assert replies[0].plain.startswith("A new survey year has begun since you started; nothing was saved.")
    async with db.session() as session:
        assert (await session.exec(select(StepRecord))).all() == []


async def test_a_rep_is_reminded_about_next_years_preparation_in_december(harness, db, unit_team):
    from bot.jobs import sweep_if_due
    from tests.test_reminders import at

    leader, safety, _ = unit_team
    harness.application.bot_data["sender"].per_chat = 0
    harness.set_today(date(2026, 12, 1))
    await leader.send("/followup")
    await leader.press("Prepare ForBedring 2027")
    await mark(leader, "⬜ Preparation")
    for day in (date(2026, 12, 7), date(2026, 12, 8)):
        await sweep_if_due(harness.application, at(day, harness))
    assert safety.last.plain.startswith("Påminningar\n\nSvaret ditt manglar framleis\n"
                                        "Du vart spurd 1. desember 2026 om «Førebuing» for Kirurgisk poliklinikk.")


async def test_ticking_a_rep_redraws_the_question_and_back_returns_to_the_date(harness, db, unit_team):
    leader, _, _ = unit_team
    await leader.send("/followup")
    await leader.press("Review with the parties")
    await leader.press("Mark as done")
    question = (await leader.send("28.4"))[0]
    replies = await leader.press("union representative")
    assert [r.message_id for r in replies] == [question.message_id]  # the same message, redrawn
    assert [b["text"] for b in question.buttons] == ["☑ safety representative", "☐ union representative", "Save",
                                                     "⬅ Back"]
    replies = await leader.press("⬅ Back")
    assert replies[0].plain.startswith("When did it happen?")
    assert "⬅ Back" not in [b["text"] for b in replies[0].buttons]  # nowhere further back to go
    replies = await leader.press("Yesterday")
    assert replies[0].plain.startswith("Date: 1 May 2026. Who took part besides you?")
    assert [b["text"] for b in replies[0].buttons][:2] == ["☑ safety representative", "☐ union representative"]
    await leader.press("Save")
    async with db.session() as session:
        record = (await session.exec(select(StepRecord))).one()
    assert (record.done_on, record.parties) == (date(2026, 5, 1), "leader,safety_rep")


async def test_a_comment_that_cannot_be_stored_is_refused_and_asked_again(harness, db, unit_team):
    leader, _, union = unit_team
    await leader.send("/followup")
    await mark(leader, "Review with the parties", "28.4")
    await union.press("I was not involved")
    for text in ("x" * 1001, "\x00 "):  # too long; nothing a person would see
        replies = await union.send(text)
        assert replies[0].plain.endswith("Do you want to add a comment for the leader? Write it, or press Skip.")
        assert [b["text"] for b in replies[0].buttons] == ["Skip"]
    replies = await union.press("Skip")
    assert replies[0].plain == "Thank you, your answer is saved."
    async with db.session() as session:
        answers = {c.role: (c.answer, c.comment) for c in (await session.exec(select(Confirmation))).all()}
    assert answers["union_rep"] == ("not_involved", None)


async def test_malformed_follow_up_buttons_are_refused(harness, db, unit_team):
    leader, safety, _ = unit_team
    await leader.send("/followup")
    unit_id = int(leader.last.buttons[0]["callback_data"].split(":")[1])
    for forged in ("fu:x", f"fu:{unit_id}:x", f"fs:{unit_id}", f"fs:{unit_id}:review:x", f"fm:{unit_id}:review:2027:1",
                   "cf:1:maybe", "cf:x:took_part"):
        await leader.press_data(forged)
        assert leader.callback_answers()[-1]["text"] == "You cannot do that for this unit.", forged
    async with db.session() as session:
        assert (await session.exec(select(StepRecord))).all() == []
