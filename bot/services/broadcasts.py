"""Announcements: counting an audience, creating, fanning out into the outbox,
finishing with a summary for the author, listing and cancelling."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from bot.rules.access import is_national_admin
from bot.rules.audience import Audience, covers, may_broadcast
from bot.rules.errors import NotAllowed
from bot.rules.vocabulary import BroadcastState, OutboxKind, OutboxState
from storage import audit
from storage import broadcasts as store
from storage import people as people_store
from storage.database import Database
from storage.models import Broadcast, Person


@dataclass
class Place:
    id: int
    region_id: int | None
    trust_id: int | None
    name: str


async def find_place(db: Database, scope: str, text: str) -> Place | None:
    async with db.session() as session:
        found = await store.place_ids(session, scope, text)
    return Place(*found) if found else None


def _audience_args(audience: Audience) -> dict:
    return {"roles": audience.roles, "scope": audience.scope, "place_id": audience.place_id,
            "progress": audience.progress, "year": audience.year}


async def count(db: Database, audience: Audience) -> int:
    async with db.session() as session:
        return await store.audience_count(session, **_audience_args(audience))


async def create(db: Database, memberships, author_id: int, texts: dict[str, str], attachment: dict | None,
                 audience: Audience, place: Place | None, send_at: datetime, now: datetime) -> Broadcast:
    """Checked again here, whatever the dialog let through."""
    if not may_broadcast(memberships) or not audience.roles or "nb" not in texts:
        raise NotAllowed("create a broadcast")
    if not covers(memberships, place.region_id if place else None, place.trust_id if place else None):
        raise NotAllowed(f"broadcast to {audience.scope} {audience.place_id}")
    async with db.session() as session:
        broadcast = await store.add(session, Broadcast(
            author_id=author_id, texts=json.dumps(texts), audience=json.dumps(audience.as_dict()),
            attachment_kind=(attachment or {}).get("kind"), attachment_file_id=(attachment or {}).get("file_id"),
            state=BroadcastState.SCHEDULED, send_at=send_at, created_at=now))
        audit.record(session, f"person:{author_id}", "broadcast.create", f"broadcast:{broadcast.id}",
                     f"send_at={send_at.isoformat()} audience={broadcast.audience}")
    return broadcast


async def fan_out(db: Database, broadcast_id: int, now: datetime) -> int:
    """Write one outbox row per recipient in their language (Bokmål when theirs is missing)."""
    async with db.session() as session:
        broadcast = await store.get(session, broadcast_id)
        if broadcast is None or broadcast.state not in (BroadcastState.SCHEDULED, BroadcastState.FANOUT):
            return 0
        broadcast.state = BroadcastState.FANOUT
    async with db.session() as session:
        broadcast = await store.get(session, broadcast_id)
        texts = json.loads(broadcast.texts)
        audience = Audience(**json.loads(broadcast.audience))
        people = await store.audience_people(session, **_audience_args(audience))
        await store.fan_out(session, broadcast, [
            {"key": f"broadcast:{broadcast.id}:{person_id}", "person_id": person_id, "chat_id": chat_id,
             "kind": OutboxKind.BROADCAST, "text": texts.get(language) or texts["nb"], "broadcast_id": broadcast.id,
             "attachment_kind": broadcast.attachment_kind, "attachment_file_id": broadcast.attachment_file_id,
             "state": OutboxState.PENDING, "attempts": 0, "not_before": now, "created_at": now}
            for person_id, chat_id, language in people])
        broadcast.recipients, broadcast.state = len(people), BroadcastState.QUEUED
    return len(people)


async def send_due(db: Database, now: datetime) -> list[int]:
    """Fan out scheduled announcements whose time has come, and any a crash left half done."""
    async with db.session() as session:
        due = [b.id for b in await store.in_state(session, (BroadcastState.SCHEDULED,), due_by=now)]
        due += [b.id for b in await store.in_state(session, (BroadcastState.FANOUT,))]
    for broadcast_id in due:
        await fan_out(db, broadcast_id, now)
    return due


async def finish(db: Database, now: datetime) -> list[tuple[Broadcast, dict[str, int]]]:
    """Announcements whose every message is sent, failed or blocked: done, with their counts."""
    finished = []
    async with db.session() as session:
        queued = await store.in_state(session, (BroadcastState.QUEUED,))
        counts = await store.delivery_counts(session, [b.id for b in queued])
        for broadcast in queued:
            states = counts[broadcast.id]
            if not states.get(OutboxState.PENDING) and not states.get(OutboxState.SENDING):
                broadcast.state, broadcast.finished_at = BroadcastState.DONE, now
                finished.append((broadcast, states))
    return finished


async def author_of(db: Database, broadcast: Broadcast) -> Person | None:
    async with db.session() as session:
        author = await people_store.get_person(session, broadcast.author_id)
        return None if author is None or author.erased_at is not None else author  # erased: no one to tell


async def recent(db: Database, memberships) -> list[tuple[Broadcast, dict[str, int]]]:
    if not may_broadcast(memberships):
        raise NotAllowed("list broadcasts")
    async with db.session() as session:
        items = await store.recent(session)
        counts = await store.delivery_counts(session, [b.id for b in items])
        return [(b, counts[b.id]) for b in items]


async def cancel(db: Database, memberships, person_id: int, broadcast_id: int) -> Broadcast:
    """A scheduled announcement, by its author or a national admin, before it goes out."""
    async with db.session() as session:
        broadcast = await store.get(session, broadcast_id)
        allowed = broadcast is not None and may_broadcast(memberships) and (
            broadcast.author_id == person_id or is_national_admin(memberships))
        if not allowed or broadcast.state != BroadcastState.SCHEDULED:
            raise NotAllowed(f"cancel broadcast {broadcast_id}")
        broadcast.state = BroadcastState.CANCELLED
        audit.record(session, f"person:{person_id}", "broadcast.cancel", f"broadcast:{broadcast_id}")
        return broadcast
