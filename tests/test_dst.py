"""Der skoen trykker: enrolling a unit (chat and CLI), the seven phases beside ForBedring, marking a
phase with the parties and the reps' answers, the working group and the new roles, DST measures,
gatherings and stalled phases in the sweep, and /progress, /overdue, /export and /chart by method."""

from __future__ import annotations

import csv
from datetime import date, datetime, time, timedelta, timezone

import pytest
from sqlmodel import select

from bot.rules.methods import DST
from bot.services import programme, reminders
from conversations import routes
from storage.models import AuditEntry, Confirmation, DstEnrolment, DstGathering, Measure, Reminder, StepRecord
from tests.harness import ORG_CSV, rows, write

START = date(2027, 1, 11)
YES_NO_YES = {"potential": (True, "Høyt fravær over tid"), "challenges": (False, ""), "motivation": (True, "")}


async def enrol(db, unit_code="KIRPOL", trust="HB", start=START):
    unit_id = await programme.find_unit(db, unit_code, trust)
    return await programme.enrol(db, unit_id, start, YES_NO_YES, actor="test", now=datetime.now(timezone.utc))


@pytest.fixture
async def group(harness, db):
    """An enrolled unit and its working group: leader, both reps, a local resource, the leader's
    superior (a trust leader) and the region's intervention team."""
    harness.set_today(date(2027, 1, 20))
    await enrol(db)
    leader = await harness.member(701, "leader", "Kari")
    safety = await harness.member(702, "safety_rep", "Ola", language="Nynorsk")
    union = await harness.member(703, "union_rep", "Siri")
    resource = await harness.member(704, "local_resource", "Hanne", language="Bokmål")
    superior = await harness.member(705, "leader", "Per", scope="trust", place="HB")
    team = await harness.member(706, "intervention_team", "Ingrid", scope="region", place="Helse Vest")
    harness.application.bot_data["sender"].per_chat = 0
    return leader, safety, union, resource, superior, team


# --- enrolment ---

async def test_programme_staff_enrol_a_unit_in_the_chat_with_the_three_criteria(harness, db):
    harness.set_today(date(2027, 1, 20))
    staff = await harness.member(710, "programme_staff", "Priya", scope="national", place=None)
    replies = await staff.send("/dst")
    assert "No unit takes part yet." in replies[0].plain
    await staff.press("Enrol a unit")
    replies = await staff.send("NOPE")
    assert replies[0].plain.startswith("I found no single unit with that code among the places where you may enrol")
    replies = await staff.send("MED1")  # in two trusts
    assert replies[0].plain.startswith("I found no single unit with that code among the places where you may enrol")
    await staff.send("HB/KIRPOL")
    assert "Kirurgisk poliklinikk: when does the work start?" in staff.last.plain
    await staff.send("1.2.2027")
    assert "Entry criterion 1 of 3: Potential for lower sick leave" in staff.last.plain
    await staff.press("Yes")
    replies = await staff.send("x" * 201)
    assert "the limit is 200" in replies[0].plain
    await staff.send("Fraværet har vært høyt i to år.")
    assert "Entry criterion 2 of 3: Work-environment challenges" in staff.last.plain
    await staff.press("No")
    await staff.press("Skip")
    await staff.press("Yes")
    await staff.send("Alle vil være med.")
    assert "Enrol Kirurgisk poliklinikk in Der skoen trykker from 1 February 2027?" in staff.last.plain
    assert "• Work-environment challenges: no" in staff.last.plain
    replies = await staff.press("Enrol")
    assert replies[0].plain.startswith("Kirurgisk poliklinikk is enrolled in Der skoen trykker from 1 February 2027.")

    async with db.session() as session:
        enrolment = (await session.exec(select(DstEnrolment))).one()
        audited = (await session.exec(select(AuditEntry).where(AuditEntry.action == "dst.enrol"))).one()
    assert (enrolment.started_on, enrolment.potential, enrolment.potential_note, enrolment.challenges,
            enrolment.motivation, enrolment.motivation_note) == (
        date(2027, 2, 1), True, "Fraværet har vært høyt i to år.", False, True, "Alle vil være med.")
    assert audited.actor.startswith("person:")

    # Enrolled once: a second try is told so.
    await staff.send("/dst")
    await staff.press("Enrol a unit")
    replies = await staff.send("HB/KIRPOL")
    assert replies[0].plain.startswith("Kirurgisk poliklinikk takes part in Der skoen trykker already.")


