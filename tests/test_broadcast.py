"""Announcements: the dialog, audiences, delivery at scale, restarts, authorisation."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime, time, timezone

import pytest
from sqlmodel import select

from bot.jobs import broadcasts_tick
from bot.outbox import Sender
from bot.rules.audience import Audience
from bot.services import broadcasts as service
from storage import broadcasts as store
from storage.models import (
    Broadcast,
    DialogState,
    Membership,
    OutboxMessage,
    Person,
    StepRecord,
    Unit,
    UnitFollowup,
)
from tests.harness import send_with_random_kills
from tests.test_sender import FakeTime


def working_hours(harness, day=date(2026, 11, 26)):
    return datetime.combine(day, time(10, 0), harness.settings.bot_timezone)


@pytest.fixture
async def org(harness, db):
    harness.set_today(date(2026, 11, 26))
    people = {
        "staff": await harness.member(900, "programme_staff", "Priya", scope="national", place=None),
        "kari": await harness.member(901, "leader", "Kari", language="Bokmål", place="KIRPOL"),
        "ola": await harness.member(902, "safety_rep", "Ola", language="Nynorsk", place="KIRPOL"),
        "per": await harness.member(903, "leader", "Per", language="English", place="AKUTT"),
        "siri": await harness.member(904, "union_rep", "Siri", language="Bokmål", place="AKUTT"),
    }
    harness.application.bot_data["sender"].per_chat = 0
    return people


async def drain(harness, now):
    """What the running bot does: the announcements tick, the sender, the tick again."""
    sender = harness.application.bot_data["sender"]
    await broadcasts_tick(harness.application, now)
    while await sender.send_due(now=now):
        pass
    await broadcasts_tick(harness.application, now)


async def test_compose_with_formatting_and_a_nynorsk_version_then_send_now(harness, db, org):
    staff, kari, ola, per = org["staff"], org["kari"], org["ola"], org["per"]
    replies = await staff.send("/broadcast")
    assert replies[0].plain.startswith("Write the announcement in Bokmål.")
    await staff.send("Kurs i ForBedring 3. desember – meld dere på!",
                     entities=[{"type": "bold", "offset": 0, "length": 20}])
    await staff.press("+ Nynorsk")
    await staff.send("Kurs i ForBedring 3. desember – meld dykk på!")
    await staff.press("Next")
    await staff.press("leader")
    await staff.press("safety representative")
    await staff.press("Next")
    await staff.press("a health trust")
    replies = await staff.send("HB")
    assert replies[0].plain.startswith("Only units at a certain point of the year?")
    replies = await staff.press("units whose plan is not submitted")
    texts = [r.text for r in replies]
    assert texts[0] == "Preview – Bokmål:"
    assert texts[1] == "<b>Kurs i ForBedring 3.</b> desember – meld dere på!"
    assert texts[3] == "Kurs i ForBedring 3. desember – meld dykk på!"
    assert "This goes to 2 people." in replies[-1].plain and "Where: Helse Bergen" in replies[-1].plain
    replies = await staff.press("Send now")
    assert replies[0].plain.startswith("Announcement #1 is on its way to 2 people.")
    await drain(harness, working_hours(harness))
    assert kari.last.text == "<b>Kurs i ForBedring 3.</b> desember – meld dere på!"
    assert ola.last.text == "Kurs i ForBedring 3. desember – meld dykk på!"
    assert "Kurs" not in per.last.plain  # another trust
    assert staff.last.plain == "Your announcement #1 is delivered: 2 sent, 0 failed, 0 blocked the bot."
    replies = await staff.send("/broadcasts")
    assert "#1 · " in replies[0].plain and "delivered · 2 recipients: 2 sent, 0 pending, 0 failed, 0 blocked" in replies[0].plain


async def test_a_pdf_with_a_caption(harness, db, org):
    staff, per = org["staff"], org["per"]
    await staff.send("/broadcast")
    replies = await staff.send_file("document", "FILE-xls", "Tabell", mime_type="application/vnd.ms-excel")
    assert replies[0].plain.startswith("Only a PDF or an image can be attached.")
    await staff.send_file("document", "FILE-pdf", "Ny veileder for tilbakemeldingsmøtet")
    await staff.press("Next")
    await staff.press("leader")
    await staff.press("Next")
    await staff.press("everyone")
    replies = await staff.press("all units")
    assert replies[1].kind == "document" and replies[1].file == "FILE-pdf"
    await staff.press("Send now")
    await drain(harness, working_hours(harness))
    assert per.last.kind == "document" and per.last.file == "FILE-pdf"
    assert per.last.plain == "Ny veileder for tilbakemeldingsmøtet"  # no English version: Bokmål


async def test_schedule_cancel_and_a_scheduled_one_goes_out_on_time(harness, db, org):
    staff, kari = org["staff"], org["kari"]
    for text in ("Første", "Andre"):
        await staff.send("/broadcast")
        await staff.send(text)
        await staff.press("Next")
        await staff.press("leader")
        await staff.press("Next")
        await staff.press("everyone")
        await staff.press("all units")
        await staff.press("Schedule")
        replies = await staff.send("1.1.2020 10:00")
        assert replies[0].plain.startswith("That time has passed.")
        replies = await staff.send("30.11.2026 09:30")
        assert replies[0].plain.startswith("Announcement #")
    replies = await staff.send("/broadcasts")
    assert "scheduled" in replies[0].plain
    await staff.press("Cancel #1")
    assert staff.callback_answers()[-1]["text"] == "Announcement #1 is cancelled."
    before = len(kari.messages)
    await drain(harness, working_hours(harness, date(2026, 11, 27)))
    assert len(kari.messages) == before  # not yet
    await drain(harness, working_hours(harness, date(2026, 11, 30)))
    assert kari.last.plain == "Andre"
    async with db.session() as session:
        states = {b.id: b.state for b in (await session.exec(select(Broadcast))).all()}
    assert states == {1: "cancelled", 2: "done"}


async def test_only_programme_staff_and_admins(harness, db, org):
    kari = org["kari"]
    replies = await kari.send("/broadcast")
    assert replies[0].plain == "Du kan ikke gjøre det for denne enheten."
    await org["staff"].send("/broadcast")
    async with db.session() as session:
        staff_id = (await session.exec(select(Person.id).where(Person.telegram_user_id == 900))).one()
        state = await session.get(DialogState, staff_id)
    for forged in (f"bc:{state.token}:now", "bx:1", "bc:abc:cancel"):
        await kari.press_data(forged)
    old, refused = "Den knappen hører til noe du allerede har fullført eller avbrutt.", "Du kan ikke gjøre det for denne enheten."
    assert [a["text"] for a in kari.callback_answers()[-3:]] == [old, refused, old]
    trust_admin = await harness.member(905, "admin", "Tor", scope="trust", place="OUS")
    await trust_admin.send("/broadcast")
    await trust_admin.send("Hei")
    await trust_admin.press("Next")
    await trust_admin.press("leader")
    await trust_admin.press("Next")
    replies = await trust_admin.press("everyone")
    assert replies[0].plain.startswith("You can only send announcements within your own area.")
    await trust_admin.press("a health trust")
    replies = await trust_admin.send("HB")
    assert replies[0].plain.startswith("You can only send announcements within your own area.")
    async with db.session() as session:
        assert (await session.exec(select(Broadcast))).all() == []


async def test_back_returns_to_the_screen_the_person_came_from(harness, db, org):
    staff = org["staff"]
    await staff.send("/broadcast")
    await staff.send("Hei")
    await staff.press("+ English")
    replies = await staff.press("Back")
    assert replies[0].plain.startswith("Recipients get their own language")
    await staff.press("Next")
    await staff.press("leader")
    await staff.press("Next")
    await staff.press("everyone")
    await staff.press("all units")
    replies = await staff.press("Back")  # from the summary to the filter
    assert replies[0].plain.startswith("Only units at a certain point of the year?")
    replies = await staff.press("Back")  # everyone was chosen: no place was asked for
    assert replies[0].plain.startswith("Where?")
    await staff.press("a health trust")
    await staff.send("HB")
    await staff.press("units whose plan is not submitted")
    await staff.press("Schedule")
    replies = await staff.press("Back")
    assert "This goes to 1 person." in replies[-1].plain  # Kari: the leader in Helse Bergen
    await staff.press("Back")
    replies = await staff.press("Back")  # a trust was chosen: back to its name
    assert replies[0].plain.startswith("Write the health trust's code")
    await staff.send("HB")
    await staff.press("all units")
    replies = await staff.press("Send now")
    assert replies[0].plain.startswith("Announcement #1 is on its way to 1 person.")


async def test_a_file_anywhere_else_gets_the_usual_answer(harness, db, org):
    staff = org["staff"]
    replies = await staff.send_file("photo", "PHOTO-1", "Hei")
    assert replies[0].plain == "I didn't understand that. /help shows what you can do."
    await staff.send("/broadcast")
    await staff.send("Hei")
    await staff.press("Next")
    replies = await staff.send_file("document", "FILE-pdf", "Hei")
    assert replies[0].plain == "I didn't understand that. /help shows what you can do."
    async with db.session() as session:
        staff_id = (await session.exec(select(Person.id).where(Person.telegram_user_id == 900))).one()
        assert (await session.get(DialogState, staff_id)).step == "roles"
    stranger = harness.user(990, "Stranger", language_code="en")
    replies = await stranger.send_file("photo", "PHOTO-2")
    assert replies[0].plain.startswith("I don't know you yet.")


async def test_someone_who_may_no_longer_send_is_refused_mid_dialog(harness, db, org):
    staff = org["staff"]
    await staff.send("/broadcast")
    await staff.send("Hei")
    async with db.session() as session:
        staff_id = (await session.exec(select(Person.id).where(Person.telegram_user_id == 900))).one()
        membership = (await session.exec(select(Membership).where(Membership.person_id == staff_id))).one()
        membership.role = "leader"
    await staff.press("Next")
    assert staff.callback_answers()[-1]["text"] == "You cannot do that for this unit."
    async with db.session() as session:
        assert (await session.get(DialogState, staff_id)).step == "languages"


# --- audience filters over a seeded organisation ---

AUDIENCES = [
    # roles, scope, place, progress, expected first names
    (["leader"], "all", None, "", {"Kari", "Per", "Lise", "Trude"}),
    (["leader", "safety_rep"], "all", None, "", {"Kari", "Per", "Lise", "Trude", "Ola"}),
    (["union_rep"], "all", None, "", {"Siri"}),
    (["programme_staff"], "all", None, "", {"Priya"}),
    (["admin"], "all", None, "", {"Anne", "Tor"}),
    (["leader"], "trust", "HB", "", {"Kari", "Lise", "Trude"}),
    (["leader"], "region", "helse-vest", "", {"Kari", "Lise", "Trude"}),
    (["leader"], "region", "helse-sor-ost", "", {"Per"}),
    (["leader"], "unit", "HB KIRPOL", "", {"Kari"}),
    (["admin"], "trust", "OUS", "", {"Tor"}),
    (["leader"], "all", None, "plan_not_submitted", {"Per", "Lise"}),
    (["leader", "union_rep"], "all", None, "feedback_not_held", {"Kari", "Per", "Siri", "Lise"}),
    (["leader"], "trust", "HB", "feedback_not_held", {"Kari"}),
]


@pytest.fixture
async def seeded(harness, db, org):
    await harness.member(906, "leader", "Lise", place="MED1", trust="HB")
    await harness.member(907, "leader", "Trude", scope="trust", place="HB")
    await harness.member(908, "admin", "Anne", scope="national", place=None)
    await harness.member(909, "admin", "Tor", scope="trust", place="OUS")
    blocked = await harness.member(910, "leader", "Blocked", place="KIRPOL")
    async with db.session() as session:
        (await session.exec(select(Person).where(Person.telegram_user_id == blocked.user_id))).one().active = False
        kirpol = (await session.exec(select(Unit).where(Unit.code == "KIRPOL"))).one()
        med1_hb = (await session.exec(select(Unit).where(Unit.code == "MED1", Unit.trust_id == kirpol.trust_id))).one()
        # Lise leads a second unit (in Førde): she matches twice, and must be counted once.
        lise = (await session.exec(select(Person).where(Person.name == "Lise"))).one()
        med1_hfd = (await session.exec(select(Unit).where(Unit.code == "MED1", Unit.trust_id != kirpol.trust_id))).one()
        session.add(Membership(person_id=lise.id, role="leader", scope="unit", unit_id=med1_hfd.id))
        # KIRPOL and MED1 have held the feedback meeting; KIRPOL has submitted its plan.
        for unit in (kirpol, med1_hb):
            followup = UnitFollowup(unit_id=unit.id, year=2026,
                                    plan_submitted_at=datetime.now(timezone.utc) if unit is kirpol else None)
            session.add(followup)
            await session.flush()
            if unit is med1_hb:
                session.add(StepRecord(followup_id=followup.id, step="feedback", done_on=date(2026, 5, 1),
                                       parties="leader", marked_by=1))


@pytest.mark.parametrize("roles, scope, place, progress, expected", AUDIENCES)
async def test_audience_filters(harness, db, seeded, roles, scope, place, progress, expected):
    place_id = None
    if place:
        found = await service.find_place(db, scope, place)
        place_id = found.id
    audience = Audience(roles=roles, scope=scope, place_id=place_id, progress=progress, year=2026)
    async with db.session() as session:
        people = await store.audience_people(session, roles=roles, scope=scope, place_id=place_id,
                                             progress=progress, year=2026)
        names = {(await session.get(Person, pid)).name for pid, _, _ in people}
    assert names == expected
    assert await service.count(db, audience) == len(expected)


# --- delivery at scale ---

async def make_people(db, count: int) -> None:
    """`count` leaders at KIRPOL, inserted in bulk."""
    async with db.session() as session:
        unit_id = (await session.exec(select(Unit.id).where(Unit.code == "KIRPOL"))).one()
        session.add_all([Person(telegram_user_id=5_000_000 + i, name=f"L{i}", language="nb") for i in range(count)])
        await session.flush()
        ids = (await session.exec(select(Person.id).where(Person.telegram_user_id >= 5_000_000))).all()
        session.add_all([Membership(person_id=pid, role="leader", scope="unit", unit_id=unit_id) for pid in ids])


async def new_broadcast(db, author_id: int, now) -> int:
    async with db.session() as session:
        b = await store.add(session, Broadcast(author_id=author_id, texts=json.dumps({"nb": "Hei alle"}),
                                               audience=json.dumps(Audience(["leader"], year=2026).as_dict()),
                                               state="scheduled", send_at=now, created_at=now))
    return b.id


async def test_ten_thousand_recipients_with_429s(harness, db, org):
    await make_people(db, 10_000)
    now = working_hours(harness)
    broadcast_id = await new_broadcast(db, 1, now)
    assert await service.fan_out(db, broadcast_id, now) == 10_002  # and Kari and Per
    assert await service.fan_out(db, broadcast_id, now) == 0  # a second fan-out adds nothing
    fake = FakeTime()
    harness.telegram.clock = fake.monotonic
    calls_before = len(harness.telegram.calls)  # earlier calls carry real monotonic times
    for _ in range(5):
        harness.telegram.fail_next("sendMessage", 429, "Too Many Requests: retry after 3", retry_after=3)
    sender = Sender(harness.application.bot, db, harness.settings.bot_timezone, rate=25, per_chat=1.0,
                    monotonic=fake.monotonic, sleep=fake.sleep)
    later = datetime(2100, 1, 4, 10, 0, tzinfo=timezone.utc)  # past every retry_after; a Monday morning
    for _ in range(100):
        await sender.send_due(limit=2000, now=later)
        async with db.session() as session:
            counts = await store.delivery_counts(session, [broadcast_id])
        if set(counts[broadcast_id]) == {"sent"}:
            break
    assert counts[broadcast_id] == {"sent": 10_002}
    calls = [c for c in harness.telegram.calls_to("sendMessage") if c.params["text"] == "Hei alle"]
    delivered = Counter(m.chat_id for m in harness.telegram.messages.values() if m.text == "Hei alle")
    assert len(delivered) == 10_002 and set(delivered.values()) == {1}  # everyone, once (429s are not deliveries)
    times = sorted(c.at for c in harness.telegram.calls[calls_before:] if c.method == "sendMessage")
    busiest = max(sum(1 for t in times[i:i + 30] if t < start + 1.0 - 1e-6) for i, start in enumerate(times))
    print(f"10,002 recipients, {len(calls)} calls (5 answered 429), busiest one-second window {busiest}, "
          f"{fake.now - 1000:.0f} s of (simulated) sending")
    assert busiest <= 25


async def test_interrupted_broadcast_completes_with_nothing_lost(harness, db, org):
    await make_people(db, 300)
    now = working_hours(harness)
    broadcast_id = await new_broadcast(db, 1, now)
    # A crash during fan-out leaves it half written: the next tick finishes it.
    async with db.session() as session:
        (await store.get(session, broadcast_id)).state = "fanout"
    await service.send_due(db, now)

    async def all_sent():
        async with db.session() as session:
            return set((await store.delivery_counts(session, [broadcast_id]))[broadcast_id]) == {"sent"}

    kills = await send_with_random_kills(harness, db, all_sent, seed=99, now=now, turns=(100, 5000))
    chats = [c.params["chat_id"] for c in harness.telegram.calls_to("sendMessage") if c.params["text"] == "Hei alle"]
    duplicates = len(chats) - len(set(chats))
    print(f"302 recipients, {kills} kills, {duplicates} duplicates")
    assert len(set(chats)) == 302 and duplicates <= kills
    async with db.session() as session:
        rows = (await session.exec(select(OutboxMessage).where(OutboxMessage.broadcast_id == broadcast_id))).all()
    assert len(rows) == 302
