"""Years that continue (issue 13): last year's open measures carried on or closed when a new
survey year begins, the plans of earlier years, the Prepare step looking back, the theme scores
compared with last year's, and /followup's overdue steps, "Next" and a unit that joins mid-year."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from sqlmodel import select

from storage.models import Measure, MeasureEvent, UnitFollowup
from tests.test_followup import mark
from tests.test_measures import register

SCORES_2025 = ("60", "41", "80", "70", "65", "50", "70")  # engagement, teamwork, working conditions, …


async def enter_scores(leader, scores):
    await leader.send("/followup")
    await leader.press("Choice of areas")
    await leader.press("Enter theme scores")
    for score in scores:
        await leader.send(score)


@pytest.fixture
async def year_2025(harness, db):
    """A unit through 2025: scores, two measures (one to preserve, one to improve)."""
    harness.set_today(date(2025, 5, 10))
    leader = await harness.member(1301, "leader", "Kari")
    rep = await harness.member(1302, "safety_rep", "Ola")
    await enter_scores(leader, SCORES_2025)
    await register(leader, "Tavlemøte", kind="Improve", theme="Teamwork climate", deadline="1.12.2025")
    await register(leader, "Fagdager", kind="Preserve", theme="Engagement", deadline="1.11.2025")
    return leader, rep


async def measures_by_title(db) -> dict[str, Measure]:
    async with db.session() as session:
        return {m.title: m for m in (await session.exec(select(Measure))).all()}


async def test_a_new_year_asks_measure_by_measure_and_carried_measures_keep_their_history(harness, db, year_2025):
    leader, rep = year_2025
    harness.set_today(date(2026, 2, 10))  # the 2025 evaluation deadline has passed: 2026 has begun
    replies = await leader.send("/followup")
    assert replies[0].plain.startswith("ForBedring 2026 · Kirurgisk poliklinikk")
    assert "⚠ 2 measures from last year are still open: carry them on or close them." in replies[0].plain
    replies = await leader.press("Last year's open measures")
    text = replies[0].plain
    assert text.startswith("ForBedring 2026 has begun · Kirurgisk poliklinikk")
    assert "2 measures from 2025 are still open. Carry each on into 2026, or close it with its evaluation" in text
    assert "1. 🗓 Fagdager – preserve, Engagement" in text and "2. 🗓 Tavlemøte – improve, Teamwork climate" in text
    assert [[b["text"] for b in row] for row in replies[0].reply_markup["inline_keyboard"]] == [
        ["1 ➡ 2026", "1 ✅", "1 🟡", "1 ❌"], ["2 ➡ 2026", "2 ✅", "2 🟡", "2 ❌"]]

    # A rep cannot decide, nor can anyone with a forged press.
    before = await measures_by_title(db)
    await rep.press_data(f"co:{before['Fagdager'].id}:carry")
    assert rep.callback_answers()[-1]["text"] == "You cannot do that for this unit."

    await leader.press("1 ➡ 2026")  # Fagdager goes on
    assert leader.callback_answers()[-1]["text"] == "“Fagdager” goes on in 2026."
    assert "1 measure from 2025 is still open." in leader.last.plain
    assert [[b["text"] for b in row] for row in leader.last.reply_markup["inline_keyboard"]] == [["1 ➡ 2026", "1 ✅", "1 🟡", "1 ❌"]]
    await leader.press("1 🟡")  # Tavlemøte is closed: it partly worked
    assert leader.callback_answers()[-1]["text"] == "“Tavlemøte” is closed."
    assert leader.last.plain == "Every measure from 2025 is decided: carried on into 2026 or closed."
    # Pressing an old button again changes nothing.
    await leader.press_data(f"co:{before['Tavlemøte'].id}:carry")
    assert leader.callback_answers()[-1]["text"] == "You cannot do that for this unit."

    after = await measures_by_title(db)
    async with db.session() as session:
        followups = {f.year: f.id for f in (await session.exec(select(UnitFollowup))).all()}
        history = [(e.field, e.old, e.new) for e in (await session.exec(
            select(MeasureEvent).where(MeasureEvent.measure_id == after["Fagdager"].id).order_by(MeasureEvent.id))).all()]
    carried, closed = after["Fagdager"], after["Tavlemøte"]
    assert (carried.id, carried.year, carried.first_year, carried.followup_id, carried.status) == \
        (before["Fagdager"].id, 2026, 2025, followups[2026], "planned")
    assert history == [("created", None, "Fagdager"), ("year", "2025", "2026")]
    assert (closed.year, closed.status, closed.evaluation) == (2025, "done", "partly")

    replies = await leader.send("/followup")
    assert "still open" not in replies[0].plain and "Last year's open measures" not in str(replies[0].buttons)
    replies = await leader.send("/measures")
    assert "Fagdager" in replies[0].plain and "Tavlemøte" not in replies[0].plain
    await leader.press("Fagdager")
    await leader.press("History")
    assert "Carried on into the survey year: 2026" in leader.last.plain

    # The Prepare step looks back at last year's plan and its evaluations.
    await leader.send("/followup")
    replies = await leader.press("Preparation")
    text = replies[0].plain
    assert "Last year's measures (2025)" in text
    assert "✅ Tavlemøte – Teamwork climate; it partly worked" in text
    assert "🗓 Fagdager – Engagement (carried on from 2025)" in text


async def test_plan_shows_this_year_and_every_earlier_year_with_the_theme_change(harness, db, year_2025):
    leader, rep = year_2025
    harness.set_today(date(2026, 2, 10))
    await leader.send("/followup")
    await leader.press("Last year's open measures")
    await leader.press("1 ➡ 2026")
    await leader.press("1 ✅")  # Tavlemøte worked

    replies = await leader.send("/plan")
    text = replies[0].plain
    assert text.startswith("Action plan 2026")
    assert "Fagdager – preserve, Engagement; by 1 November 2025 (carried on from 2025)" in text
    assert [b["text"] for b in replies[0].buttons] == ["Submit the plan", "Plan 2025"]
    replies = await leader.press("Plan 2025")
    text = replies[0].plain
    assert text.startswith("Action plan 2025")
    assert "Tavlemøte" in text and "worked: yes" in text and "since the 2025 results" not in text
    assert [b["text"] for b in replies[0].buttons] == ["Plan 2026"]  # an earlier plan is history: no submit

    # The new results: the theme scores of 2026 are compared with 2025's.
    harness.set_today(date(2026, 5, 10))
    await enter_scores(leader, ("62", "50", "80", "70", "65", "50", "70"))
    for user in (leader, rep):
        replies = await user.send("/plan 2025")
        assert "worked: yes · Teamwork climate +9 since the 2025 results" in replies[0].plain
    # /progress: the share of last year's evaluated measures whose theme improved; the export: the change.
    trust_leader = await harness.member(1311, "leader", "Trude", scope="trust", place="HB")
    replies = await trust_leader.send("/progress")
    assert "Measures whose theme improved (2025 measures, 2026 results): 100%" in replies[0].plain
    await trust_leader.send("/export csv")
    name, content = harness.telegram.files[-1][1:]
    assert name.endswith("measures.csv")
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert {(r["title"], r["year"], r["evaluation"], r["theme_change"]) for r in rows} == {
        ("Tavlemøte", "2025", "yes", "9"), ("Fagdager", "2026", "", "")}
    replies = await rep.send("/plan 2019")
    assert replies[0].plain == "There is no plan for 2019."
    replies = await rep.send("/plan soon")
    assert replies[0].plain == "Write /plan, or /plan with a year, for example /plan 2026."
    # Another unit's leader cannot open it with a forged button.
    other = await harness.member(1310, "leader", "Per", place="AKUTT")
    unit_id = (await measures_by_title(db))["Tavlemøte"].unit_id
    await other.press_data(f"pl:{unit_id}:2025")
    assert other.callback_answers()[-1]["text"] == "You cannot do that for this unit."


async def test_followup_marks_overdue_steps_and_next_is_the_most_pressing(harness, db):
    harness.set_today(date(2026, 1, 5))
    leader = await harness.member(1320, "leader", "Kari")
    harness.set_today(date(2026, 8, 10))
    replies = await leader.send("/followup")
    text = replies[0].plain
    assert text.startswith("ForBedring 2026 · Kirurgisk poliklinikk")
    assert "⚠️ 1. Preparation – overdue since 1 February 2026" in text
    assert "⚠️ 4. Feedback meeting – overdue since 15 May 2026" in text
    assert "⬜ 8. Quarterly follow-up – by 15 January 2027" in text
    # Not the Preparation of February: the latest step that is overdue, the one still worth doing.
    assert "Next: Measures, overdue since 15 June 2026." in text

    # On 12 January the unit still works on 2026 (its last status and evaluation), and may prepare 2027.
    harness.set_today(date(2027, 1, 12))
    replies = await leader.send("/followup")
    assert replies[0].plain.startswith("ForBedring 2026 · ")
    assert "Prepare ForBedring 2027" in str(replies[0].buttons)
    assert "Also now: Preparation for ForBedring 2027, by 1 February 2027." in replies[0].plain
    await leader.press("Prepare ForBedring 2027")
    await mark(leader, "Preparation")
    replies = await leader.send("/followup")
    assert "Also now" not in replies[0].plain


async def test_a_unit_that_joins_mid_year_is_not_told_to_do_what_is_long_past(harness, db):
    harness.set_today(date(2026, 8, 10))
    leader = await harness.member(1330, "leader", "Kari")
    replies = await leader.send("/followup")
    text = replies[0].plain
    assert "⬜ 1. Preparation – by 1 February 2026 · before the unit started with the bot; can still be marked" in text
    assert "⚠️" not in text
    assert "Next: Quarterly follow-up, by 15 January 2027." in text
    # Those steps can still be marked.
    await leader.press("Review with the parties")
    await leader.press("Mark as done")
    await leader.send("20.4.2026")
    replies = await leader.press("Save")
    assert replies[0].plain.startswith("Saved: “Review with the parties” done 20 April 2026.")
    assert "✅ 3. Review with the parties – 20 April 2026" in replies[1].plain


async def test_an_earlier_years_plan_and_figures_keep_a_carried_measure(harness, db, year_2025):
    """Carrying a measure on into 2026 leaves the 2025 plan, its figures and its export as they were:
    the measure stays in them as it stood, marked carried on, while it goes on in 2026."""
    leader, rep = year_2025
    trust_leader = await harness.member(1312, "leader", "Trude", scope="trust", place="HB")
    await leader.send("/measures")
    await leader.press("Fagdager")
    await leader.press("in progress")
    await leader.press("Skip")

    async def figures_2025():
        harness.set_today(date(2025, 12, 10))
        progress = (await trust_leader.send("/progress"))[0].plain
        await trust_leader.send("/export csv")
        content = harness.telegram.files[-1][2]
        return progress, list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"), newline=""), delimiter=";"))

    before = await figures_2025()
    assert {(r["title"], r["year"], r["status"]) for r in before[1]} == {
        ("Fagdager", "2025", "in_progress"), ("Tavlemøte", "2025", "planned")}

    harness.set_today(date(2026, 2, 10))
    await leader.send("/followup")
    await leader.press("Last year's open measures")
    await leader.press("1 ➡ 2026")  # Fagdager goes on; Tavlemøte waits
    # In 2026 it is done, with a new deadline.
    await leader.send("/measures")
    await leader.press("Fagdager")
    await leader.press("done")
    await leader.press("Skip")

    replies = await leader.send("/plan 2025")
    text = replies[0].plain
    assert "🔄 Fagdager – preserve, Engagement; by 1 November 2025 (carried on into 2026)" in text
    assert "🗓 Tavlemøte – improve, Teamwork climate; by 1 December 2025" in text
    replies = await rep.send("/plan")
    assert "✅ Fagdager – preserve, Engagement; by 1 November 2025 (carried on from 2025)" in replies[0].plain
    async with db.session() as session:
        fagdager = (await session.exec(select(Measure).where(Measure.title == "Fagdager"))).one()
    assert (fagdager.year, fagdager.status) == (2026, "done")  # the copy in the 2025 plan was never stored

    after = await figures_2025()
    assert after == before