async def test_only_programme_staff_and_admins_over_the_unit_may_enrol(harness, db):
    harness.set_today(date(2027, 1, 20))
    leader = await harness.member(711, "leader", "Kari")
    await leader.send("/dst")
    assert "No unit you follow takes part in Der skoen trykker." in leader.last.plain
    await leader.press_data(routes.DST_ENROL.build())  # a forged press
    assert leader.callback_answers()[-1]["text"] == "You cannot do that for this unit."
    admin = await harness.member(712, "admin", "Anne", scope="trust", place="OUS")
    await admin.send("/dst")
    await admin.press("Enrol a unit")
    outside = (await admin.send("HB/KIRPOL"))[0].plain  # another trust's unit
    # The same answer as for a unit that does not exist: it does not tell that the unit is there.
    assert outside == (await admin.send("HB/NOPE"))[0].plain == (await admin.send("KIRPOL"))[0].plain
    assert outside.startswith("I found no single unit with that code among the places where you may enrol units.")
    async with db.session() as session:
        assert (await session.exec(select(DstEnrolment))).all() == []
    # A code used in two trusts needs no trust's code from an admin of one of them.
    hb_admin = await harness.member(713, "admin", "Berit", scope="trust", place="HB")
    await hb_admin.send("/dst")
    await hb_admin.press("Enrol a unit")
    replies = await hb_admin.send("MED1")
    assert replies[0].plain.startswith("Medisinsk sengepost 1: when does the work start?")


def test_enrol_from_the_command_line(cli, db_url, tmp_path):
    org = write(tmp_path, "org.csv", ORG_CSV)
    assert cli("org", "import", org)[0] == 0
    code, out, err = cli("dst", "enrol", "--unit", "MED1", "--start", "2027-02-01", "--potential", "yes",
                         "--challenges", "yes", "--motivation", "no")
    assert code == 1 and "add --in-trust CODE" in err
    code, out, err = cli("dst", "enrol", "--unit", "MED1", "--in-trust", "HFD", "--start", "2027-02-01",
                         "--potential", "yes", "--potential-note", "Mye langtidsfravær", "--challenges", "yes",
                         "--motivation", "no")
    assert code == 0, err
    assert out.startswith("enrolled unit MED1 in Der skoen trykker from 2027-02-01")
    code, _, err = cli("dst", "enrol", "--unit", "MED1", "--in-trust", "HFD", "--start", "2027-03-01",
                       "--potential", "yes", "--challenges", "yes", "--motivation", "yes")
    assert code == 1 and "enrolled in Der skoen trykker already" in err
    code, _, err = cli("dst", "enrol", "--unit", "AKUTT", "--start", "1. mars", "--potential", "yes",
                       "--challenges", "yes", "--motivation", "yes")
    assert code == 1 and "expected YYYY-MM-DD" in err
    code, _, err = cli("dst", "enrol", "--unit", "AKUTT", "--start", "2027-03-01", "--potential", "yes",
                       "--potential-note", "x" * 201, "--challenges", "yes", "--motivation", "yes")
    assert code == 1 and "longer than 200" in err
    [enrolment] = rows(db_url, DstEnrolment)
    assert (enrolment.started_on, enrolment.potential, enrolment.potential_note, enrolment.motivation,
            enrolment.enrolled_by) == (date(2027, 2, 1), True, "Mye langtidsfravær", False, "cli")


# --- the phases beside ForBedring ---

