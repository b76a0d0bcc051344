"""/plan: who can see it, submitting it, the reps acknowledging or objecting."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from bot.rules.errors import PlanIncomplete
from bot.services import followup as followup_service
from storage import people
from storage.models import Confirmation, Unit, UnitFollowup
from tests.test_measures import register


@pytest.fixture
async def team(harness):
    harness.set_today(date(2026, 6, 1))
    leader = await harness.member(401, "leader", "Kari")
    safety = await harness.member(402, "safety_rep", "Ola")
    union = await harness.member(403, "union_rep", "Siri")
    return leader, safety, union


async def test_submitting_a_plan_without_both_kinds_says_which_is_missing(harness, db, team):
    leader = team[0]
    async with db.session() as session:
        person = await people.person_by_telegram_id(session, 401)
        memberships = await people.memberships_of(session, person.id)
    unit_id, now, today = memberships[0].unit_id, harness.clock.now(), harness.clock.today()
    with pytest.raises(PlanIncomplete) as caught:
        await followup_service.submit_plan(db, memberships, person.id, unit_id, now, today)
    assert caught.value.missing == ["preserve", "improve"]
    await register(leader, "Tavlemøte", kind="Improve")
    with pytest.raises(PlanIncomplete) as caught:
        await followup_service.submit_plan(db, memberships, person.id, unit_id, now, today)
    assert caught.value.missing == ["preserve"]


async def test_submit_needs_both_kinds_then_reps_acknowledge_or_object(harness, db, team):
    leader, safety, union = team
    await register(leader, "Tavlemøte", kind="Improve")
    replies = await leader.send("/plan")
    assert replies[0].plain.startswith("Action plan 2026 · Kirurgisk poliklinikk (Helse Bergen)")
    assert "Not submitted yet (deadline 15 June 2026)." in replies[0].plain
    await leader.press("Submit the plan")
    assert "at least one measure to preserve and one to improve" in leader.callback_answers()[-1]["text"]

    await register(leader, "Fagdager", kind="Preserve", theme="Engagement")
    await leader.send("/plan")
    # Neither the review nor the feedback meeting is marked: a warning first, one tap to go on (issue 13).
    replies = await leader.press("Submit the plan")
    assert replies[0].plain == ("Before you submit the plan:\n⚠ The review with the parties is not marked done.\n"
                                "⚠ The feedback meeting is not marked done.")
    replies = await leader.press("Submit anyway")
    assert replies[0].plain == "The plan is submitted. 2 representatives are asked to acknowledge it."
    assert "Submitted 1 June 2026." in replies[1].plain
    assert "✅ 7. Plan complete – 1 June 2026" in replies[1].plain

    await safety.press("Acknowledge")
    await union.press("Object")
    await union.send("Tiltakene ble ikke drøftet i AMU.")
    replies = await safety.send("/plan")
    text = replies[0].plain
    assert "✔ safety representative Ola: acknowledged the plan" in text
    assert "⚠ union representative Siri: objects to the plan – «Tiltakene ble ikke drøftet i AMU.»" in text
    assert "🗓 Fagdager – preserve, Engagement" in text and "Submit" not in str(replies[0].buttons)
    async with db.session() as session:
        assert (await session.exec(select(UnitFollowup.plan_submitted_at))).one() is not None
        assert {c.answer for c in (await session.exec(select(Confirmation))).all()} == {"acknowledged", "objected"}


async def test_who_may_see_the_plan(harness, db, team):
    leader, _, _ = team
    await register(leader)
    admin = await harness.member(410, "admin", "Anne", scope="national", place=None)
    replies = await admin.send("/plan HB KIRPOL")
    assert replies[0].plain.startswith("Action plan 2026 · Kirurgisk poliklinikk")
    assert replies[0].buttons == []
    trust_admin = await harness.member(411, "admin", "Tor", scope="trust", place="OUS")
    replies = await trust_admin.send("/plan HB KIRPOL")
    assert replies[0].plain == "You cannot do that for this unit."
    other_leader = await harness.member(412, "leader", "Per", place="AKUTT")
    replies = await other_leader.send("/plan HB KIRPOL")
    assert replies[0].plain == "You cannot do that for this unit."
    await other_leader.press_data("pl:2")
    await other_leader.press_data("ps:2")
    assert [a["text"] for a in other_leader.callback_answers()[-2:]] == ["You cannot do that for this unit."] * 2
    programme = await harness.member(413, "programme_staff", "Priya", scope="national", place=None)
    replies = await programme.send("/plan HB KIRPOL")
    assert "/plan" not in [c["command"] for c in harness.telegram.calls_to("setMyCommands")[-1].params["commands"]]
    assert replies[0].plain == "You cannot do that for this unit."
    async with db.session() as session:
        assert (await session.exec(select(UnitFollowup.plan_submitted_at))).all() == [None]


async def test_a_long_plan_is_split_into_messages(harness, db, team):
    leader, _, _ = team
    for i in range(40):
        await register(leader, f"Tiltak {i:02d} " + "x" * 100)
    replies = await leader.send("/plan")
    assert len(replies) >= 2 and all(len(r.plain) <= 4096 for r in replies)
    assert replies[-1].buttons[0]["text"] == "Submit the plan"


async def test_forged_plan_buttons_from_a_rep_and_a_stranger_change_nothing_and_are_logged(
        harness, db, team, caplog):
    leader, safety, _ = team
    await register(leader)
    await register(leader, "Fagdager", kind="Preserve", theme="Engagement")
    async with db.session() as session:
        unit_id = (await session.exec(select(Unit.id).where(Unit.code == "KIRPOL"))).one()
    caplog.set_level("INFO")
    await safety.press_data(f"ps:{unit_id}")  # a rep sees the plan but may not submit it
    assert safety.callback_answers()[-1]["text"] == "You cannot do that for this unit."
    stranger = harness.user(499, "Eve", language_code="en")
    for forged in (f"pl:{unit_id}", f"ps:{unit_id}"):
        await stranger.press_data(forged)
        assert "I don't know you yet" in stranger.callback_answers()[-1]["text"]
    refusals = [r.getMessage() for r in caplog.records if r.getMessage().startswith("refused")]
    assert len(refusals) == 3 and all(str(safety.user_id) in r or "499" in r for r in refusals)
    async with db.session() as session:
        assert (await session.exec(select(UnitFollowup.plan_submitted_at))).all() == [None]
        assert (await session.exec(select(Confirmation))).all() == []
