"""Tidlig og tett på: a reminder to the unit leaders on the trust's days (quarterly by default, days
of its own, or off) with the method's material; and nowhere to put anything about a person's health
or absence."""

from __future__ import annotations

from datetime import date, datetime, time, timezone

import pytest
from sqlalchemy import String, Text, select as sa_select
from sqlmodel import SQLModel, select

from bot.rules import dst
from bot.services import programme, reminders
from storage.models import Reminder, TtpSchedule
from tests.harness import ORG_CSV, rows, write

TTP_TITLE = "Tidlig og tett på: time to go through the overview"


def at(day: date, harness) -> datetime:
    return datetime.combine(day, time(9, 0), harness.settings.bot_timezone)


async def sweep(harness, db, day: date):
    result = await reminders.sweep(db, at(day, harness), harness.settings.bot_timezone,
                                   reminders.rules_from(harness.settings))
    await harness.application.bot_data["sender"].send_due(now=at(day, harness))
    return result


@pytest.fixture
async def people(harness, db):
    harness.set_today(date(2027, 3, 1))
    leader = await harness.member(801, "leader", "Kari")
    rep = await harness.member(802, "safety_rep", "Ola")
    oslo = await harness.member(803, "leader", "Nils", place="AKUTT", trust="OUS", language="Nynorsk")
    above = await harness.member(804, "leader", "Per", scope="trust", place="HB")
    harness.application.bot_data["sender"].per_chat = 0
    return leader, rep, oslo, above


async def ttp_reminders(db) -> list[tuple[int, str]]:
    async with db.session() as session:
        return sorted((await session.exec(select(Reminder.person_id, Reminder.period)
                                          .where(Reminder.reason == "ttp"))).all())


async def test_unit_leaders_are_reminded_quarterly_with_a_link_and_only_once(harness, db, people):
    leader, rep, oslo, above = people
    await sweep(harness, db, date(2027, 3, 12))
    assert await ttp_reminders(db) == []
    await sweep(harness, db, date(2027, 3, 15))  # the default: 15 March, June, September, December
    assert TTP_TITLE in leader.last.plain
    assert "Helse Bergen: time to go through the overview of frequent sick leave in the trust's HR system" \
        in leader.last.plain
    assert "never write anything about a person's health or absence here" in leader.last.plain
    link = next(b for b in leader.last.buttons if "url" in b)
    assert (link["text"], link["url"]) == ("The method's material", dst.MATERIAL["ttp"])
    assert "Tidlig og tett på: tid for å gå gjennom oversikta" in oslo.last.plain
    assert not any(TTP_TITLE in m.plain for m in rep.messages + above.messages)  # unit leaders only
    again = await sweep(harness, db, date(2027, 3, 16))
    assert again.recorded == 0 and len(await ttp_reminders(db)) == 2
    assert {period for _, period in await ttp_reminders(db)} == {"2027-03-15"}


async def test_a_trust_sets_its_own_days_or_turns_the_reminder_off(harness, db, people):
    leader, rep, oslo, above = people
    now = datetime.now(timezone.utc)
    await programme.set_ttp(db, "HB", enabled=None, dates="04-01,10-01", actor="test", now=now)
    await programme.set_ttp(db, "OUS", enabled=False, dates=None, actor="test", now=now)
    with pytest.raises(programme.ProgrammeError):
        await programme.set_ttp(db, "HB", enabled=None, dates="13-45", actor="test", now=now)
    await sweep(harness, db, date(2027, 3, 15))
    assert await ttp_reminders(db) == []
    await sweep(harness, db, date(2027, 4, 1))
    assert TTP_TITLE in leader.last.plain
    assert not any("Tidlig og tett på" in m.plain for m in oslo.messages)
    await programme.set_ttp(db, "OUS", enabled=True, dates=None, actor="test", now=now)
    await sweep(harness, db, date(2027, 6, 15))
    assert "Tidlig og tett på: tid for å gå gjennom oversikta" in oslo.last.plain
    assert [period for _, period in await ttp_reminders(db)] == ["2027-04-01", "2027-06-15"]


def test_ttp_days_from_the_command_line_and_the_setting(cli, db_url, tmp_path, monkeypatch):
    assert cli("org", "import", write(tmp_path, "org.csv", ORG_CSV))[0] == 0
    code, out, _ = cli("ttp", "show", "--trust", "HB")
    assert out.strip() == "HB: TTP reminder on, days 03-15,06-15,09-15,12-15 (TTP_DATES)"
    code, out, err = cli("ttp", "set", "--trust", "HB", "--dates", "9-1, 2-1")
    assert code == 0, err
    assert out.strip() == "HB: TTP reminder on, days 02-01,09-01"
    code, out, _ = cli("ttp", "set", "--trust", "HB", "--off")
    assert out.strip() == "HB: TTP reminder off, days 02-01,09-01"
    code, _, err = cli("ttp", "set", "--trust", "HB", "--dates", "30-02")
    assert code == 1 and "is not a day like 03-15" in err
    code, _, err = cli("ttp", "set", "--trust", "NOPE", "--on")
    assert code == 1 and "no trust 'NOPE'" in err
    code, _, err = cli("ttp", "set", "--trust", "HB")
    assert code == 1 and "give --dates" in err
    [row] = rows(db_url, TtpSchedule)
    assert (row.enabled, row.dates) == (False, "02-01,09-01")
    monkeypatch.setenv("TTP_DATES", "01-10,xx")
    code, _, err = cli("ttp", "show", "--trust", "HB")
    assert code != 0 and "TTP_DATES is malformed" in err


# --- nowhere to put anything about a person's health or absence ---

HEALTH_WORDS = ("sick", "absence", "absent", "illness", "diagnos", "health", "fravaer", "fravær", "sykefrav",
                "sjukefrav", "medical", "doctor", "sykemeld", "sjukemeld")


def test_no_table_or_field_is_there_for_health_or_absence():
    tables = SQLModel.metadata.tables
    for name, table in tables.items():
        if name != "health_trust":  # the health trust is a place
            assert not any(word in name for word in HEALTH_WORDS), name
        for column in table.columns:
            assert not any(word in column.name for word in HEALTH_WORDS), f"{name}.{column.name}"
    # TTP keeps a trust's days and whether the reminder is on: no person, no free text.
    ttp = tables["ttp_schedule"]
    assert {c.name for c in ttp.columns} == {"trust_id", "enabled", "dates", "updated_at"}
    assert ttp.c.dates.type.length == 100
    assert not [fk for fk in ttp.foreign_keys if fk.column.table.name == "person"]


async def test_what_a_leader_writes_after_the_reminder_is_kept_nowhere(harness, db, people):
    leader, *_ = people
    await sweep(harness, db, date(2027, 3, 15))
    assert TTP_TITLE in leader.last.plain
    secret = "Ola Hansen har vært sykmeldt 31 dager i år"
    replies = await leader.send(secret)
    assert "/help" in replies[0].plain  # no dialog takes it
    async with db.session() as session:
        for table in SQLModel.metadata.sorted_tables:
            text_columns = [c for c in table.columns if isinstance(c.type, (String, Text))]
            for column in text_columns:
                found = (await session.exec(sa_select(column).where(column.contains("sykmeldt")))).all()
                assert found == [], f"{table.name}.{column.name}"