async def test_followup_shows_both_methods_and_the_leader_marks_a_phase_the_reps_answer(harness, db, group):
    leader, safety, union, resource, superior, team = group
    replies = await leader.send("/followup")
    assert replies[0].plain.startswith("ForBedring 2026 · Kirurgisk poliklinikk")
    assert "This unit also follows Der skoen trykker (since 11 January 2027)." in replies[0].plain
    replies = await leader.press("Der skoen trykker")
    text = replies[0].plain
    assert text.startswith("Der skoen trykker · Kirurgisk poliklinikk\nStarted 11 January 2027")
    assert "• Potential for lower sick leave: yes – Høyt fravær over tid" in text
    assert "⬜ 1. Preparation and anchoring – by 8 February 2027" in text  # 28 days after the start
    assert "⬜ 7. Continued work – by 6 March 2028" in text  # 420 days
    assert "• leader: Kari" in text and "• local resource: Hanne" in text
    assert "• leader (the trust): Per" in text
    assert len([b for b in leader.last.buttons if b.get("callback_data", "").startswith("dsp:")]) == 7

    await leader.press("⬜ 1. Preparation and anchoring")
    assert "Anchor the work with management, the safety service and the unions" in leader.last.plain
    assert any(b.get("url") == "https://derskoentrykker.no/" for b in leader.last.buttons)
    await leader.press("Mark as done")
    replies = await leader.send("5.1.2027")
    assert replies[0].plain.startswith("That is before the unit started (11 January 2027).")
    await leader.send("18.1.2027")
    await leader.press("union representative")  # untick: only the safety rep was there
    replies = await leader.press("Save")
    assert replies[0].plain == ("Saved: “Preparation and anchoring” done 18 January 2027. "
                                "2 representatives are asked to confirm.")
    assert "✅ 1. Preparation and anchoring – 18 January 2027" in replies[1].plain

    assert safety.last.plain.startswith("Kari har merkt «Førebuing og forankring» som ferdig (18. januar 2027)")
    await union.press("I was not involved")
    await union.send("Jeg ble ikke spurt.")
    await safety.press(safety.last.buttons[0]["text"])  # "I took part", in Nynorsk
    assert any("was not involved" in m.plain for m in leader.messages[-3:])

    async with db.session() as session:
        record = (await session.exec(select(StepRecord))).one()
        answers = {c.role: (c.subject, c.answer, c.comment) for c in (await session.exec(select(Confirmation))).all()}
    assert (record.step, record.done_on, record.parties) == ("anchor", date(2027, 1, 18), "leader,safety_rep")
    assert answers == {"safety_rep": ("step:anchor", "took_part", None),
                       "union_rep": ("step:anchor", "not_involved", "Jeg ble ikke spurt.")}
    replies = await leader.press_data(routes.DST.build(await programme.find_unit(db, "KIRPOL", "HB")))
    assert "⚠ union representative Siri: was not involved – «Jeg ble ikke spurt.»" in replies[0].plain

    # ForBedring's own year is untouched: its steps are its own.
    replies = await leader.send("/followup")
    assert "✅ 1. Preparation" not in replies[0].plain and "Preparation and anchoring" not in replies[0].plain


async def test_only_the_leader_marks_and_only_the_group_sees_the_phases(harness, db, group):
    leader, safety, union, resource, superior, team = group
    unit_id = await programme.find_unit(db, "KIRPOL", "HB")
    # The local resource and the intervention team see the unit, without mark buttons.
    for person in (resource, team):
        replies = await person.press_data(routes.DST_PHASE.build(unit_id, "mapping"))
        assert "Hold dialogue meetings with the staff" in replies[-1].plain or \
            "dialogmøte" in replies[-1].plain
        assert not any(b.get("callback_data", "").startswith("dsm:") for b in person.last.buttons)
    await safety.press_data(routes.DST_MARK.build(unit_id, "mapping"))
    assert safety.callback_answers()[-1]["text"] == "Du kan ikkje gjere det for denne eininga."
    # Someone of another unit and another region's team cannot open it.
    other = await harness.member(720, "leader", "Nils", place="AKUTT", trust="OUS")
    await other.press_data(routes.DST.build(unit_id))
    assert other.callback_answers()[-1]["text"] == "You cannot do that for this unit."
    far_team = await harness.member(721, "intervention_team", "Eva", scope="region", place="helse-sor-ost")
    await far_team.press_data(routes.DST.build(unit_id))
    assert far_team.callback_answers()[-1]["text"] == "You cannot do that for this unit."
    # A phase that does not exist, and a unit that is not enrolled.
    await leader.press_data(routes.DST_MARK.build(unit_id, "nonsense"))
    assert leader.callback_answers()[-1]["text"] == "You cannot do that for this unit."
    med1 = await programme.find_unit(db, "MED1", "HB")
    med_leader = await harness.member(722, "leader", "Lise", place="MED1", trust="HB")
    replies = await med_leader.press_data(routes.DST_MARK.build(med1, "anchor"))
    assert replies[-1].plain == "This unit does not take part in Der skoen trykker."
    async with db.session() as session:
        assert (await session.exec(select(StepRecord))).all() == []


async def test_the_intervention_team_follows_its_region_and_local_resources_join_with_invites(harness, db, group):
    leader, safety, union, resource, superior, team = group
    replies = await team.send("/dst")
    assert "1 unit takes part." in replies[0].plain
    assert [b["text"] for b in team.last.buttons][0] == "Kirurgisk poliklinikk (Helse Bergen)"
    # Roles are given where they belong: an intervention team at a region, a local resource at a unit or trust.
    from bot.rules.errors import InviteError

    with pytest.raises(InviteError):
        await harness.invite("intervention_team", scope="unit", place="KIRPOL", trust="HB")
    with pytest.raises(InviteError):
        await harness.invite("local_resource", scope="region", place="Helse Vest")
    trust_resource = await harness.member(723, "local_resource", "Bjørn", scope="trust", place="HB")
    replies = await trust_resource.send("/dst")
    assert "1 unit takes part." in replies[0].plain
    # A local resource sees its unit's phases in /progress (no ForBedring roll-up: it oversees nothing).
    replies = await resource.send("/progress")
    assert [m.plain.split("\n")[0] for m in replies] == ["Der skoen trykker"]
    assert "1 enhet er med." in replies[0].plain


