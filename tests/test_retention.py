"""Retention (issue 12): the daily job deletes old failed invite codes, the text of old sent
messages (the rows stay, for the counts), abandoned drafts, and erases people who have been
without any role for RETENTION_MEMBERLESS_DAYS; in a fixed number of statements."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest
from sqlmodel import select

from bot import jobs
from bot.rules.privacy import DEFAULT_RETENTION_DAYS
from bot.settings import SettingsError, load_settings
from storage.models import AuditEntry, DialogState, JoinAttempt, Membership, OutboxMessage, Person
from storage.statements import StatementCounter


def test_settings_have_documented_defaults_and_refuse_bad_values():
    s = load_settings(env={}, env_file=None)
    assert (s.retention_join_attempts_days, s.retention_outbox_text_days, s.retention_draft_days,
            s.retention_memberless_days) == (30, 90, 60, 365)
    assert DEFAULT_RETENTION_DAYS == {"join_attempts": 30, "outbox_text": 90, "drafts": 60, "memberless": 365}
    assert (s.privacy_controller, s.privacy_contact, s.privacy_legal_basis) == ("", "", "")
    s = load_settings(env={"RETENTION_DRAFT_DAYS": "14", "PRIVACY_CONTACT": " dpo@hf.no "}, env_file=None)
    assert (s.retention_draft_days, s.privacy_contact) == (14, "dpo@hf.no")
    for name, value in [("RETENTION_MEMBERLESS_DAYS", "10"), ("RETENTION_OUTBOX_TEXT_DAYS", "ninety"),
                        ("RETENTION_JOIN_ATTEMPTS_DAYS", "0"), ("RETENTION_DRAFT_DAYS", "99999"),
                        ("PRIVACY_CONTROLLER", "x" * 501)]:
        with pytest.raises(SettingsError) as error:
            load_settings(env={name: value}, env_file=None)
        assert str(error.value).startswith(name)


async def person_of(db, telegram_user_id):
    async with db.session() as session:
        return (await session.exec(select(Person).where(Person.telegram_user_id == telegram_user_id))).first()


async def end_roles(db, telegram_user_id):
    """As when an admin ends the person's roles (member remove)."""
    person = await person_of(db, telegram_user_id)
    async with db.session() as session:
        for m in (await session.exec(select(Membership).where(Membership.person_id == person.id))).all():
            await session.delete(m)
    return person


async def test_the_daily_job_removes_what_is_past_its_time(harness, db):
    harness.set_today(date(2026, 6, 1))
    kari = await harness.member(701, "leader", "Kari")
    per = await harness.member(702, "leader", "Per", place="MED1", trust="HB")
    kari_row = await person_of(db, 701)
    # A draft left open 65 days ago (Per), and one touched today (Kari).
    await per.send("/newmeasure")
    await per.press("Engagement")
    harness.set_today(date(2026, 8, 5))
    await kari.send("/newmeasure")
    await kari.press("Engagement")
    now = harness.clock.now()
    # Failed invite codes, old and new; messages the bot sent, old and new, and one still queued.
    async with db.session() as session:
        session.add_all([JoinAttempt(telegram_user_id=799, at=now - timedelta(days=31)),
                         JoinAttempt(telegram_user_id=799, at=now - timedelta(days=29))])
        for age, state, text in [(91, "sent", "Old reminder"), (10, "sent", "New reminder"),
                                 (91, "pending", "Still waiting")]:
            session.add(OutboxMessage(person_id=kari_row.id, chat_id=701, kind="reminder", text=text, state=state,
                                      created_at=now - timedelta(days=age),
                                      sent_at=now - timedelta(days=age) if state == "sent" else None))

    day = harness.clock.now()
    result = await jobs.retention_if_due(harness.application, day)
    assert (result.join_attempts, result.outbox_texts, result.drafts, result.people_erased) == (1, 1, 1, 0)
    assert await jobs.retention_if_due(harness.application, day) is None  # once a day
    async with db.session() as session:
        assert [a.at.date() for a in (await session.exec(select(JoinAttempt))).all()] == [
            (now - timedelta(days=29)).date()]
        texts = {(m.state, m.text) for m in (await session.exec(select(OutboxMessage))).all()}
        assert ("sent", "") in texts and ("sent", "New reminder") in texts and ("pending", "Still waiting") in texts
        assert len(texts) == 3  # the old message's row stays, for the counts
        assert [d.person_id for d in (await session.exec(select(DialogState))).all()] == [kari_row.id]
    # Per's draft is gone: typing reaches no dialog. Kari's is still open.
    replies = await per.send("Tavlemøte")
    assert replies[0].plain == "I didn't understand that. /help shows what you can do."
    replies = await kari.send("Tavlemøte")
    assert replies[0].plain.startswith("Please use the buttons for this step.")


