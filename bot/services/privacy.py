"""Privacy use cases: a person's data (/mydata), erasure (/deleteme and the command line),
the daily retention sweep, the audit of plan and DST views and the audit log."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from bot.rules import privacy as rules
from storage import privacy as store
from storage.database import Database
from storage.models import Person
from storage.reminders import last_run, mark_run

log = logging.getLogger(__name__)

RETENTION_JOB = "retention"


async def my_data(db: Database, person_id: int) -> dict | None:
    async with db.reading() as session:
        return await store.person_data(session, person_id)


async def erase_person(db: Database, person_id: int, now: datetime, actor: str | None = None) -> bool:
    """Erase one person (False: no such person, or erased already). `actor` None: themselves."""
    async with db.session() as session:
        erased = await store.erase(session, Person.id == person_id, now, actor)
    if erased.people:
        log.info("person %s erased (by %s)", person_id, actor or "themselves")
    return bool(erased.people)


@dataclass(frozen=True)
class PersonFound:
    id: int
    name: str
    erased: bool
    memberships: int


async def find_person(db: Database, person_id: int | None = None,
                      telegram_user_id: int | None = None) -> PersonFound | None:
    from storage import people

    async with db.reading() as session:
        person = await store.person_by_id_or_telegram(session, person_id, telegram_user_id)
        if person is None:
            return None
        memberships = await people.memberships_of(session, person.id)
        return PersonFound(person.id, person.name, person.erased_at is not None, len(memberships))


async def retention_if_due(db: Database, retention: rules.Retention, now: datetime, today) -> store.Swept | None:
    """The retention sweep, once a day (None: it has run today already)."""
    async with db.session() as session:
        if await last_run(session, RETENTION_JOB) == today:
            return None
        result = await store.sweep(session, rules.cutoffs(retention, now), now)
        await mark_run(session, RETENTION_JOB, today, now)
    log.info("retention: %s", result)
    return result


async def note_plan_view(db: Database, memberships, person_id: int, unit_id: int) -> bool:
    """Write an audit entry when someone outside the unit opened its plan."""
    if not rules.is_plan_view_audited(memberships, unit_id):
        return False
    async with db.session() as session:
        store.record_plan_view(session, person_id, unit_id)
    return True


async def note_dst_view(db: Database, memberships, person_id: int, unit_id: int, names: bool) -> bool:
    """Write an audit entry when someone outside the unit's working group opened its DST overview
    (or one of its phases) with the group's names and the reps' answers in it."""
    if not rules.is_dst_view_audited(memberships, unit_id, names):
        return False
    async with db.session() as session:
        store.record_dst_view(session, person_id, unit_id)
    return True


async def audit_log(db: Database, unit_id: int | None, person_id: int | None,
                    since: datetime | None) -> list[store.AuditLine]:
    async with db.reading() as session:
        return await store.audit_lines(session, unit_id, person_id, since)


async def find_units(db: Database, unit_code: str, trust_code: str | None):
    from storage import organisation

    async with db.reading() as session:
        return await organisation.find_unit(session, unit_code, trust_code)


def retention_from(settings) -> rules.Retention:
    return rules.Retention(join_attempts=settings.retention_join_attempts_days,
                           outbox_text=settings.retention_outbox_text_days,
                           drafts=settings.retention_draft_days,
                           memberless=settings.retention_memberless_days)