async def test_measures_made_in_phase_4_are_the_units_measures_marked_dst(harness, db, group):
    leader, *_ = group
    harness.set_today(date(2027, 5, 3))
    unit_id = await programme.find_unit(db, "KIRPOL", "HB")
    await leader.press_data(routes.DST_PHASE.build(unit_id, "develop"))
    assert "Register them here as Der skoen trykker measures" in leader.last.plain
    await leader.press("Register a DST measure")
    await leader.press("Teamwork climate")
    await leader.press("Improve")
    await leader.send("Faste pauser")
    await leader.send("Alle får en fast pause.")
    await leader.send("Leder")
    await leader.send("1.12.2027")
    await leader.press("Save")
    await leader.send("/newmeasure")  # an ordinary ForBedring measure beside it
    await leader.press("Teamwork climate")
    await leader.press("Preserve")
    await leader.send("Morgenmøte")
    await leader.send("Hver dag.")
    await leader.send("Leder")
    await leader.send("1.12.2027")
    await leader.press("Save")
    async with db.session() as session:
        measures = {m.title: m for m in (await session.exec(select(Measure))).all()}
    assert measures["Faste pauser"].method == "dst" and measures["Morgenmøte"].method is None
    assert measures["Faste pauser"].unit_id == unit_id and measures["Faste pauser"].status == "planned"
    # Same status and quarterly one-tap as every measure: it is in the unit's list.
    await leader.send("/measures")
    lines = {line.split(" – ")[0][2:].strip(): line for line in leader.last.plain.splitlines() if " – " in line}
    assert lines["Faste pauser"].endswith("· Der skoen trykker")
    assert "Der skoen trykker" not in lines["Morgenmøte"]
    # Not enrolled: no DST measure.
    med_leader = await harness.member(724, "leader", "Lise", place="MED1", trust="HB")
    med1 = await programme.find_unit(db, "MED1", "HB")
    await med_leader.press_data(routes.DST_MEASURE.build(med1))
    assert med_leader.callback_answers()[-1]["text"] == "You cannot do that for this unit."


# --- reminders: a stalled phase, gatherings ---

def at(day: date, harness) -> datetime:
    return datetime.combine(day, time(9, 0), harness.settings.bot_timezone)


async def sweep(harness, db, day: date):
    result = await reminders.sweep(db, at(day, harness), harness.settings.bot_timezone,
                                   reminders.rules_from(harness.settings))
    await harness.application.bot_data["sender"].send_due(now=at(day, harness))
    return result


async def reasons(db) -> dict[int, set[str]]:
    async with db.session() as session:
        found = (await session.exec(select(Reminder.person_id, Reminder.reason))).all()
    by_person: dict[int, set[str]] = {}
    for person, reason in found:
        by_person.setdefault(person, set()).add(reason)
    return by_person


async def test_a_stalled_phase_reminds_the_leader_and_the_intervention_team_once(harness, db, group):
    leader, safety, union, resource, superior, team = group
    # Phase 1 is due 8 February; stalled 14 days after: 22 February (a Monday).
    await sweep(harness, db, date(2027, 2, 19))
    assert "stalled" not in team.last.plain
    await sweep(harness, db, date(2027, 2, 22))
    assert "A phase of Der skoen trykker has stalled" in team.last.plain
    assert "Kirurgisk poliklinikk: the phase “Preparation and anchoring” of Der skoen trykker is past its " \
           "target date." in team.last.plain
    assert "A phase of Der skoen trykker has stalled" in leader.last.plain
    assert team.last.buttons[0]["text"] == "Open Der skoen trykker"
    assert not any("stalled" in m.plain for m in safety.messages + resource.messages)
    second = await sweep(harness, db, date(2027, 2, 23))
    assert second.recorded == 0
    # Once the phase is marked, the next phase is what can stall.
    unit_id = await programme.find_unit(db, "KIRPOL", "HB")
    await leader.press_data(routes.DST_MARK.build(unit_id, "anchor"))
    await leader.press("Today")
    await leader.press("Save")
    async with db.session() as session:
        periods = set((await session.exec(select(Reminder.period).where(Reminder.reason == "dst_stalled"))).all())
    assert periods == {"anchor"}


