"""Issue 12, hardening: buttons on an earlier survey year's areas and measures, and
organisation file rows with more cells than the header. (Invite caps: tests/test_cli.py;
the settings' repr: tests/test_settings.py.)"""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from conversations import routes
from storage.models import FocusArea, Measure, MeasureEvent, Unit
from tests.harness import write
from tests.test_measures import register

REFUSED = "You cannot do that for this unit."


@pytest.fixture
async def leader(harness):
    harness.set_today(date(2026, 5, 10))
    return await harness.member(601, "leader", "Kari", language="English")


async def test_a_forged_press_cannot_remove_an_area_of_an_earlier_survey_year(harness, db, leader):
    await leader.send("/followup")
    await leader.press("Choice of areas")
    await leader.press("Add an area to improve")
    await leader.press("Leadership")
    await leader.send("We need more feedback.")
    async with db.session() as session:
        area_id = (await session.exec(select(FocusArea.id))).one()
    # The 2026 survey year ends with its evaluation deadline; in 2027 the 2026 plan is history.
    harness.set_today(date(2027, 2, 2))
    await leader.press_data(routes.REMOVE_AREA.build(area_id))
    assert leader.callback_answers()[-1]["text"] == REFUSED
    async with db.session() as session:
        assert (await session.exec(select(FocusArea.id))).all() == [area_id]
    # In its own year the same press still works.
    harness.set_today(date(2027, 1, 20))
    await leader.press_data(routes.REMOVE_AREA.build(area_id))
    assert leader.callback_answers()[-1]["text"] == "Removed."
    async with db.session() as session:
        assert (await session.exec(select(FocusArea))).all() == []


async def test_forged_presses_cannot_change_a_measure_of_an_earlier_survey_year(harness, db, leader):
    harness.set_today(date(2026, 6, 1))
    rep = await harness.member(602, "safety_rep", "Ola", language="English")
    await register(leader)
    # A proposal from the rep, left pending.
    await rep.send("/propose")
    await rep.press("Teamwork climate")
    await rep.press("Preserve")
    await rep.send("Lunsj sammen")
    await rep.send("Hver fredag.")
    await rep.send("Leder")
    await rep.send("1.12.2026")
    await rep.press("Send")
    async with db.session() as session:
        measures = {m.title: m for m in (await session.exec(select(Measure))).all()}
    events_before = await _events(db)
    harness.set_today(date(2027, 2, 2))
    mine, proposed = measures["Tavlemøte"], measures["Lunsj sammen"]
    assert proposed.proposal == "pending"
    forged = [routes.MEASURE_STATUS.build(mine.id, "dropped"), routes.MEASURE_STATUS.build(mine.id, "done"),
              routes.PROPOSAL_ANSWER.build(proposed.id, "accept")]
    for data in forged:
        await leader.press_data(data)
        assert leader.callback_answers()[-1]["text"] == REFUSED, data
    async with db.session() as session:
        after = {m.title: m for m in (await session.exec(select(Measure))).all()}
    assert after["Tavlemøte"].status == "planned"
    assert after["Lunsj sammen"].proposal == "pending"
    assert await _events(db) == events_before
    # Before the 2026 evaluation deadline the measure can still change.
    harness.set_today(date(2027, 1, 20))
    await leader.press_data(routes.MEASURE_STATUS.build(mine.id, "done"))
    assert leader.callback_answers()[-1].get("text") != REFUSED
    async with db.session() as session:
        assert (await session.get(Measure, mine.id)).status == "done"


async def _events(db):
    async with db.session() as session:
        return len((await session.exec(select(MeasureEvent))).all())


@pytest.mark.parametrize("text, line, cells, width", [
    # The name has the separator in it and is not quoted: it would be cut to "Medisinsk post".
    ("region,trust_code,trust_name,unit_code,unit_name\nHelse Vest,HB,Helse Bergen,MED1,Med 1\n"
     "Helse Vest,HB,Helse Bergen,MED2,Medisinsk post, avdeling 2\n", 3, 6, 5),
    ("region;trust_code;trust_name;unit_code;unit_name;clinic\n"
     "Helse Vest;HB;Helse Bergen;MED1;Med 1;Klinikk;ekstra\n", 2, 7, 6),
])
def test_an_org_file_row_with_more_cells_than_the_header_is_refused(cli, db_url, tmp_path, text, line, cells, width):
    code, out, err = cli("org", "import", write(tmp_path, "org.csv", text))
    assert code == 1
    assert (f"  line {line}: the row has {cells} cells but the header has {width} columns (a name that contains "
            "the separator must be in double quotes)") in err.splitlines()
    import asyncio

    from storage.database import Database

    async def units():
        database = Database(db_url)
        try:
            async with database.session() as session:
                return (await session.exec(select(Unit))).all()
        finally:
            await database.dispose()
    assert asyncio.run(units()) == []  # nothing written


def test_trailing_empty_cells_and_quoted_separators_are_fine(cli, tmp_path):
    text = ("region,trust_code,trust_name,unit_code,unit_name,\n"
            'Helse Vest,HB,Helse Bergen,MED2,"Medisinsk post, avdeling 2",,\n')
    code, out, err = cli("org", "import", write(tmp_path, "org.csv", text))
    assert code == 0, err
