"""Roll-ups against a hand-built organisation where every figure is known;
/overdue, /export and /chart; who may see what."""

from __future__ import annotations

import asyncio
import io
from datetime import date, datetime, timezone

import pytest
from openpyxl import load_workbook
from PIL import Image
from sqlmodel import select

from bot.rules.places import Where
from bot.services import progress as service
from conversations import routes
from storage.models import (
    Confirmation,
    FocusArea,
    HealthTrust,
    Measure,
    MeasureEvent,
    Person,
    Region,
    StepRecord,
    Unit,
    UnitFollowup,
)

TODAY = date(2026, 10, 1)  # the last quarterly date (default cycle) was 15 September


def utc(*args):
    return datetime(*args, tzinfo=timezone.utc)


@pytest.fixture
async def known(harness, db):
    """HB/MED1 does everything; HB/KIRPOL half; HFD/MED1 nothing; OUS/AKUTT some (see the figures below)."""
    harness.set_today(TODAY)
    admin = await harness.member(950, "admin", "Anne", scope="national", place=None)
    async with db.session() as session:
        units = {(t.code, u.code): u.id for u, t in (await session.exec(select(Unit, HealthTrust).join(HealthTrust))).all()}
        reps = [Person(telegram_user_id=960 + i, name=f"Rep {i}") for i in range(2)]
        session.add_all(reps)
        await session.flush()
        person = reps[0].id

        async def followup(key, submitted=None):
            f = UnitFollowup(unit_id=units[key], year=2026, plan_submitted_at=submitted)
            session.add(f)
            await session.flush()
            return f

        def steps(f, *names):
            session.add_all([StepRecord(followup_id=f.id, step=n, done_on=date(2026, 4, 20), parties="leader",
                                        marked_by=person) for n in names])

        def measure(f, key, status, deadline, kind="improve", updates=()):
            m = Measure(followup_id=f.id, unit_id=units[key], year=2026, theme="teamwork", kind=kind,
                        title=f"{key[1]} {status} {deadline}", description="d", responsible="r", deadline=deadline,
                        status=status, created_by=person, created_at=utc(2026, 5, 1), updated_at=utc(2026, 5, 1))
            session.add(m)
            return m, updates

        med1 = await followup(("HB", "MED1"), utc(2026, 6, 1))
        steps(med1, "review", "feedback")
        session.add_all([FocusArea(followup_id=med1.id, kind=k, theme="teamwork", why="w", created_by=person)
                         for k in ("preserve", "improve")])
        session.add_all([Confirmation(followup_id=med1.id, subject="plan", person_id=rep.id, role=r,
                                      answer="acknowledged") for rep, r in zip(reps, ("safety_rep", "union_rep"))])
        kirpol = await followup(("HB", "KIRPOL"), utc(2026, 6, 10))
        steps(kirpol, "review")
        session.add(FocusArea(followup_id=kirpol.id, kind="preserve", theme="teamwork", why="w", created_by=person))
        session.add(Confirmation(followup_id=kirpol.id, subject="plan", person_id=person, role="safety_rep",
                                 answer="acknowledged"))
        session.add(Confirmation(followup_id=kirpol.id, subject="plan", person_id=reps[1].id, role="union_rep",
                                 answer="objected"))
        akutt = await followup(("OUS", "AKUTT"))
        steps(akutt, "review", "feedback")
        made = [
            measure(med1, ("HB", "MED1"), "planned", date(2026, 9, 1), updates=[utc(2026, 9, 20)]),
            measure(med1, ("HB", "MED1"), "done", date(2026, 8, 1), kind="preserve"),
            measure(kirpol, ("HB", "KIRPOL"), "planned", date(2026, 12, 1), updates=[utc(2026, 8, 1)]),
            measure(akutt, ("OUS", "AKUTT"), "dropped", date(2026, 9, 1)),
            measure(akutt, ("OUS", "AKUTT"), "in_progress", date(2026, 9, 30), updates=[utc(2026, 9, 16)]),
        ]
        await session.flush()
        for m, updates in made:
            session.add_all([MeasureEvent(measure_id=m.id, person_id=person, field="quarterly", new="on_track", at=at)
                             for at in updates])
    return admin, units