async def test_gatherings_remind_the_regions_working_groups_a_week_before_and_on_the_day(harness, db, group):
    leader, safety, union, resource, superior, team = group
    other = await harness.member(730, "leader", "Nils", place="AKUTT", trust="OUS")
    await enrol(db, "AKUTT", "OUS")
    now = datetime.now(timezone.utc)
    with pytest.raises(programme.ProgrammeError):
        await programme.add_gathering(db, "Helse Vest", "party", date(2027, 3, 10), "Bergen", actor="test", now=now)
    await programme.add_gathering(db, "Helse Vest", "workshop", date(2027, 3, 10), "Haukeland, auditoriet",
                                  actor="test", now=now)
    await sweep(harness, db, date(2027, 3, 2))
    assert "gathering" not in leader.last.plain
    await sweep(harness, db, date(2027, 3, 3))
    for person in (leader, union, superior, team):
        assert "Helse Vest: Workshop of Der skoen trykker on 10 March 2027, Haukeland, auditoriet." in person.last.plain
    assert "Helse Vest: Workshop i Der skoen trykker 10. mars 2027, Haukeland, auditoriet. Arbeidsgruppa " \
           "deltar." in resource.last.plain
    assert "Ei samling i Der skoen trykker nærmar seg" in safety.last.plain
    assert not any("Workshop" in m.plain for m in other.messages)
    assert any(b.get("url") == "https://derskoentrykker.no/" for b in leader.last.buttons)
    await sweep(harness, db, date(2027, 3, 10))
    async with db.session() as session:
        kinds = sorted((await session.exec(select(Reminder.period).where(Reminder.reason == "dst_gathering"))).all())
    assert set(kinds) == {"week", "day"}
    assert len(kinds) == 2 * 6  # leader, both reps, the local resource, the superior, the team; twice


def test_gathering_add_from_the_command_line(cli, db_url, tmp_path):
    assert cli("org", "import", write(tmp_path, "org.csv", ORG_CSV))[0] == 0
    code, out, err = cli("dst", "gathering", "add", "--region", "Helse Vest", "--kind", "follow_up",
                         "--date", "2027-09-01", "--place", "Førde sentralsjukehus")
    assert code == 0, err
    assert "follow_up on 2027-09-01 at Førde sentralsjukehus" in out
    code, _, err = cli("dst", "gathering", "add", "--region", "Nowhere", "--kind", "digital",
                       "--date", "2027-09-01", "--place", "Teams")
    assert code == 1 and "no region" in err
    code, out, _ = cli("dst", "gathering", "list")
    assert "Helse Vest\tfollow_up\tFørde sentralsjukehus" in out
    assert [(g.kind, g.held_on) for g in rows(db_url, DstGathering)] == [("follow_up", date(2027, 9, 1))]


# --- by method: /progress, /overdue, /export, /chart, and the research export ---

async def test_progress_and_overdue_split_by_method(harness, db, group):
    leader, safety, union, resource, superior, team = group
    harness.set_today(date(2027, 3, 1))
    replies = await team.send("/progress")  # the intervention team: DST only
    assert replies[0].plain.startswith("Der skoen trykker\n1 unit takes part.")
    assert "1. Preparation and anchoring: done in 0 of 1 unit" in replies[0].plain
    assert "1 unit is past a phase's target date (/overdue)." in replies[0].plain
    replies = await team.send("/overdue")
    assert "Kirurgisk poliklinikk (Helse Bergen) – since 8 February 2027: Preparation and anchoring" in replies[0].plain
    replies = await superior.send("/progress")  # the trust's leader: ForBedring, then DST
    assert replies[0].plain.startswith("Progress")
    assert replies[-1].plain.startswith("Der skoen trykker")
    replies = await superior.send("/overdue")
    assert replies[-1].plain.startswith("Der skoen trykker")


async def test_export_and_chart_split_by_method(harness, db, group):
    leader, safety, union, resource, superior, team = group
    replies = await team.send("/export")
    assert [m.kind for m in replies] == ["document"]
    name, data = harness.telegram.files[-1][1], harness.telegram.files[-1][2]
    assert name.startswith("der-skoen-trykker-") and name.endswith(".csv")
    data = data.decode("utf-8-sig").splitlines()
    header = data[0].split(";")
    assert header[:7] == ["region", "trust_code", "trust", "unit_code", "unit", "started_on", "potential"]
    assert data[1].split(";")[:7] == ["Helse Vest", "HB", "Helse Bergen", "KIRPOL", "Kirurgisk poliklinikk",
                                      "2027-01-11", "yes"]
    replies = await team.send("/chart")
    assert [m.kind for m in replies] == ["photo"]
    assert replies[0].plain == "Der skoen trykker: phases done"


