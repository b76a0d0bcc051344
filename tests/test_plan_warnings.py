"""Submitting the plan warns first (one tap to go on) when the review or the feedback meeting is not
marked done or a rep's objection is not answered; the leader answers an objection and the rep sees
the answer; the leaders hear of each objection once (issue 13)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from storage.models import Confirmation, UnitFollowup
from tests.test_followup import mark
from tests.test_measures import register


@pytest.fixture
async def team(harness):
    harness.set_today(date(2026, 6, 1))
    leader = await harness.member(1501, "leader", "Kari")
    safety = await harness.member(1502, "safety_rep", "Ola")
    union = await harness.member(1503, "union_rep", "Siri")
    await register(leader, "Tavlemøte", kind="Improve")
    await register(leader, "Fagdager", kind="Preserve", theme="Engagement")
    return leader, safety, union


def notices_about(user, words: str) -> list[str]:
    return [m.plain for m in user.messages if words in m.plain]


async def test_warnings_before_submitting_an_answered_objection_and_one_notice_each(harness, db, team):
    leader, safety, union = team
    await leader.send("/followup")
    await mark(leader, "Review with the parties")
    await union.press("I was not involved")
    await union.send("Jeg ble ikke spurt.")
    await safety.press("I was not involved")
    await safety.press("Skip")
    # One notice per objection, with the comment when there is one.
    assert notices_about(leader, "was not involved") == [
        "Union representative Siri (Kirurgisk poliklinikk): was not involved. «Jeg ble ikke spurt.»",
        "Safety representative Ola (Kirurgisk poliklinikk): was not involved."]

    await leader.send("/plan")
    replies = await leader.press("Submit the plan")
    assert replies[0].plain == ("Before you submit the plan:\n⚠ The feedback meeting is not marked done.\n"
                                "⚠ A representative has an objection you have not answered.")
    async with db.session() as session:
        assert (await session.exec(select(UnitFollowup.plan_submitted_at))).one() is None

    # The leader answers Siri's objection from the notice; a rep cannot answer one.
    async with db.session() as session:
        siri_objection = (await session.exec(select(Confirmation).where(Confirmation.comment.is_not(None)))).one()
    await safety.press_data(f"oa:{siri_objection.id}")
    assert safety.callback_answers()[-1]["text"] == "You cannot do that for this unit."
    notice = next(m for m in leader.messages if "Jeg ble ikke spurt" in m.plain)
    replies = await leader.press("Answer the objection", notice)
    assert replies[0].plain.startswith("Write your answer to the objection.")
    replies = await leader.send("Beklager – vi tar et nytt møte med deg.")
    assert replies[0].plain == "Your answer is saved. The representative is told, and it is shown with the objection."
    assert union.last.plain == \
        "Kari has answered your objection (Kirurgisk poliklinikk): «Beklager – vi tar et nytt møte med deg.»"
    replies = await union.send("/plan")
    assert "⚠ union representative Siri: was not involved – «Jeg ble ikke spurt.»\n" \
           "      ↳ the leader's answer: «Beklager – vi tar et nytt møte med deg.»" in replies[0].plain
    # Ola's objection is still unanswered: /plan offers to answer it.
    replies = await leader.send("/plan")
    assert [b["text"] for b in replies[-1].buttons][:2] == ["Submit the plan", "Answer Ola's objection"]
    await leader.press("Answer Ola's objection")
    await leader.send("Du var på kurs; vi går gjennom det sammen.")
    assert safety.last.plain.startswith("Kari has answered your objection")

    await leader.send("/followup")
    await mark(leader, "Feedback meeting")
    replies = await leader.send("/plan")
    replies = await leader.press("Submit the plan")  # nothing to warn about: submitted at once
    assert replies[0].plain == "The plan is submitted. 2 representatives are asked to acknowledge it."


async def test_submit_anyway_after_the_warning(harness, db, team):
    leader, safety, union = team
    await leader.send("/plan")
    replies = await leader.press("Submit the plan")
    assert replies[0].plain.startswith("Before you submit the plan:\n⚠ The review with the parties is not marked done.")
    replies = await leader.press("Submit anyway")
    assert replies[0].plain == "The plan is submitted. 2 representatives are asked to acknowledge it."
    await union.press("Object")
    await union.send("Ikke drøftet.")
    assert notices_about(leader, "objects to the plan") == [
        "Union representative Siri (Kirurgisk poliklinikk): objects to the plan. «Ikke drøftet.»"]
    # A rep's forged "submit anyway" changes nothing.
    async with db.session() as session:
        followup = (await session.exec(select(UnitFollowup))).one()
    await safety.press_data(f"ps:{followup.unit_id}:go")
    assert safety.callback_answers()[-1]["text"] == "You cannot do that for this unit."


async def test_a_new_objection_after_an_answered_one_is_open_again(harness, db, team):
    """The leader's answer belongs to the objection it answered: once the rep objects anew (after the
    leader changed the step), the new objection is unanswered – warned of, offered to answer, shown
    without the old answer."""
    leader, safety, union = team
    await leader.send("/followup")
    await mark(leader, "Review with the parties", "28.5")
    await union.press("I was not involved")
    await union.send("Jeg ble ikke spurt.")
    await safety.press("I took part")
    notice = next(m for m in leader.messages if "Jeg ble ikke spurt" in m.plain)
    await leader.press("Answer the objection", notice)
    await leader.send("Beklager – vi tar et nytt møte.")
    # The leader changes the date: the rep is asked again; the answered objection stays on show
    # as the earlier one, with its answer, and is not open.
    await leader.send("/followup")
    replies = await mark(leader, "Review with the parties", "30.5", button="Change date or parties")
    overview = replies[1].plain
    assert "… union representative Siri: not answered yet\n" \
           "      ⚠ before the leader changed it: was not involved – «Jeg ble ikke spurt.»\n" \
           "      ↳ the leader's answer: «Beklager – vi tar et nytt møte.»" in overview
    replies = await leader.send("/plan")
    assert "Answer Siri's objection" not in [b["text"] for b in replies[-1].buttons]

    # Siri objects to the new round as well: that objection has no answer yet.
    await union.press("I was not involved")
    await union.send("Fortsatt ikke spurt.")
    async with db.session() as session:
        siri = (await session.exec(select(Confirmation).where(Confirmation.comment == "Fortsatt ikke spurt."))).one()
    assert (siri.leader_reply, siri.leader_reply_at, siri.leader_reply_by) == (None, None, None)
    replies = await leader.send("/plan")
    assert "Beklager – vi tar et nytt møte." not in replies[0].plain
    assert "⚠ union representative Siri: was not involved – «Fortsatt ikke spurt.»" in replies[0].plain
    assert "Answer Siri's objection" in [b["text"] for b in replies[-1].buttons]
    replies = await leader.press("Submit the plan")
    assert "⚠ A representative has an objection you have not answered." in replies[0].plain
    async with db.session() as session:
        assert (await session.exec(select(UnitFollowup.plan_submitted_at))).one() is None


async def test_an_objection_of_an_earlier_year_is_not_answered(harness, db):
    """Once the next survey year has begun, last year's objections are history: the leader's answer
    (begun before, or from the old notice) is refused with a clear word and nothing changes."""
    harness.set_today(date(2025, 5, 10))
    leader = await harness.member(1511, "leader", "Kari")
    union = await harness.member(1513, "union_rep", "Siri")
    await leader.send("/followup")
    await mark(leader, "Review with the parties", "8.5")
    await union.press("I was not involved")
    await union.send("Jeg ble ikke spurt.")
    notice = next(m for m in leader.messages if "Jeg ble ikke spurt" in m.plain)
    replies = await leader.press("Answer the objection", notice)
    assert replies[0].plain.startswith("Write your answer to the objection.")

    harness.set_today(date(2026, 2, 10))  # ForBedring 2026 has begun
    replies = await leader.send("Beklager.")
    assert replies[0].plain == ("A new survey year has begun since you started; nothing was saved. "
                                "Open /followup to see the new year.")
    await leader.press("Answer the objection", notice)
    assert leader.callback_answers()[-1]["text"] == (
        "That objection belongs to an earlier survey year's plan, which is history now: it can no longer be answered.")
    await leader.send("Beklager.")  # no dialog was begun: nothing is saved
    assert all("Your answer is saved" not in m.plain for m in leader.messages)
    async with db.session() as session:
        siri = (await session.exec(select(Confirmation))).one()
    assert (siri.leader_reply, siri.leader_reply_at, siri.leader_reply_by) == (None, None, None)
    assert union.last.plain != "Kari has answered your objection (Kirurgisk poliklinikk): «Beklager.»"


async def test_the_notice_of_an_objection_is_queued_with_the_answer(harness, db, team, monkeypatch):
    """The rep's objection and the leaders' notice of it are one transaction: a process killed right
    after the answer is saved still tells the leader (as it is, once the wait for a comment is over)."""
    from datetime import timedelta

    from bot.services import followup as followup_service
    from storage.models import OutboxMessage

    leader, safety, union = team
    await leader.send("/followup")
    await mark(leader, "Review with the parties")
    answer = followup_service.answer

    async def answer_then_killed(*args, **kwargs):
        await answer(*args, **kwargs)
        raise SystemError("killed after the answer was saved")

    monkeypatch.setattr(followup_service, "answer", answer_then_killed)
    await union.press("I was not involved")
    monkeypatch.setattr(followup_service, "answer", answer)
    await harness.restart()
    async with db.session() as session:
        siri = (await session.exec(select(Confirmation).where(Confirmation.answer == "not_involved"))).one()
        held = (await session.exec(select(OutboxMessage).where(OutboxMessage.text.contains("was not involved")))).all()
    assert siri.answered_at is not None
    assert [m.not_before - m.created_at for m in held] == [timedelta(minutes=30)]  # held for the comment
    assert not notices_about(leader, "was not involved")
    await harness.application.bot_data["sender"].send_due(now=harness.clock.now() + timedelta(minutes=31))
    assert notices_about(leader, "was not involved") == [
        "Union representative Siri (Kirurgisk poliklinikk): was not involved."]
    assert [b["text"] for b in leader.last.buttons] == ["Answer the objection"]
