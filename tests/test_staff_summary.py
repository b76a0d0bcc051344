""""You said, we did": after the plan is submitted and after each quarterly status, the leader gets
a summary for the staff (the chosen areas, the measures with their status, what has changed since
last time) as text to forward and as a PNG card, in the leader's language and in the others."""

from __future__ import annotations

import io
from datetime import date

import pytest
from PIL import Image
from sqlmodel import func, select

from bot.i18n import translator
from bot.rules import staff_summary as rules
from storage.models import StaffSummary, UnitFollowup
from tests.test_reminders_year import set_status


async def add_area(leader, kind: str, theme: str, why: str):
    await leader.send("/followup")
    await leader.press("Choice of areas")
    await leader.press(f"Add an area to {kind}")
    await leader.press(theme)
    await leader.send(why)


async def register(leader, area: str, title: str, deadline: str):
    """A measure for one of the unit's chosen areas."""
    await leader.send("/newmeasure")
    await leader.press(area)
    await leader.send(title)
    await leader.send("Hver mandag.")
    await leader.send("Leder")
    await leader.send(deadline)
    await leader.press("Save")


@pytest.fixture
async def unit(harness, db):
    """Kari's unit with its areas and measures, the plan not submitted yet (1 June 2026)."""
    harness.set_today(date(2026, 6, 1))
    leader = await harness.member(301, "leader", "Kari")
    rep = await harness.member(302, "safety_rep", "Ola", language="Nynorsk")
    await add_area(leader, "preserve", "Teamwork climate", "We help each other.")
    await add_area(leader, "improve", "Working conditions", "Too many interruptions.")
    await register(leader, "Preserve: Teamwork climate", "Fagdager", "15.10.2026")
    await register(leader, "Improve: Working conditions", "Tavlemøter", "15.12.2026")
    async with db.session() as session:
        unit_id = (await session.exec(select(UnitFollowup.unit_id))).one()
    return leader, rep, unit_id


async def submit(leader):
    """Submit the plan (past the reminder of steps not marked done, when there is one)."""
    await leader.send("/plan")
    replies = await leader.press("Submit the plan")
    for message in replies:
        if any(b["text"] == "Submit anyway" for b in message.buttons):
            await leader.press("Submit anyway", message)


def card_of(harness) -> Image.Image:
    method, name, content = harness.telegram.files[-1]
    assert method == "sendPhoto" and content[:8] == b"\x89PNG\r\n\x1a\n"
    return Image.open(io.BytesIO(content))


async def summaries(db) -> int:
    async with db.session() as session:
        return (await session.exec(select(func.count()).select_from(StaffSummary))).one()


async def test_not_before_the_plan_is_submitted_and_never_for_others(harness, db, unit):
    leader, rep, unit_id = unit
    await leader.send("/plan")
    assert "Summary for the staff" not in [b["text"] for b in leader.last.buttons]
    await leader.press_data(f"ssm:{unit_id}")
    assert leader.callback_answers()[-1]["text"] == \
        "The summary for the staff can be made once the plan is submitted."
    await submit(leader)
    other = await harness.member(303, "leader", "Per", place="AKUTT")
    for person in (rep, other):
        await person.press_data(f"ssm:{unit_id}")
        assert "cannot do that" in person.callback_answers()[-1]["text"] or \
            "kan ikkje gjere det" in person.callback_answers()[-1]["text"]
    assert await summaries(db) == 0
    # The leader's summary, asked for in another language by someone else: refused.
    await leader.send("/plan")
    await leader.press("Summary for the staff")
    async with db.session() as session:
        summary_id = (await session.exec(select(StaffSummary.id))).one()
    sent = len(harness.telegram.files)
    await rep.press_data(f"ssl:{summary_id}:nb")
    assert rep.callback_answers()[-1]["text"] == "Du kan ikkje gjere det for denne eininga."
    assert len(harness.telegram.files) == sent