def test_the_research_export_says_nothing_about_any_person(cli, db_url, tmp_path):
    assert cli("org", "import", write(tmp_path, "org.csv", ORG_CSV))[0] == 0
    assert cli("dst", "enrol", "--unit", "KIRPOL", "--in-trust", "HB", "--start", "2027-01-11", "--potential", "yes",
               "--potential-note", "Kari Nordmann er mye borte", "--challenges", "no", "--motivation", "yes")[0] == 0
    code, _, err = cli("export", "--research")
    assert code == 1 and "--method dst --research" in err
    code, out, err = cli("export", "--method", "dst", "--research", "--output", "research.csv")
    assert code == 0, err
    assert "1 unit(s)" in out
    text = (tmp_path / "research.csv").read_text("utf-8-sig")
    assert "Kari" not in text and "borte" not in text  # the notes stay out
    table = list(csv.reader(text.splitlines(), delimiter=";"))
    header, row = table
    assert header == programme.RESEARCH_HEADER
    values = dict(zip(header, row))
    assert (values["unit_code"], values["potential"], values["challenges"], values["motivation"]) == (
        "KIRPOL", "yes", "no", "yes")
    assert values["phase_1_anchor_target"] == "2027-02-08" and values["phase_1_anchor_done"] == ""
    assert values["measures_planned"] == "0"
    assert not any(column in header for column in ("name", "person", "leader", "responsible"))
    assert DST.steps[0].key == "anchor"


# --- the sweep stays set-based with the programme's reminders ---

async def test_the_programmes_reminders_cost_the_same_statements_for_few_or_many_units(db):
    """Stalled phases, a gathering a week ahead and a TTP day at once: the sweep's statements do not
    grow with the number of enrolled units (tests/test_sweep_scale.py does the same for ForBedring)."""
    from sqlmodel import SQLModel, func

    from bench.progress_bench import generate
    from bot.rules.nudges import ReminderRules
    from conversations.reminder_texts import digest_message
    from storage.models import Region, Unit
    from storage.statements import StatementCounter
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Europe/Oslo")
    day = date(2026, 2, 16)  # phase 1 (due 2 February) stalled 14 days after; the TTP day; a week before
    rules = ReminderRules(ttp_dates="02-16")
    counts, recorded = {}, {}
    for size in (20, 60):
        async with db.session() as session:
            connection = await session.connection()
            for table in reversed(SQLModel.metadata.sorted_tables):
                await connection.execute(table.delete())
        await generate(db, units=size, trusts=4, regions=2)
        async with db.session() as session:
            unit_ids = (await session.exec(select(Unit.id))).all()
            region_ids = (await session.exec(select(Region.id))).all()
        now = datetime.now(timezone.utc)
        for unit_id in unit_ids:
            await programme.enrol(db, unit_id, date(2026, 1, 5), YES_NO_YES, actor="test", now=now)
        for region_id in region_ids:
            async with db.session() as session:
                session.add(DstGathering(region_id=region_id, kind="workshop", held_on=date(2026, 2, 23),
                                         place="Auditoriet", created_by="test", created_at=now))
        with StatementCounter(db.engine) as counted:
            result = await reminders.sweep(db, datetime.combine(day, time(9, 0), tz), tz, rules, digest_message)
        counts[size] = counted.n
        async with db.session() as session:
            recorded[size] = dict((await session.exec(select(Reminder.reason, func.count()).where(
                Reminder.reason.in_(("dst_stalled", "dst_gathering", "ttp"))).group_by(Reminder.reason))).all())
        assert result.digests > 0
    # Every unit's leader: a stalled phase and the TTP day; its leader and reps, and the trusts'
    # leaders (the leaders' superiors): the gathering.
    for size in (20, 60):
        assert (recorded[size]["dst_stalled"], recorded[size]["ttp"]) == (size, size)
        assert 3 * size < recorded[size]["dst_gathering"] < 4 * size
    assert counts[20] == counts[60], counts


