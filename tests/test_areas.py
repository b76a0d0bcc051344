"""Choosing areas, with theme scores suggesting them."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from bot.rules.themes import suggest_areas
from storage.models import FocusArea, ThemeScore


@pytest.fixture
async def leader(harness):
    harness.set_today(date(2026, 5, 10))
    return await harness.member(501, "leader", "Kari", language="Nynorsk")


async def open_areas_step(leader):
    await leader.send("/followup")
    await leader.press("Val av område")


async def test_scores_suggest_areas_and_choosing_both_kinds_completes_the_step(harness, db, leader):
    await open_areas_step(leader)
    await leader.press("Legg inn skårar per tema")
    for text in ("72", "abc", "101", "41", "88", "skip", "65", "50", "70"):
        if text == "skip":
            await leader.press("Hopp over")
        else:
            replies = await leader.send(text)
        if text in ("abc", "101"):
            assert replies[0].plain.startswith("Skriv eit heilt tal frå 0 til 100.")
    text = leader.last.plain
    assert "Føreslått å forbetre (lågast): Samarbeidsklima (41), Fysisk miljø (50)" in text
    assert "Føreslått å ta vare på (høgast): Arbeidsforhold (88)" in text
    await leader.press("forbetre: Samarbeidsklima")
    await leader.send("Lågast skår, og vi kjenner oss att i det.")
    await leader.press("Sjå steget")
    await leader.press("Legg til eit område å ta vare på")
    await leader.press("Arbeidsforhold")
    await leader.send("Vi vil halde på turnusordninga som fungerer.")
    replies = await leader.send("/followup")
    assert "✅ 5. Val av område – 10. mai 2026" in replies[0].plain
    async with db.session() as session:
        areas = {(a.kind, a.theme) for a in (await session.exec(select(FocusArea))).all()}
        scores = {s.theme: s.score for s in (await session.exec(select(ThemeScore))).all()}
    assert areas == {("improve", "teamwork"), ("preserve", "working_conditions")}
    assert scores == {"engagement": 72, "teamwork": 41, "working_conditions": 88, "leadership": 65,
                      "physical_environment": 50, "follow_up": 70}


async def test_areas_are_the_leaders_only(harness, db, leader):
    rep = await harness.member(502, "safety_rep", "Ola")
    other = await harness.member(503, "leader", "Per", place="AKUTT")
    for user in (rep, other):
        for forged in ("ar:2:improve", "ar:2:preserve:teamwork", "sc:2"):
            await user.press_data(forged)
            assert user.callback_answers()[-1]["text"] == "You cannot do that for this unit."
    async with db.session() as session:
        assert (await session.exec(select(FocusArea))).all() == []


def test_suggestions_rule():
    assert suggest_areas({"engagement": 80, "teamwork": 40, "leadership": 60}) == (["engagement"], ["teamwork", "leadership"])
    assert suggest_areas({"engagement": 50, "teamwork": 50}, improve=1) == (["teamwork"], ["engagement"])


async def test_leader_removes_an_area_others_cannot(harness, db, leader):
    await open_areas_step(leader)
    await leader.press("Legg til eit område å forbetre")
    await leader.press("Leiaråtferd")
    await leader.send("Vi treng meir tilbakemelding.")
    await leader.press("Sjå steget")
    async with db.session() as session:
        area_id = (await session.exec(select(FocusArea.id))).one()
    other = await harness.member(504, "leader", "Per", place="AKUTT")
    await other.press_data(f"ax:{area_id}")
    assert other.callback_answers()[-1]["text"] == "You cannot do that for this unit."
    replies = await leader.press("Fjern: Leiaråtferd")
    assert "Leiaråtferd" not in replies[0].plain
    async with db.session() as session:
        assert (await session.exec(select(FocusArea))).all() == []


async def test_back_from_the_reason_returns_to_the_themes_a_suggested_area_has_none(harness, db, leader):
    await open_areas_step(leader)
    await leader.press("Legg til eit område å forbetre")
    replies = await leader.press("Leiaråtferd")
    assert replies[0].plain.startswith("Leiaråtferd: kvifor dette området?")
    replies = await leader.press("⬅ Tilbake")
    assert replies[0].plain == "Kva tema gjeld området du vil forbetre?"
    await leader.press("Samarbeidsklima")
    await leader.send("Vi treng betre samarbeid.")
    # From the scores' suggestions the reason is asked at once: there is nowhere to go back to.
    await leader.press("Sjå steget")
    await leader.press("Legg inn skårar per tema")
    for score in ("40", "80"):
        await leader.send(score)
    replies = await leader.press("Avbryt")
    assert replies[0].plain == "Stoppa. Skårane du la inn, er lagra."
    unit = (await db_unit(db))
    replies = await leader.press_data(f"ar:{unit}:preserve:teamwork")
    assert replies[0].plain.startswith("Samarbeidsklima: kvifor dette området?") and not replies[0].buttons
    async with db.session() as session:
        areas = {(a.kind, a.theme) for a in (await session.exec(select(FocusArea))).all()}
        scores = {s.theme: s.score for s in (await session.exec(select(ThemeScore))).all()}
    assert areas == {("improve", "teamwork")}
    assert scores == {"engagement": 40, "teamwork": 80}


async def test_malformed_area_buttons_are_refused(harness, db, leader):
    unit = await db_unit(db)
    for forged in (f"ar:{unit}:bogus", f"ar:{unit}:improve:bogus", "ax:x", "sc:", f"ar:{unit}:improve:teamwork:1"):
        await leader.press_data(forged)
        assert leader.callback_answers()[-1]["text"] == "Du kan ikkje gjere det for denne eininga.", forged
    async with db.session() as session:
        assert (await session.exec(select(FocusArea))).all() == []


async def db_unit(db) -> int:
    from storage.models import Unit

    async with db.session() as session:
        return (await session.exec(select(Unit.id).where(Unit.code == "KIRPOL"))).one()