async def figures(db, where, harness):
    node = await service.node(db, where, TODAY, harness.settings.bot_timezone)
    t = node.total
    return node, (t.units, t.reviewed, t.feedback, t.areas, t.submitted, t.acknowledged, t.with_measures,
                  t.updated, t.measures, t.overdue)


async def test_every_figure(harness, db, known):
    async with db.session() as session:
        vest = (await session.exec(select(Region.id).where(Region.code == "helse-vest"))).one()
        hb = (await session.exec(select(HealthTrust.id).where(HealthTrust.code == "HB"))).one()
    node, national = await figures(db, Where(), harness)
    assert national == (4, 3, 2, 1, 2, 1, 3, 2, 4, 2)
    assert [(c.name, c.units) for c in node.children] == [("Helse Sør-Øst", 1), ("Helse Vest", 3)]
    node, region = await figures(db, Where(region_id=vest), harness)
    assert region == (3, 2, 1, 1, 2, 1, 2, 1, 3, 1)
    node, trust = await figures(db, Where(region_id=vest, trust_id=hb), harness)
    assert trust == (2, 2, 1, 1, 2, 1, 2, 1, 3, 1)
    assert node.child_level == "clinic" and [c.name for c in node.children] == ["Kirurgisk klinikk", "Medisinsk klinikk"]
    _, clinic = await figures(db, Where(region_id=vest, trust_id=hb, clinic="Kirurgisk klinikk"), harness)
    assert clinic == (1, 1, 0, 0, 1, 0, 1, 0, 1, 0)


async def test_drill_down_in_chat_to_a_units_plan(harness, db, known):
    admin, _ = known
    replies = await admin.send("/progress")
    text = replies[0].plain
    assert text.startswith("Progress 2026 · all units\n4 units\nReviewed the results with the parties: 75%")
    assert "Submitted the plan: 50%" in text and "Plan acknowledged by the reps: 25%" in text
    assert "Updated their measures since 15 September 2026: 67%" in text
    assert "1 measure per unit on average\n2 measures past their deadline" in text
    await admin.press("Helse Vest (67%)")
    await admin.press("Helse Bergen (100%)")
    replies = await admin.press("Medisinsk klinikk (100%)")
    assert replies[0].plain.startswith("Progress 2026 · Medisinsk klinikk\n1 unit\n")
    replies = await admin.press("Medisinsk sengepost 1 (100%)")
    assert replies[0].plain.startswith("Action plan 2026 · Medisinsk sengepost 1 (Helse Bergen)")


async def test_overdue_oldest_first(harness, db, known):
    admin, _ = known
    replies = await admin.send("/overdue")
    lines = replies[0].plain.splitlines()
    assert lines[0] == "Overdue · page 1 of 1"
    assert lines[1:] == [
        "Medisinsk post Førde (Helse Førde) – since 29 April 2026: review with the parties, feedback meeting, "
        "areas to preserve and improve, plan",
        # Its open measure was last updated on 1 August, before the status date of 15 September.
        "Kirurgisk poliklinikk (Helse Bergen) – since 15 May 2026: feedback meeting, areas to preserve and improve, "
        "quarterly status of the measures",
        "Akuttmottaket (Oslo universitetssykehus) – since 15 May 2026: areas to preserve and improve, plan, 1 measure",
        "Medisinsk sengepost 1 (Helse Bergen) – since 1 September 2026: 1 measure",
    ]