async def test_people_without_a_role_for_a_year_are_erased(harness, db, cli):
    harness.set_today(date(2026, 6, 1))
    kari = await harness.member(711, "leader", "Kari")
    ola = await harness.member(712, "safety_rep", "Ola")
    await harness.member(713, "union_rep", "Siri")
    kari_row = await person_of(db, 711)
    async with db.session() as session:
        [membership] = (await session.exec(select(Membership.id).where(Membership.person_id == kari_row.id))).all()
    code, _, err = await asyncio.to_thread(cli, "member", "remove", str(membership))  # as an admin ends a role
    assert code == 0, err
    ola_row = await end_roles(db, 712)

    first = harness.clock.now()
    result = await jobs.retention_if_due(harness.application, first)
    assert (result.memberless_marked, result.people_erased) == (2, 0)
    # Ola gets a role again before the year is out: his clock stops.
    await ola.send(f"/start {await harness.invite('safety_rep')}")
    await jobs.retention_if_due(harness.application, first + timedelta(days=100))
    assert (await person_of(db, 712)).memberless_since is None

    # A year and a day later Kari is erased, as by /deleteme; the others stay.
    result = await jobs.retention_if_due(harness.application, first + timedelta(days=366))
    assert result.people_erased == 1
    async with db.session() as session:
        tomb = await session.get(Person, kari_row.id)
        erased = (await session.exec(select(AuditEntry).where(AuditEntry.action == "person.erase"))).all()
    # History remembers her by the role that was ended (the audit log's membership.end).
    assert (tomb.name, tomb.telegram_user_id, tomb.former_role) == ("", -kari_row.id, "leader")
    assert [(e.actor, e.subject) for e in erased] == [("retention", f"person:{kari_row.id}")]
    assert (await person_of(db, 712)).name == "Ola" and (await person_of(db, 713)).name == "Siri"
    assert ola_row.id != kari_row.id
    replies = await kari.send("/mydata")
    assert replies[0].plain.startswith("I have nothing stored about you.")


async def test_the_job_takes_the_same_statements_for_one_person_or_many(harness, db):
    harness.set_today(date(2026, 6, 1))
    start = harness.clock.now()
    for user_id in range(720, 722):
        await harness.member(user_id, "leader", f"Leder {user_id}")
        await end_roles(db, user_id)
    await jobs.retention_if_due(harness.application, start)
    for user_id in range(730, 738):
        await harness.member(user_id, "safety_rep", f"Verneombud {user_id}")
        await end_roles(db, user_id)
    await jobs.retention_if_due(harness.application, start + timedelta(days=2))

    with StatementCounter(db.engine) as few:
        result = await jobs.retention_if_due(harness.application, start + timedelta(days=366))
    assert result.people_erased == 2
    with StatementCounter(db.engine) as many:
        result = await jobs.retention_if_due(harness.application, start + timedelta(days=368))
    assert result.people_erased == 8
    assert few.n == many.n
    async with db.session() as session:
        roles = {p.former_role for p in (await session.exec(select(Person).where(Person.erased_at.is_not(None))))}
    assert roles == {None}  # no role left to remember them by, and nothing they did as one
