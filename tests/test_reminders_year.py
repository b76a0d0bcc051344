"""A whole survey year with a controllable clock, for three units: one on time,
one late with everything, one that does nothing. Asserts exactly which
reminders each person gets and on which day."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta

import pytest
from sqlmodel import select

from bot.jobs import sweep_if_due
from storage.models import OutboxMessage, Person, Reminder
from tests.test_measures import register

EXTRA_UNIT = "region;trust_code;trust_name;unit_code;unit_name\nHelse Vest;HB;Helse Bergen;BARN;Barneavdelinga\n"


async def mark(leader, step):
    await leader.send("/followup")
    await leader.press(step)
    await leader.press("Mark as done")
    await leader.press("Today")
    await leader.press("Save")


async def set_status(leader, title, status):
    await leader.send("/measures")
    await leader.press(title)
    await leader.press(status)
    await leader.press("Skip")


async def evaluate(leader, title):
    await leader.send("/measures")
    await leader.press(title)
    await leader.press("Evaluate")
    await leader.press("it worked")
    await leader.send("Good.")


@pytest.fixture
async def org(harness, tmp_path):
    await harness.import_org(tmp_path, EXTRA_UNIT)
    harness.set_today(date(2026, 4, 1))
    people = {}
    for unit, code in (("ontime", "MED1"), ("late", "KIRPOL"), ("nothing", "BARN")):
        base = {"ontime": 700, "late": 710, "nothing": 720}[unit]
        trust = "HB"
        people[f"{unit}_leader"] = await harness.member(base, "leader", f"L-{unit}", place=code, trust=trust)
        people[f"{unit}_safety"] = await harness.member(base + 1, "safety_rep", f"S-{unit}", place=code, trust=trust)
        people[f"{unit}_union"] = await harness.member(base + 2, "union_rep", f"U-{unit}", place=code, trust=trust)
    people["above"] = await harness.member(730, "leader", "Above", scope="trust", place="HB")
    harness.application.bot_data["sender"].per_chat = 0  # simulated days pass in milliseconds
    return people


async def test_a_year_of_reminders(harness, db, org):
    p = org
    tz = harness.settings.bot_timezone

    async def on(day: date):
        harness.set_today(day)
        # Actions of the day happen after the morning sweep.
        if day == date(2026, 4, 20):
            await mark(p["ontime_leader"], "Review with the parties")
            await p["ontime_safety"].press("I took part")
            await p["ontime_union"].press("I took part")
        if day == date(2026, 5, 5):
            await mark(p["ontime_leader"], "Feedback meeting")
            await p["ontime_safety"].press("I took part")
            await p["ontime_union"].press("I took part")
        if day == date(2026, 5, 20):
            await register(p["ontime_leader"], "Fagdager", kind="Preserve", theme="Engagement", deadline="31.8.2026")
            await register(p["ontime_leader"], "Tavlemøter", kind="Improve", deadline="30.11.2026")
        if day == date(2026, 5, 25):
            await p["ontime_leader"].send("/plan")
            await p["ontime_leader"].press("Submit the plan")
            await p["ontime_safety"].press("Acknowledge")
            await p["ontime_union"].press("Acknowledge")
        if day == date(2026, 8, 20):
            await set_status(p["ontime_leader"], "Fagdager", "done")
        if day == date(2026, 9, 15):
            digest = p["ontime_leader"].last
            assert "Quarterly status for the measures" in digest.plain
            await p["ontime_leader"].press("In progress", digest)
        if day == date(2026, 11, 20):
            await set_status(p["ontime_leader"], "Tavlemøter", "done")
        if day == date(2027, 1, 10):
            await evaluate(p["ontime_leader"], "Fagdager")
            await evaluate(p["ontime_leader"], "Tavlemøter")
        # The late unit.
        if day == date(2026, 5, 10):
            await mark(p["late_leader"], "Review with the parties")
        if day == date(2026, 5, 20):
            await p["late_safety"].press("I took part")
            await p["late_union"].press("I took part")
        if day == date(2026, 6, 1):
            await mark(p["late_leader"], "Feedback meeting")
        if day == date(2026, 6, 10):
            await p["late_safety"].press("I took part")
            await p["late_union"].press("I took part")
        if day == date(2026, 6, 20):
            await register(p["late_leader"], "Fagdager", kind="Preserve", theme="Engagement", deadline="15.10.2026")
            await register(p["late_leader"], "Tavlemøter", kind="Improve", deadline="15.12.2026")
        if day == date(2026, 6, 25):
            await p["late_leader"].send("/plan")
            await p["late_leader"].press("Submit the plan")
        if day == date(2026, 7, 5):
            await p["late_safety"].press("Acknowledge")
            await p["late_union"].press("Acknowledge")
        if day == date(2026, 10, 20):
            await set_status(p["late_leader"], "Fagdager", "done")
        if day == date(2026, 12, 20):
            await set_status(p["late_leader"], "Tavlemøter", "done")
        if day == date(2027, 1, 25):
            await evaluate(p["late_leader"], "Fagdager")
            await evaluate(p["late_leader"], "Tavlemøter")

    day = date(2026, 4, 1)
    while day <= date(2027, 2, 5):
        await sweep_if_due(harness.application, datetime.combine(day, time(9, 0), tz))
        await on(day)
        day += timedelta(days=1)

    async with db.session() as session:
        rows = (await session.exec(
            select(Person.name, Reminder.reason, OutboxMessage.sent_at)
            .join(Reminder, Reminder.person_id == Person.id)
            .join(OutboxMessage, OutboxMessage.id == Reminder.outbox_id)
            .where(OutboxMessage.state == "sent"))).all()
        unsent = (await session.exec(select(OutboxMessage).where(OutboxMessage.state != "sent"))).all()
    got = defaultdict(list)
    for name, reason, sent_at in rows:
        got[name].append((sent_at.astimezone(tz).date().isoformat(), reason))
    got = {name: sorted(items) for name, items in got.items()}

    results = ("2026-04-15", "results")
    survey = ("2027-02-01", "survey_open")  # next year's survey opens: leaders and reps hear (test_survey_window.py)
    for name in got:
        if name != "Above":
            assert got[name][-1] == survey, name
            got[name].pop()
    # Tidlig og tett på: every unit leader on the default quarterly days (tests/test_ttp.py).
    ttp = [("2026-06-15", "ttp"), ("2026-09-15", "ttp"), ("2026-12-15", "ttp")]
    for name in got:
        assert [item for item in got[name] if item[1] == "ttp"] == (ttp if name.startswith("L-") else []), name
        got[name] = [item for item in got[name] if item[1] != "ttp"]
    assert got == {
        "L-ontime": [results, ("2026-09-15", "status")],
        "S-ontime": [results],
        "U-ontime": [results],
        "L-late": [results, ("2026-04-29", "review_late"), ("2026-05-13", "feedback_late"),
                   ("2026-06-01", "plan_14"), ("2026-06-12", "plan_3"), ("2026-06-16", "plan_overdue"),
                   ("2026-09-15", "status"), ("2026-10-08", "measure_due"), ("2026-10-16", "measure_overdue"),
                   ("2026-12-01", "status"), ("2026-12-08", "measure_due"), ("2026-12-16", "measure_overdue"),
                   ("2027-01-18", "evaluation")],
        "S-late": [results, ("2026-05-18", "confirm_pending"), ("2026-06-08", "confirm_pending"),
                   ("2026-07-02", "confirm_pending")],
        "U-late": [results, ("2026-05-18", "confirm_pending"), ("2026-06-08", "confirm_pending"),
                   ("2026-07-02", "confirm_pending")],
        "L-nothing": [results, ("2026-04-29", "review_late"), ("2026-05-13", "feedback_late"),
                      ("2026-06-01", "plan_14"), ("2026-06-12", "plan_3"), ("2026-06-16", "plan_overdue")],
        "S-nothing": [results],
        "U-nothing": [results],
        # The leader above: a weekly digest each Monday while a unit's plan is missing, from
        # ESCALATION_DAYS after the deadline for 60 days (instead of a single escalation).
        "Above": [(day, "above_weekly") for day in ("2026-06-29", "2026-07-06", "2026-07-13", "2026-07-20",
                                                    "2026-07-27", "2026-08-03", "2026-08-10", "2026-08-17",
                                                    "2026-08-24")],
    }
    # Only reminders and the notices of people's own actions were sent, and every one went out.
    assert [m for m in unsent if m.kind == "reminder"] == []