async def test_export_holds_exactly_the_rows_in_scope(harness, db, known):
    trust_leader = await harness.member(951, "leader", "Trude", scope="trust", place="HB")
    await trust_leader.send("/export")
    method, name, content = harness.telegram.files[-1]
    assert method == "sendDocument" and name.endswith(".xlsx")
    workbook = load_workbook(io.BytesIO(content))
    measures = list(workbook["Measures"].values)
    units = list(workbook["Unit progress"].values)
    assert measures[0][:5] == ("region", "trust_code", "trust", "unit_code", "unit")
    assert sorted(r[8] for r in measures[1:]) == sorted([
        "KIRPOL planned 2026-12-01", "MED1 done 2026-08-01", "MED1 planned 2026-09-01"])
    columns = measures[0]
    first = dict(zip(columns, measures[1]))
    assert first["responsible"] == "r" and first["what_we_will_do"] == "d"
    assert first["deadline"] == first["title"].split()[-1]
    assert sorted(r[3] for r in units[1:]) == ["KIRPOL", "MED1"]
    assert units[1][6:] in ((True, False, False, True, False, 1, 0), (True, True, True, True, True, 2, 1))
    await trust_leader.send("/export csv")
    names = [f[1] for f in harness.telegram.files[-2:]]
    assert names[0].endswith("units.csv") and names[1].endswith("measures.csv")
    text = harness.telegram.files[-1][2].decode("utf-8-sig")
    assert text.splitlines()[0].startswith("region;trust_code;trust") and len(text.splitlines()) == 4


async def test_charts_are_valid_images(harness, db, known):
    admin, _ = known
    for command in ("/chart", "/chart weeks"):
        await admin.send(command)
        method, name, content = harness.telegram.files[-1]
        assert method == "sendPhoto" and content[:8] == b"\x89PNG\r\n\x1a\n"
        image = Image.open(io.BytesIO(content))
        assert image.format == "PNG" and image.size[0] >= 600


async def test_leaders_and_reps_see_only_their_unit(harness, db, known):
    _, units = known
    leader = await harness.member(952, "leader", "Kari", place="KIRPOL")
    rep = await harness.member(953, "union_rep", "Siri", place="AKUTT")
    replies = await leader.send("/progress")
    assert "\n1 unit\n" in replies[0].plain
    async with db.session() as session:
        vest = (await session.exec(select(Region.id).where(Region.code == "helse-vest"))).one()
        hb = (await session.exec(select(HealthTrust.id).where(HealthTrust.code == "HB"))).one()
    for user in (leader, rep):
        for forged in (routes.PROGRESS_REGION.build(vest), routes.PROGRESS_TRUST.build(hb),
                       routes.PROGRESS_CLINIC.build(hb, 0), routes.PROGRESS_CLINIC.build(hb, 0, 1)):
            await user.press_data(forged)
            assert user.callback_answers()[-1]["text"] == "You cannot do that for this unit."
    await rep.send("/export")
    workbook = load_workbook(io.BytesIO(harness.telegram.files[-1][2]))
    assert [r[3] for r in list(workbook["Unit progress"].values)[1:]] == ["AKUTT"]
    assert len(list(workbook["Measures"].values)) == 3  # the header and AKUTT's two
    # A trust admin elsewhere cannot drill into Helse Bergen either.
    ous_admin = await harness.member(954, "admin", "Tor", scope="trust", place="OUS")
    await ous_admin.press_data(routes.PROGRESS_TRUST.build(hb))
    assert ous_admin.callback_answers()[-1]["text"] == "You cannot do that for this unit."


def test_export_from_the_command_line(cli, db_url, tmp_path):
    from tests.harness import ORG_CSV, write

    assert cli("org", "import", write(tmp_path, "org.csv", ORG_CSV))[0] == 0
    code, out, err = cli("export", "--scope", "trust:HB", "--output", str(tmp_path / "hb.xlsx"))
    assert code == 0, err
    workbook = load_workbook(tmp_path / "hb.xlsx")
    assert sorted(r[3] for r in list(workbook["Unit progress"].values)[1:]) == ["KIRPOL", "MED1"]
    code, out, _ = cli("export", "--scope", "region:Helse Vest", "--format", "csv", "--output", str(tmp_path / "v"))
    assert code == 0 and (tmp_path / "v-units.csv").read_text(encoding="utf-8-sig").count("\n") == 4
    code, _, err = cli("export", "--scope", "trust:NOPE")
    assert code == 1 and "--scope 'trust:NOPE'" in err