async def test_a_rep_who_has_not_answered_about_a_phase_is_reminded_and_answers_from_the_digest(harness, db, group):
    leader, safety, union, resource, superior, team = group
    unit_id = await programme.find_unit(db, "KIRPOL", "HB")
    await leader.press_data(routes.DST_MARK.build(unit_id, "anchor"))
    await leader.press("Today")  # 20 January 2027
    await leader.press("Save")
    await union.press("I took part")
    await sweep(harness, db, date(2027, 1, 26))
    assert not any("Your answer is still missing" in m.plain for m in union.messages)
    await sweep(harness, db, date(2027, 1, 27))  # a week after it was asked
    digest = safety.last
    assert "Svaret ditt manglar framleis" in digest.plain
    assert "«Førebuing og forankring» for Kirurgisk poliklinikk" in digest.plain
    assert not any("Your answer is still missing" in m.plain for m in union.messages)  # answered already
    await safety.press(digest.buttons[0]["text"], digest)  # "I took part", in Nynorsk
    async with db.session() as session:
        answers = {c.role: c.answer for c in (await session.exec(select(Confirmation))).all()}
    assert answers == {"safety_rep": "took_part", "union_rep": "took_part"}
    again = await sweep(harness, db, date(2027, 1, 28))
    assert again.recorded == 0


def test_the_phase_settings_and_their_defaults():
    from bot.settings import SettingsError, load_settings

    defaults = load_settings(env={}, env_file=None)
    assert defaults.dst_phase_days == (28, 84, 112, 154, 280, 364, 420)
    assert (defaults.dst_stall_days, defaults.ttp_dates) == (14, "03-15,06-15,09-15,12-15")
    own = load_settings(env={"DST_PHASE_1_DAYS": "14", "DST_STALL_DAYS": "7"}, env_file=None)
    assert own.dst_phase_days[:2] == (14, 84) and own.dst_stall_days == 7
    assert programme.phase_targets(date(2027, 1, 11), own.dst_phase_days)[0] == ("anchor", date(2027, 1, 25))
    for env in ({"DST_PHASE_2_DAYS": "20"}, {"DST_PHASE_3_DAYS": "soon"}, {"DST_STALL_DAYS": "0"},
                {"TTP_DATES": "15-03"}):
        with pytest.raises(SettingsError) as raised:
            load_settings(env=env, env_file=None)
        assert next(iter(env)) in str(raised.value) or "DST_PHASE_1_DAYS" in str(raised.value)


async def test_an_admin_gets_forbedring_and_dst_side_by_side(harness, db, group):
    admin = await harness.member(740, "admin", "Anne", scope="national", place=None)
    replies = await admin.send("/export csv")
    assert [m.kind for m in replies] == ["document", "document", "document"]
    names = [name for _, name, _ in harness.telegram.files[-3:]]
    assert names[0].startswith("der-skoen-trykker-") and names[1].endswith("units.csv") \
        and names[2].endswith("measures.csv")
    replies = await admin.send("/chart")
    assert [m.kind for m in replies] == ["photo", "photo"]
    assert replies[0].plain == "Der skoen trykker: phases done"
    # Someone who follows no DST unit gets ForBedring's alone.
    other = await harness.member(741, "admin", "Ola", scope="trust", place="OUS")
    replies = await other.send("/export csv")
    assert [m.kind for m in replies] == ["document", "document"]
    replies = await other.send("/progress")
    assert not any(m.plain.startswith("Der skoen trykker") for m in replies)


# --- who sees names in a unit's DST (issue 12's privacy notice) ---

