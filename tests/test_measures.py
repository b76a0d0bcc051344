"""/measures: updating, evaluating, history; proposals from reps; authorisation."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from conversations import routes
from storage.models import Measure, MeasureEvent


async def register(leader, title="Tavlemøte", kind="Improve", theme="Teamwork climate", deadline="1.12.2026"):
    await leader.send("/newmeasure")
    if leader.last.plain == "Which of your areas is the measure for?":  # the unit has chosen areas (issue 13)
        await leader.press("Another theme")
    await leader.press(theme)
    await leader.press(kind)
    if "is not one of the areas you chose" in leader.last.plain:
        await leader.press("Yes, register it")
    await leader.send(title)
    await leader.send("Hver mandag.")
    await leader.send("Leder")
    await leader.send(deadline)
    await leader.press("Save")


@pytest.fixture
async def team(harness):
    harness.set_today(date(2026, 6, 1))
    leader = await harness.member(301, "leader", "Kari")
    rep = await harness.member(302, "safety_rep", "Ola", language="Nynorsk")
    await register(leader)
    return leader, rep


async def the_measure(db):
    async with db.session() as session:
        return (await session.exec(select(Measure))).one()


async def test_update_status_with_comment_and_history(harness, db, team):
    leader, _ = team
    replies = await leader.send("/measures")
    assert "🗓 Tavlemøte – improve, Teamwork climate; by 1 December 2026" in replies[0].plain
    await leader.press("Tavlemøte")
    await leader.press("in progress")
    assert leader.last.plain.startswith("Status saved: in progress.")
    await leader.send("Startet i uke 23")
    await leader.press("Responsible")
    await leader.send("Fagutviklingssykepleier")
    await leader.press("Deadline")
    replies = await leader.send("1.1.2020")
    assert "has already passed" in replies[0].plain
    await leader.send("15.12.2026")
    await leader.press("Evaluate")
    await leader.press("it partly worked")
    await leader.send("Bra oppmøte, men ikke på natt.")
    replies = await leader.press("History")
    text = replies[0].plain
    assert "Status: 🔄 in progress" in text and "Evaluation: it partly worked – Bra oppmøte, men ikke på natt." in text
    assert "Kari · Status: in progress\n" in text and "Kari · Comment «Startet i uke 23»" in text and "Kari · Deadline: 15 December 2026" in text
    m = await the_measure(db)
    assert (m.status, m.responsible, m.deadline, m.evaluation) == ("in_progress", "Fagutviklingssykepleier",
                                                                   date(2026, 12, 15), "partly")
    async with db.session() as session:
        fields = [e.field for e in (await session.exec(select(MeasureEvent).order_by(MeasureEvent.id))).all()]
    assert fields == ["created", "status", "comment", "responsible", "deadline", "evaluation", "evaluation_why"]


async def test_rep_sees_but_cannot_change(harness, db, team):
    _, rep = team
    replies = await rep.send("/measures")
    assert "Tavlemøte" in replies[0].plain
    m = await the_measure(db)
    await rep.press_data(routes.MEASURE_STATUS.build(m.id, "done"))
    await rep.press_data(routes.MEASURE_UPDATE.build(m.id, "responsible"))
    assert [a["text"] for a in rep.callback_answers()[-2:]] == ["Du kan ikkje gjere det for denne eininga."] * 2
    assert (await the_measure(db)).status == "planned"


async def test_other_leaders_and_strangers_are_refused_and_nothing_changes(harness, db, team, caplog):
    other = await harness.member(303, "leader", "Per", place="AKUTT")
    other_rep = await harness.member(304, "union_rep", "Ali", place="AKUTT")
    stranger = harness.user(305, "Eve", language_code="en")
    m = await the_measure(db)
    for user in (other, other_rep):
        for forged in (routes.MEASURE.build(m.id), routes.MEASURE_STATUS.build(m.id, "dropped"),
                       routes.MEASURE_UPDATE.build(m.id, "evaluate"), routes.MEASURE_HISTORY.build(m.id),
                       routes.PROPOSAL_ANSWER.build(m.id, "accept"), routes.PROPOSAL_ANSWER.build(m.id, "decline"),
                       routes.MEASURE_LIST.build(m.unit_id), routes.PROPOSE.build(m.unit_id),
                       routes.NEW_MEASURE.build(m.unit_id)):
            await user.press_data(forged)
            assert user.callback_answers()[-1]["text"] == "You cannot do that for this unit.", forged
    await stranger.press_data(routes.MEASURE_STATUS.build(m.id, "dropped"))
    assert "I don't know you yet" in stranger.callback_answers()[-1]["text"]
    refusals = [r.getMessage() for r in caplog.records if r.getMessage().startswith("refused")]
    assert "refused: user 303 tried to change measure 1 with 'mt:1:dropped'" in refusals
    assert "refused: user 304 tried to decide proposal 1" in refusals
    assert (await the_measure(db)).status == "planned"
    async with db.session() as session:
        assert len((await session.exec(select(MeasureEvent))).all()) == 1


async def test_rep_proposes_leader_declines_with_reason_then_accepts_another(harness, db, team):
    leader, rep = team
    await rep.send("/propose")
    await rep.press(rep.last.buttons[0]["text"])  # the first theme, in Nynorsk
    await rep.press(rep.last.buttons[0]["text"])  # preserve
    await rep.send("Fagdag kvar månad")
    await rep.send("Vi held fram med fagdagane.")
    await rep.send("Verneombodet")
    await rep.send("1.11.2026")
    await rep.press(rep.last.buttons[0]["text"])  # send to the leader
    async with db.session() as session:
        proposal = (await session.exec(select(Measure).where(Measure.proposal == "pending"))).one()
    assert "proposes a measure" in leader.last.plain and "Fagdag kvar månad" in leader.last.plain
    await leader.press("Decline")
    await leader.send("Vi har ikke budsjett i år.")
    assert "Vi har ikke budsjett i år." in rep.last.plain
    async with db.session() as session:
        proposal = await session.get(Measure, proposal.id)
    assert (proposal.proposal, proposal.decline_reason) == ("declined", "Vi har ikke budsjett i år.")
    # A declined proposal can no longer be accepted with an old button.
    await leader.press_data(f"pa:{proposal.id}:accept")
    assert leader.callback_answers()[-1]["text"] == "You cannot do that for this unit."

    await rep.send("/propose")
    await rep.press(rep.last.buttons[1]["text"])
    await rep.press(rep.last.buttons[1]["text"])
    await rep.send("Pauserom")
    await rep.send("Eit stille rom.")
    await rep.send("Leiar")
    await rep.send("1.11.2026")
    await rep.press(rep.last.buttons[0]["text"])
    await leader.press("Accept")
    assert "is now in the plan" in leader.last.plain
    async with db.session() as session:
        states = sorted((m.title, m.proposal) for m in (await session.exec(select(Measure))).all())
    assert states == [("Fagdag kvar månad", "declined"), ("Pauserom", "accepted"), ("Tavlemøte", None)]


async def test_the_year_is_followed_up_until_its_evaluation_deadline(harness, db, team):
    leader, _ = team
    # December and January: the last quarterly status and the evaluation still belong to 2026.
    for day in (date(2026, 12, 2), date(2027, 1, 20)):
        harness.set_today(day)
        replies = await leader.send("/measures")
        assert "Tavlemøte" in replies[0].plain, day
        replies = await leader.send("/followup")
        assert replies[0].plain.startswith("ForBedring 2026"), day
    await leader.send("/measures")
    await leader.press("Tavlemøte")
    await leader.press("Evaluate")
    await leader.press("it worked")
    await leader.send("Alle møter opp.")
    assert (await the_measure(db)).evaluation == "yes"
    # After the evaluation deadline the new survey year begins.
    harness.set_today(date(2027, 2, 2))
    replies = await leader.send("/followup")
    assert replies[0].plain.startswith("ForBedring 2027")
    replies = await leader.send("/measures")
    assert "Tavlemøte" not in replies[0].plain


async def test_back_on_why_returns_to_the_evaluation_choice(harness, db, team):
    leader, _ = team
    await leader.send("/measures")
    await leader.press("Tavlemøte")
    await leader.press("Evaluate")
    replies = await leader.send("Det virket")  # the choice is made with the buttons
    assert replies[0].plain == "Please use the buttons for this step.\n\nDid the measure work?"
    await leader.press("it did not work")
    replies = await leader.press("⬅ Back")
    assert replies[0].plain == "Did the measure work?"
    await leader.press("it worked")
    await leader.send("Alle møter opp.")
    assert ((await the_measure(db)).evaluation, (await the_measure(db)).evaluation_why) == ("yes", "Alle møter opp.")


async def test_an_old_skip_button_changes_nothing_and_the_open_question_stays(harness, db, team):
    leader, _ = team
    await leader.send("/measures")
    await leader.press("Tavlemøte")
    first = (await leader.press("in progress"))[0]
    await leader.press("Skip")
    await leader.press("done")  # a new question about a comment
    await leader.press("Skip", first)
    assert leader.callback_answers()[-1]["text"] == (
        "That button belongs to something you already finished or cancelled.")
    await leader.send("Ferdig i uke 30")
    async with db.session() as session:
        events = (await session.exec(select(MeasureEvent.field, MeasureEvent.comment)
                                     .order_by(MeasureEvent.id))).all()
    assert events[1:] == [("status", None), ("status", None), ("comment", "Ferdig i uke 30")]


async def test_a_draft_waits_while_the_leader_changes_a_measure(harness, db, team):
    leader, _ = team
    await leader.send("/newmeasure")
    await leader.press("Engagement")
    await leader.press("Preserve")
    await leader.send("Fagdager")
    await leader.send("/measures")
    await leader.press("Tavlemøte")
    await leader.press("Deadline")
    replies = await leader.send("1.12.2026")
    assert replies[0].plain == "Saved."
    replies = await leader.send("Vi holder fram med fagdagene.")  # the draft is open again, at its step
    assert replies[0].plain.startswith("Who is responsible?")