async def test_programme_staff_see_the_figures_but_not_the_units_plans(harness, db, known):
    staff = await harness.member(952, "programme_staff", "Priya", scope="national", place=None)
    await staff.send("/progress")
    await staff.press("Helse Vest (67%)")
    await staff.press("Helse Bergen (100%)")
    replies = await staff.press("Medisinsk klinikk (100%)")
    assert "Medisinsk sengepost 1: 1 unit, plan submitted 100%" in replies[0].plain
    assert not any(b["callback_data"].startswith("pl:") for b in (replies[0].buttons or []))
    # A forged plan button is refused too.
    async with db.session() as session:
        med1 = (await session.exec(select(Unit.id).where(Unit.code == "MED1"))).first()
    await staff.press_data(f"pl:{med1}")
    assert staff.callback_answers()[-1]["text"] == "You cannot do that for this unit."


async def test_a_trust_with_many_units_is_paged(harness, db, tmp_path):
    rows = "\n".join(f"Helse Nord;UNN;Universitetssykehuset Nord-Norge;U{n:02d};Enhet {n:02d};"
                     for n in range(1, 36))
    await harness.import_org(tmp_path, "region;trust_code;trust_name;unit_code;unit_name;clinic\n" + rows + "\n")
    leader_group = await harness.member(953, "leader", "Nina", scope="trust", place="UNN")
    replies = await leader_group.send("/progress")
    assert "\n35 units\n" in replies[0].plain and "page 1 of 2" in replies[0].plain
    assert "Enhet 30" in replies[0].plain and "Enhet 31" not in replies[0].plain
    assert len([b for b in replies[0].buttons if b["callback_data"].startswith("pl:")]) == 30
    replies = await leader_group.press("Next ➡")
    assert "page 2 of 2" in replies[0].plain and "Enhet 35" in replies[0].plain
    assert len([b for b in replies[0].buttons if b["callback_data"].startswith("pl:")]) == 5
    replies = await leader_group.press("Enhet 33 (0%)")
    assert replies[0].plain.startswith("Action plan 2026 · Enhet 33")
    replies = await leader_group.press("⬅ Previous", [m for m in leader_group.messages if "page 2 of 2" in m.plain][-1])
    assert "page 1 of 2" in replies[0].plain and "Enhet 01" in replies[0].plain
    replies = await leader_group.send("/overdue")
    assert replies[0].plain.startswith("Overdue · page 1 of 4")
    replies = await leader_group.press("Next ➡")
    assert replies[0].plain.startswith("Overdue · page 2 of 4")
    replies = await leader_group.press("⬅ Previous")
    assert replies[0].plain.startswith("Overdue · page 1 of 4")


async def test_a_leader_group_member_of_two_trusts_sees_both(harness, db, known):
    nina = await harness.member(954, "leader", "Nina", scope="trust", place="HB")
    await nina.send(f"/start {await harness.invite('leader', scope='trust', place='OUS')}")
    replies = await nina.send("/progress")
    assert replies[0].plain == "Which health trust or region?"
    assert [b["text"] for b in replies[0].buttons] == ["Helse Bergen", "Oslo universitetssykehus"]
    replies = await nina.press("Oslo universitetssykehus")
    assert replies[0].plain.startswith("Progress 2026 · Oslo universitetssykehus\n1 unit\n")
    async with db.session() as session:
        forde = (await session.exec(select(HealthTrust.id).where(HealthTrust.code == "HFD"))).one()
    await nina.press_data(routes.PROGRESS_TRUST.build(forde))
    assert nina.callback_answers()[-1]["text"] == "You cannot do that for this unit."
    await nina.send("/export")
    workbook = load_workbook(io.BytesIO(harness.telegram.files[-1][2]))
    assert sorted(r[3] for r in list(workbook["Unit progress"].values)[1:]) == ["AKUTT", "KIRPOL", "MED1"]


async def until(condition, turns: int = 20000) -> None:
    for _ in range(turns):
        if condition():
            return
        await asyncio.sleep(0.001 if _ > 100 else 0)
    raise AssertionError("waited in vain")


