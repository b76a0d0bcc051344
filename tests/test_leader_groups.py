"""Leader groups: leader-group units named in the organisation file run their own follow-up,
/progress shows each on its own line, and the leaders above get one digest a week (Monday) about
their units: plans missing, problems raised, measures stuck for a quarter."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
from sqlmodel import select

from bot.jobs import sweep_if_due
from bot.rules.errors import OrgFileError
from bot.rules.org_file import parse_org_rows
from storage.models import Measure, Person, Reminder, Unit
from tests.test_measures import register
from tests.test_stuck_and_raised import GROUPS_CSV


def rows_of(text: str):
    return [(number, line.split(";")) for number, line in enumerate(text.strip().split("\n"), 1)]


def test_the_organisation_file_names_leader_group_units():
    rows = parse_org_rows(rows_of(GROUPS_CSV.replace(";clinic\n", ";Klinikk\n")))
    assert [(r.unit_code, r.leader_group) for r in rows] == [("KIRPOL", None), ("KIRLED", "clinic"), ("MED1", None)]
    bad = ("region;trust_code;trust_name;unit_code;unit_name;clinic;department;leader_group\n"
           "Helse Vest;HB;Helse Bergen;LED;Ledergruppen;;;ward\n"
           "Helse Vest;HB;Helse Bergen;AVD;Avdelingsledelsen;Kirurgisk klinikk;;department\n"
           "Helse Vest;HB;Helse Bergen;TOPP;Toppledergruppen;;;trust\n")
    with pytest.raises(OrgFileError) as raised:
        parse_org_rows(rows_of(bad))
    problems = {e.line: e.reason for e in raised.value.errors}
    assert problems[2].startswith("leader_group 'ward' must be empty or one of: department, avdeling, clinic")
    assert problems[3] == "a department-level leader group needs its department"
    assert 4 not in problems


@pytest.fixture
async def groups(harness, tmp_path, db):
    await harness.import_org(tmp_path, GROUPS_CSV)
    harness.set_today(date(2026, 6, 1))
    harness.application.bot_data["sender"].per_chat = 0
    people = {
        "leader": await harness.member(501, "leader", "Kari"),
        "group": await harness.member(510, "leader", "Gro", place="KIRLED", trust="HB"),
        "group_rep": await harness.member(511, "union_rep", "Geir", language="Nynorsk", place="KIRLED", trust="HB"),
        "trust": await harness.member(520, "leader", "Trude", language="Bokmål", scope="trust", place="HB"),
        "med": await harness.member(530, "leader", "Mia", place="MED1", trust="HB"),
    }
    return people


async def test_a_leader_group_runs_its_own_follow_up_and_progress_shows_it_on_its_own_line(harness, db, groups,
                                                                                           tmp_path):
    group, group_rep, trust = groups["group"], groups["group_rep"], groups["trust"]
    # Its own year, measures and plan, with its own reps.
    replies = await group.send("/followup")
    assert "Ledergruppen Kirurgisk klinikk" in replies[0].plain
    await register(group, "Felles vikarpool", deadline="1.12.2026")
    async with db.session() as session:
        kirled = (await session.exec(select(Unit).where(Unit.code == "KIRLED"))).one()
        measure = (await session.exec(select(Measure))).one()
    assert (measure.unit_id, kirled.leader_group) == (kirled.id, "clinic")
    replies = await group_rep.send("/handlingsplan")
    assert "Felles vikarpool" in replies[0].plain
    # /progress at the trust: the leader group on its own line, not counted in its clinic's.
    replies = await trust.send("/framdrift")
    text = replies[0].plain
    assert "Ledergruppe: Ledergruppen Kirurgisk klinikk: 1 enhet" in text
    assert "Kirurgisk klinikk: 1 enhet" in text and "Medisinsk klinikk: 1 enhet" in text
    assert "3 enheter" in text
    # Its button opens the group's plan.
    replies = await trust.press("Ledergruppe: Ledergruppen Kirurgisk klinikk")
    assert "Felles vikarpool" in replies[0].plain
    # A stuck measure shows in /progress.
    await group.send("/measures")
    await group.press("Felles vikarpool")
    await group.press("stuck")
    await group.press("Skip")
    await group.press("Not now")
    replies = await trust.send("/framdrift")
    assert "1 tiltak står fast" in replies[0].plain
    # Importing the file without the column leaves the group as it is; an empty cell ends it.
    await harness.import_org(tmp_path, GROUPS_CSV.replace(";clinic\n", ";\n"))
    async with db.session() as session:
        assert (await session.get(Unit, kirled.id)).leader_group is None


async def weekly(db, telegram_user_id: int) -> list[str]:
    async with db.session() as session:
        return list((await session.exec(select(Reminder.period).join(Person, Person.id == Reminder.person_id).where(
            Person.telegram_user_id == telegram_user_id, Reminder.reason == "above_weekly")
            .order_by(Reminder.id))).all())


async def test_the_leaders_above_get_one_digest_a_week_about_their_units(harness, db, groups):
    leader, group, trust, med = groups["leader"], groups["group"], groups["trust"], groups["med"]
    tz = harness.settings.bot_timezone

    def at(day):
        return datetime.combine(day, time(9), tz)

    await register(leader, "Tavlemøte", deadline="1.12.2026")
    await leader.send("/measures")
    await leader.press("Tavlemøte")
    await leader.press("stuck")
    await leader.send("Mangler møterom.")
    await leader.press("Raise to the leader group above")

    # Monday 29 June: the plans are 14 days late. The clinic's leader group hears of its clinic's unit
    # (with the raised problem), the trust's leader of every unit, in one section of one message.
    harness.set_today(date(2026, 6, 29))
    await sweep_if_due(harness.application, at(date(2026, 6, 29)))
    text = group.last.plain
    assert ("The units below you this week\n"
            "Kirurgisk poliklinikk: the action plan is not submitted (deadline 15 June 2026); "
            "1 problem raised to you, not answered") in text
    assert "Medisinsk sengepost 1" not in text
    # The group's leader may remind the unit's leader; the leader of another clinic's unit may not.
    await group.press("Remind the leader of Kirurgisk poliklinikk", group.last)
    assert group.callback_answers()[-1]["text"] == "1 leader reminded."
    assert leader.last.plain.startswith("Gro, at the level above, asks about your unit's action plan")
    forged = next(b["callback_data"] for b in group.last.buttons if b["text"].startswith("Remind the leader"))
    await med.press_data(forged)
    assert med.callback_answers()[-1]["text"] == "You cannot do that for this unit."
    text = trust.last.plain
    assert text.count("Enhetene under deg denne uka") == 1
    for line in ("Kirurgisk poliklinikk: handlingsplanen er ikke levert (frist 15. juni 2026); 1 sak løftet til deg, "
                 "ikke besvart", "Ledergruppen Kirurgisk klinikk: handlingsplanen er ikke levert (frist 15. juni 2026)",
                 "Medisinsk sengepost 1: handlingsplanen er ikke levert (frist 15. juni 2026)"):
        assert line in text
    assert [b["text"] for b in trust.last.buttons].count("Saker løftet til deg") == 1
    replies = await trust.press("Saker løftet til deg")
    assert "1. Tavlemøte – Kirurgisk poliklinikk" in replies[-1].plain
    # The unit's own leader is not above anyone: no weekly digest.
    assert await weekly(db, 501) == [] and await weekly(db, 530) == []

    # The rest of the week: nothing more from above.
    for day in (date(2026, 6, 30), date(2026, 7, 1), date(2026, 7, 3)):
        harness.set_today(day)
        await sweep_if_due(harness.application, at(day))
    assert len(await weekly(db, 510)) == 1  # one unit below the group, one Monday
    assert {period.split(":")[1] for period in await weekly(db, 520)} == {"2026-06-29"}  # three units, one Monday

    # The trust's leader turns the weekly summary off; the group's leader still gets it.
    harness.set_today(date(2026, 7, 3))
    await trust.send("/innstillinger")
    await trust.press("Ukeoversikt over enhetene under meg")
    before = len(trust.messages)
    harness.set_today(date(2026, 9, 7))
    await sweep_if_due(harness.application, at(date(2026, 9, 7)))
    assert len(trust.messages) == before
    # 7 September: the plan window is over, but the measure has been stuck for a quarter.
    assert ("Kirurgisk poliklinikk: 1 problem raised to you, not answered; "
            "1 measure stuck for a quarter or more") in group.last.plain
    periods = await weekly(db, 510)
    assert periods[0].endswith(":2026-06-29:1:1:0") and periods[-1].endswith(":2026-09-07:0:1:1")


async def test_the_monday_sweep_with_leader_groups_keeps_a_fixed_number_of_statements(db, monkeypatch):
    """The weekly digest is worked out with grouped queries: as many statements for 200 units as for 50
    (in one chunk of people each: the statements grow with the chunks only)."""
    from sqlalchemy import update

    from bench.progress_bench import generate
    from bot.rules.nudges import ReminderRules
    from bot.services import reminders
    from conversations.reminder_texts import digest_message
    from storage.models import OutboxMessage
    from storage.statements import StatementCounter
    from tests.test_sweep_scale import TZ, empty

    monday = date(2026, 6, 29)  # every generated plan is 14 days late
    monkeypatch.setattr(reminders, "PEOPLE_CHUNK", 100_000)
    counts = {}
    for units in (50, 200):
        await empty(db)
        await generate(db, units=units, trusts=4, regions=2)
        async with db.session() as session:  # every tenth unit a clinic's leader group
            await session.exec(update(Unit).where(Unit.id % 10 == 0).values(leader_group="clinic"))
        with StatementCounter(db.engine) as counted:
            result = await reminders.sweep(db, datetime.combine(monday, time(9), TZ), TZ, ReminderRules(),
                                           digest_message)
        counts[units] = counted.n
        async with db.session() as session:
            weekly = (await session.exec(select(Reminder).where(Reminder.reason == "above_weekly"))).all()
            texts = (await session.exec(select(OutboxMessage.text))).all()
        assert weekly and result.digests > 0
        assert sum("The units below you this week" in text or "Enhetene under deg denne uka" in text
                   or "Einingane under deg denne veka" in text for text in texts) == \
            len({r.person_id for r in weekly})  # one section in one message per leader above
    assert counts[50] == counts[200]