async def test_after_the_plan_and_after_the_quarterly_status(harness, db, unit):
    leader, rep, unit_id = unit
    await submit(leader)
    replies = await leader.press("Summary for the staff")
    intro, text, card = replies[-3:]
    assert intro.plain.startswith("Forward the text below to the staff, or post or print the card")
    assert [b["text"] for b in intro.buttons] == ["Bokmål", "Nynorsk"]
    assert text.plain.splitlines() == [
        "You said, we did",
        "Kirurgisk poliklinikk · ForBedring 2026 · 1 June 2026",
        "",
        "What the survey showed",
        "We keep up: Teamwork climate",
        "We work to improve: Working conditions",
        "",
        "What we do about it",
        "• Fagdager – planned, by 15 October 2026",
        "• Tavlemøter – planned, by 15 December 2026",
        "",
        "Since 1 June 2026",
        "The plan was submitted on 1 June 2026. This is the first summary.",
        "",
        "Ideas or questions? Talk to your leader, the safety rep or the union rep.",
    ]
    assert "Kari" not in text.plain  # nothing about any person
    assert card.kind == "photo" and card.plain == "You said, we did – Kirurgisk poliklinikk"
    image = card_of(harness)
    assert image.size[0] >= 800 and image.size[1] > image.size[0]  # a portrait card for the staff room

    # The same summary in Nynorsk, on request.
    replies = await leader.press("Nynorsk", intro)
    assert replies[-2].plain.startswith("De sa, vi gjorde\nKirurgisk poliklinikk · ForBedring 2026 · 1. juni 2026")
    assert "Dette tek vi vare på: Samarbeidsklima" in replies[-2].plain
    assert "• Fagdager – planlagt, innan 15. oktober 2026" in replies[-2].plain
    assert replies[-1].kind == "photo" and replies[-1].plain == "De sa, vi gjorde – Kirurgisk poliklinikk"
    assert [b["text"] for b in replies[-3].buttons] == ["Bokmål", "English"]
    assert await summaries(db) == 1

    # Asked again with nothing changed: the same summary, not a new one.
    await leader.send("/plan")
    await leader.press("Summary for the staff")
    assert await summaries(db) == 1

    # The quarterly status: one measure done, one in progress; the summary tells what changed.
    harness.set_today(date(2026, 9, 16))
    await set_status(leader, "Fagdager", "done")
    await set_status(leader, "Tavlemøter", "in progress")
    await leader.send("/followup")
    await leader.press("Quarterly follow-up")
    replies = await leader.press("Summary for the staff")
    text = replies[-2].plain
    assert "Kirurgisk poliklinikk · ForBedring 2026 · 16 September 2026" in text
    assert "• Tavlemøter – in progress, by 15 December 2026\n• Fagdager – done\n" in text
    assert text.split("Since 1 June 2026\n", 1)[1].startswith(
        "Tavlemøter: planned → in progress\nFagdager: planned → done\n")
    assert replies[-1].kind == "photo"
    assert await summaries(db) == 2


def test_what_changed_since_last_time():
    def measure(i, title, status):
        return {"id": i, "title": title, "kind": "improve", "theme": "teamwork", "status": status,
                "deadline": "2026-12-01"}
    first = rules.with_changes(rules.snapshot(2026, "Post 1", date(2026, 6, 20), date(2026, 6, 15), False,
                                              [("improve", "teamwork")], {"teamwork": 41},
                                              [measure(1, "A", "planned"), measure(2, "B", "planned")]), None)
    later = rules.snapshot(2026, "Post 1", date(2026, 9, 20), date(2026, 6, 15), True,
                           [("improve", "teamwork"), ("preserve", "engagement")], {"teamwork": 41},
                           [measure(1, "A", "stuck"), measure(3, "C", "planned")])
    assert not rules.same_content(first, later)
    second = rules.with_changes(later, first)
    assert second["since"] == "2026-06-20"
    lines = [line.text for line in rules.summary_lines(translator("en"), second)]
    assert "Our unit had fewer than 5 answers and got no report of its own, so we have worked with the results " \
           "of the level above." in lines
    assert "We work to improve: Teamwork climate (41 of 100)" in lines
    assert lines[lines.index("Since 20 June 2026") + 1:-1] == [
        "A: planned → stuck", "New: C", "No longer in the plan: B", "New area: Engagement"]
    assert rules.same_content(later, rules.with_changes(later, first))