async def test_one_export_at_a_time_and_everyone_else_is_answered_meanwhile(harness, db, known, monkeypatch):
    from bot import workers

    admin, _ = known
    other = await harness.member(955, "leader", "Kari", place="KIRPOL")
    gate, real_run = asyncio.Event(), workers.run

    async def held(function, *args, **options):  # the worker is "busy" until the test lets it go
        await gate.wait()
        return await real_run(function, *args, **options)
    monkeypatch.setattr(workers, "run", held)
    first = asyncio.create_task(admin.send("/export"))
    await until(lambda: admin.messages and admin.last.plain.startswith("Preparing the export"))
    waiting = admin.last
    # Others are answered while the export is being made: the update only started it.
    assert (await other.send("/help"))[0].plain
    second = asyncio.create_task(admin.send("/export csv"))
    await until(lambda: "already being prepared" in admin.last.plain)
    assert admin.last.plain == "Your export is already being prepared. It will come here when it is ready."
    assert not first.done()
    gate.set()
    await asyncio.wait_for(asyncio.gather(first, second), 60)
    documents = [m for m in admin.messages if m.kind == "document"]
    assert len(documents) == 1 and documents[0].plain == "Measures and unit progress, 1 October 2026."
    assert harness.telegram.files[-1][1].endswith(".xlsx")
    # The "preparing" message is gone once the file is there; a new export may begin.
    assert waiting not in admin.messages
    replies = await admin.send("/export csv")
    assert [m.kind for m in replies] == ["document", "document"]


async def test_a_long_export_shows_how_far_it_has_come_then_the_file_replaces_the_message(
        harness, db, known, monkeypatch):
    from bot import workers

    admin, _ = known
    gate, real_run = asyncio.Event(), workers.run

    async def slow(function, *args, on_progress=None):  # the worker reports 40 of 100 rows, then waits
        await on_progress(40, 100)
        await gate.wait()
        return await real_run(function, *args, on_progress=on_progress)
    monkeypatch.setattr(workers, "run", slow)
    asked = asyncio.create_task(admin.send("/export"))
    await until(lambda: admin.messages and "rows written" in admin.last.plain)
    waiting = admin.last
    assert waiting.plain == "Preparing the export… 40 of 100 rows written (40%)."
    gate.set()
    await asyncio.wait_for(asked, 60)
    assert waiting not in admin.messages  # replaced by the file
    assert admin.last.kind == "document"


async def test_the_export_reports_every_row_it_writes(db, known, monkeypatch):
    """The worker's reports end at the number of rows in the files: the count and the rows agree."""
    from bot import workers
    from bot.services import export

    reports = []
    monkeypatch.setattr(workers, "report", lambda done, total: reports.append((done, total)))
    files = await export.write_csv_files(db, Where(), date(2026, 10, 1))
    rows = sum(len(data.decode("utf-8-sig").splitlines()) - 1 for data in files.values())
    assert reports[0] == (0, rows) and reports[-1] == (rows, rows)
    assert [done for done, _ in reports] == sorted(done for done, _ in reports)


async def test_an_export_that_fails_says_so_and_frees_the_person(harness, db, known, monkeypatch):
    from bot import workers

    admin, _ = known
    real_run = workers.run

    async def broken(function, *args):
        raise RuntimeError("the worker fell over")
    monkeypatch.setattr(workers, "run", broken)
    replies = await admin.send("/export")
    assert [m.plain for m in replies] == [
        "Sorry, something went wrong on my side. What you had saved is kept; please try again."]
    monkeypatch.setattr(workers, "run", real_run)
    replies = await admin.send("/chart")
    assert [m.kind for m in replies] == ["photo"]
    replies = await admin.send("/export")
    assert [m.kind for m in replies] == ["document"]


async def test_a_second_chart_while_one_is_drawn_gets_a_clear_answer(harness, db, known, monkeypatch):
    from bot import workers

    admin, _ = known
    gate, real_run = asyncio.Event(), workers.run

    async def held(function, *args):
        await gate.wait()
        return await real_run(function, *args)
    monkeypatch.setattr(workers, "run", held)
    first = asyncio.create_task(admin.send("/chart"))
    await until(lambda: harness.application.background.busy("chart", admin.user_id))
    second = asyncio.create_task(admin.send("/chart weeks"))
    await until(lambda: admin.messages and "already being drawn" in admin.last.plain)
    gate.set()
    await asyncio.wait_for(asyncio.gather(first, second), 60)
    assert [m.kind for m in admin.messages if m.kind != "text"] == ["photo"]
