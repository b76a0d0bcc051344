"""/newmeasure offers the unit's chosen areas first, a measure outside them is allowed after one
question, the responsible may be a member of the unit picked from buttons, and the plan shows
the measures under their areas (issue 13)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from storage.models import DialogState, FocusArea, Measure, Person


async def add_area(leader, kind: str, theme: str, why: str):
    await leader.send("/followup")
    await leader.press("Choice of areas")
    await leader.press(f"Add an area to {kind}")
    await leader.press(theme)
    await leader.send(why)


@pytest.fixture
async def unit(harness):
    harness.set_today(date(2026, 5, 10))
    leader = await harness.member(1401, "leader", "Kari")
    rep = await harness.member(1402, "safety_rep", "Ola")
    await add_area(leader, "improve", "Teamwork climate", "Lowest score.")
    await add_area(leader, "preserve", "Working conditions", "What works.")
    return leader, rep


async def measures(db) -> dict[str, Measure]:
    async with db.session() as session:
        return {m.title: m for m in (await session.exec(select(Measure))).all()}


async def test_an_area_gives_theme_and_kind_a_member_is_responsible_in_six_interactions(harness, db, unit):
    leader, rep = unit
    replies = await leader.send("/newmeasure")
    assert replies[0].plain == "Which of your areas is the measure for?"
    assert [b["text"] for b in replies[0].buttons] == [
        "Improve: Teamwork climate", "Preserve: Working conditions", "Another theme", "Cancel"]
    interactions = [
        leader.press("Improve: Teamwork climate"),
        leader.send("Tavlemøte"),
        leader.send("Ti minutter hver mandag."),
        leader.press("Ola (safety representative)"),
        leader.send("1.12.2026"),
        leader.press("Save"),
    ]
    for number, step in enumerate(interactions, 1):
        replies = await step
        if number == 4:
            assert replies[0].plain.startswith("By when?")
    assert replies[0].plain.startswith("Saved: “Tavlemøte”.")
    async with db.session() as session:
        ola = (await session.exec(select(Person).where(Person.telegram_user_id == 1402))).one()
    saved = (await measures(db))["Tavlemøte"]
    assert (saved.theme, saved.kind, saved.responsible, saved.responsible_person_id) == \
        ("teamwork", "improve", "Ola", ola.id)


async def test_a_measure_outside_the_areas_after_one_question_and_the_plan_groups_them(harness, db, unit):
    leader, rep = unit
    await leader.send("/newmeasure")
    await leader.press("Another theme")
    await leader.press("Engagement")
    replies = await leader.press("Improve")
    assert replies[0].plain == "Improve: Engagement is not one of the areas you chose. Register the measure anyway?"
    replies = await leader.press("Choose one of our areas")
    assert replies[0].plain == "Which of your areas is the measure for?"
    await leader.press("Another theme")
    await leader.press("Engagement")
    await leader.press("Improve")
    replies = await leader.press("Yes, register it")
    assert replies[0].plain.startswith("Write a short title")
    await leader.send("Sommerfest")
    await leader.send("En fest i juni.")
    await leader.send("Leder")  # typed: free text, nobody's reminders
    await leader.send("1.12.2026")
    await leader.press("Save")
    # A measure for a chosen area, chosen through "Another theme", is asked nothing.
    await leader.send("/newmeasure")
    await leader.press("Another theme")
    await leader.press("Working conditions")
    replies = await leader.press("Preserve")
    assert replies[0].plain.startswith("Write a short title")
    await leader.send("Turnus")
    await leader.send("Behold turnusen.")
    await leader.send("Kari")
    await leader.send("1.11.2026")
    await leader.press("Save")

    found = await measures(db)
    assert (found["Sommerfest"].theme, found["Sommerfest"].kind, found["Sommerfest"].responsible_person_id) == \
        ("engagement", "improve", None)
    replies = await rep.send("/plan")
    text = replies[0].plain
    assert ("• improve: Teamwork climate – Lowest score.\n   No measure for this area yet.\n"
            "• preserve: Working conditions – What works.\n   🗓 Turnus – preserve, Working conditions") in text
    assert "Measures outside the chosen areas\n🗓 Sommerfest – improve, Engagement" in text


async def test_forged_areas_and_members_change_nothing(harness, db, unit):
    leader, rep = unit
    other_leader = await harness.member(1410, "leader", "Per", place="AKUTT")
    await add_area(other_leader, "improve", "Leadership behaviour", "Theirs.")
    stranger = await harness.member(1411, "safety_rep", "Siv", place="AKUTT")
    async with db.session() as session:
        theirs = (await session.exec(select(FocusArea).where(FocusArea.theme == "leadership"))).one()
        siv = (await session.exec(select(Person).where(Person.telegram_user_id == 1411))).one()
    await leader.send("/newmeasure")
    async with db.session() as session:
        token = (await session.exec(select(DialogState).where(DialogState.dialog == "measure"))).first().token
    replies = await leader.press_data(f"ms:{token}:area:{theirs.id}")
    assert replies[0].plain.startswith("That area is no longer in the plan. Choose one of these.")
    await leader.press("Improve: Teamwork climate")
    await leader.send("Tavlemøte")
    await leader.send("Hver mandag.")
    replies = await leader.press_data(f"ms:{token}:member:{siv.id}")
    assert replies[0].plain.startswith("That person is not a member of the unit.")
    async with db.session() as session:
        state = (await session.exec(select(DialogState).where(DialogState.dialog == "measure"))).first()
    assert state.step == "responsible" and "responsible" not in state.data