async def test_programme_staff_see_figures_only_and_opening_from_outside_the_unit_is_audited(harness, db, group, cli):
    import asyncio

    from storage.models import Membership, Person

    leader, safety, union, resource, superior, team = group
    unit_id = await programme.find_unit(db, "KIRPOL", "HB")
    await leader.press_data(routes.DST_PHASE.build(unit_id, "anchor"))
    await leader.press("Mark as done")
    await leader.send("18.1.2027")
    await leader.press("Save")
    await union.press("I was not involved")
    await union.send("Jeg ble ikke spurt.")
    names = ("Kari", "Ola", "Siri", "Hanne", "Per", "Ingrid")

    # Programme staff: the phases and the working group's roles; no name, no answer, no comment.
    staff = await harness.member(730, "programme_staff", "Priya", scope="national", place=None)
    text = (await staff.press_data(routes.DST.build(unit_id)))[-1].plain
    assert "✅ 1. Preparation and anchoring – 18 January 2027" in text
    assert "• leader\n" in text and "• local resource\n" in text and "• leader (the trust)\n" in text
    assert "Programme staff see figures only: the working group's names and the representatives' answers " \
           "are not shown." in text
    assert not any(name in text for name in names) and "was not involved" not in text and "spurt" not in text
    text = (await staff.press("✅ 1. Preparation and anchoring"))[-1].plain
    assert "Done: 18 January 2027" in text and "Programme staff see figures only" in text
    assert not any(name in text for name in names) and "spurt" not in text
    # Programme staff and an admin at once: names, as an admin.
    both = await harness.member(731, "admin", "Anne", scope="national", place=None)
    async with db.session() as session:
        anne = (await session.exec(select(Person).where(Person.telegram_user_id == 731))).one()
        session.add(Membership(person_id=anne.id, role="programme_staff", scope="national"))

    # Those who work with the unit see the names and the answers; from outside the unit it is audited.
    for person in (team, superior, both):
        text = (await person.press_data(routes.DST.build(unit_id)))[-1].plain
        assert "• leader: Kari" in text and "⚠ union representative Siri: was not involved – «Jeg ble ikke spurt.»" \
            in text, text
    await team.press("✅ 1. Preparation and anchoring")
    # The unit's own working group is not audited; programme staff saw no names.
    await leader.press_data(routes.DST.build(unit_id))
    await resource.press_data(routes.DST.build(unit_id))
    async with db.session() as session:
        views = (await session.exec(select(AuditEntry).where(AuditEntry.action == "dst_viewed")
                                    .order_by(AuditEntry.id))).all()
        viewers = {p.id: p.name for p in (await session.exec(select(Person))).all()}
    assert [(viewers[int(v.actor.split(":")[1])], v.subject) for v in views] == [
        ("Ingrid", f"unit:{unit_id}"), ("Per", f"unit:{unit_id}"), ("Anne", f"unit:{unit_id}"),
        ("Ingrid", f"unit:{unit_id}")]
    code, out, _ = await asyncio.to_thread(cli, "audit", "--unit", "KIRPOL", "--in-trust", "HB")
    assert code == 0 and out.count("dst_viewed") == 4

    # The notice says so.
    text = (await staff.send("/privacy"))[0].plain
    assert "the region's leaders and intervention team, and administrators. Each time someone outside the unit " \
           "opens it, that is written in the audit log. Programme staff see figures only there too, never names." \
           in text


# --- the research export's cells, and the reps' reminders after their role ended ---

def test_the_research_export_writes_names_a_spreadsheet_does_not_run(cli, db_url, tmp_path):
    org = ORG_CSV.replace(";KIRPOL;Kirurgisk poliklinikk;", ";KIRPOL;=HYPERLINK(A1);")
    assert cli("org", "import", write(tmp_path, "org.csv", org))[0] == 0
    assert cli("dst", "enrol", "--unit", "KIRPOL", "--in-trust", "HB", "--start", "2027-01-11", "--potential", "yes",
               "--challenges", "no", "--motivation", "yes")[0] == 0
    code, _, err = cli("export", "--method", "dst", "--research", "--output", "research.csv")
    assert code == 0, err
    header, row = list(csv.reader((tmp_path / "research.csv").read_text("utf-8-sig").splitlines(), delimiter=";"))
    assert dict(zip(header, row))["unit"] == "'=HYPERLINK(A1)"


async def test_a_rep_whose_role_ended_is_not_reminded_of_a_phase_they_were_asked_about(harness, db, group):
    from bot.services import members as member_service
    from storage.models import Membership, Person

    leader, safety, union, resource, superior, team = group
    unit_id = await programme.find_unit(db, "KIRPOL", "HB")
    await leader.press_data(routes.DST_MARK.build(unit_id, "anchor"))
    await leader.press("Today")  # 20 January 2027
    await leader.press("Save")
    async with db.session() as session:  # Ola (safety rep) steps down; Siri stays
        ended = (await session.exec(select(Membership.id).join(Person, Person.id == Membership.person_id)
                                    .where(Person.telegram_user_id == 702))).all()
    await member_service.end_memberships(db, list(ended), actor="test", now=at(date(2027, 1, 22), harness))
    seen = len(safety.messages)
    await sweep(harness, db, date(2027, 1, 27))  # a week after they were asked
    assert not any("Svaret ditt manglar framleis" in m.plain for m in safety.messages[seen:])
    assert any("Your answer is still missing" in m.plain for m in union.messages)


async def test_a_phase_past_its_target_date_is_marked_overdue_as_followups_steps_are(harness, db, group):
    leader = group[0]
    harness.set_today(date(2027, 4, 20))  # phase 1 due 8 February, phase 2 due 5 April (84 days)
    await leader.send("/followup")
    text = (await leader.press("Der skoen trykker"))[0].plain
    assert "⚠️ 1. Preparation and anchoring – overdue since 8 February 2027" in text
    assert "⚠️ 2. Mapping through dialogue – overdue since 5 April 2027" in text
    assert "⬜ 3." in text and "Next: Preparation and anchoring, overdue since 8 February 2027." in text
