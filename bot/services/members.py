"""People and access: listing memberships, ending them, and a leader's handover.

Ending a membership (from /members, `member remove`, `invite revoke --remove-members` or a
handover) is one transaction: the membership rows go, the person's open dialog about a unit
they no longer reach is closed, their pending reminders about such units are dropped (and a
reminder message already queued, when they hold no role at all any more), each end is audited
with who did it, and the person is told in their language through the outbox. A fixed number
of statements, whatever the number of memberships."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from html import escape

from bot.i18n import translator
from bot.rules import members as rules
from bot.rules.measures import OPEN_STATUSES
from bot.rules.access import ROLE_NAMES
from bot.rules.errors import MemberError, NotAllowed
from bot.rules.methods import OBJECTIONS, REPS
from bot.rules.vocabulary import MeasureStatus, OutboxKind, ProposalState, Role, Scope
from bot.services import followup as followup_service
from bot.services import measures as measure_service
from storage import audit, members as store, organisation
from storage import followup as followup_store
from storage.database import Database
from storage.members import MemberRow
from storage.models import Invite

# The keys of a dialog's data that name what it is about (bot/dialogs; conversations/*).
_ASIDE = "_set_aside"  # bot/dialogs/state.py: a measure draft held while another dialog runs


@dataclass
class Ending:
    """What ending a set of memberships did: the memberships, the notices that tell their people
    (outbox ids, to send now), and what was closed and dropped."""

    ended: list[MemberRow] = field(default_factory=list)
    notice_ids: list[int] = field(default_factory=list)
    dialogs_closed: int = 0
    reminders_dropped: int = 0
    digests_dropped: int = 0


class OwnAdminRole(NotAllowed):
    """An admin tried to end their own admin membership from the chat."""


# --- what people are told ---

def ended_text(language: str, role: str, place: str | None, successor: str | None = None) -> str:
    t = translator(language)
    text = (t._("Your role as {role} at {place} has ended.", role=t._(ROLE_NAMES[role]), place=escape(place))
            if place else t._("Your national role as {role} has ended.", role=t._(ROLE_NAMES[role])))
    if successor:
        text += " " + t._("{name} has taken over as leader.", name=escape(successor))
    return text + " " + t._("If this is a mistake, ask your administrator for a new invite link.")


def new_leader_text(language: str, name: str, unit: str, predecessor: str | None) -> str:
    t = translator(language)
    if predecessor:
        return t._("{name} is now the leader of {unit}, taking over from {predecessor}.", name=escape(name),
                   unit=escape(unit), predecessor=escape(predecessor))
    return t._("{name} is now the leader of {unit}.", name=escape(name), unit=escape(unit))


# --- listing ---

@dataclass(frozen=True)
class PlaceFilter:
    unit_id: int | None = None
    trust_id: int | None = None
    region_id: int | None = None
    name: str | None = None  # None: the whole country


async def resolve_place(db: Database, *, unit: str | None = None, in_trust: str | None = None,
                        trust: str | None = None, region: str | None = None) -> PlaceFilter:
    """A place named by its codes on the command line; MemberError when there is none (or several)."""
    async with db.reading() as session:
        if unit is not None:
            found = await organisation.find_unit(session, unit, in_trust)
            if not found:
                raise MemberError(f"no unit with code '{unit}'" + (f" in trust {in_trust}" if in_trust else ""))
            if len(found) > 1:
                raise MemberError(f"unit code '{unit}' exists in several trusts: add --in-trust CODE")
            return PlaceFilter(unit_id=found[0].id,
                               name=await organisation.place_names(session, found[0].id, None, None))
        if trust is not None:
            found_trust = await organisation.find_trust(session, trust)
            if found_trust is None:
                raise MemberError(f"no health trust with code '{trust}'")
            return PlaceFilter(trust_id=found_trust.id, name=found_trust.name)
        if region is not None:
            found_region = await organisation.find_region(session, region)
            if found_region is None:
                raise MemberError(f"no region with code or name '{region}'")
            return PlaceFilter(region_id=found_region.id, name=found_region.name)
    return PlaceFilter()


async def list_members(db: Database, where: PlaceFilter, actor_memberships=None) -> list[MemberRow]:
    """The memberships at and below a place; with `actor_memberships` (the chat), only those
    the person may manage."""
    async with db.reading() as session:
        rows = await store.members(session, unit_id=where.unit_id, trust_id=where.trust_id,
                                   region_id=where.region_id)
    if actor_memberships is None:
        return rows
    return [r for r in rows if rules.may_manage(actor_memberships, r.role, _place(r))]


def _place(row: MemberRow) -> rules.Place:
    return rules.Place(row.unit_id, row.trust_id, row.region_id)


# --- ending ---

async def end_memberships(db: Database, ids: list[int], *, actor: str, now: datetime,
                          actor_memberships=None, actor_person_id: int | None = None,
                          reason: str = "removed") -> Ending:
    """End these memberships. From the chat (`actor_memberships` given) every one must be inside
    the person's scope, and an admin's own admin membership is refused; anything refused ends
    nothing. NotAllowed or MemberError say why."""
    async with db.session() as session:
        rows = await store.members(session, ids=list(ids))
        if actor_memberships is not None:
            refused = [r.id for r in rows if not rules.may_manage(actor_memberships, r.role, _place(r))]
            if refused:
                raise NotAllowed(f"end memberships {refused}")
            if any(rules.is_own_admin_membership(r.person_id, actor_person_id, r.role) for r in rows):
                raise OwnAdminRole()
        missing = set(ids) - {r.id for r in rows}
        if missing:
            raise MemberError(f"no membership with id {', '.join(str(i) for i in sorted(missing))}")
        return await _end(session, rows, actor=actor, now=now, reason=reason)


async def end_at_unit(db: Database, person_id: int, unit: PlaceFilter, *, actor: str, now: datetime) -> Ending:
    """The command line's `member remove --person ID --unit CODE`: every role of the person there."""
    async with db.session() as session:
        rows = await store.members(session, person_id=person_id, unit_id=unit.unit_id)
        if not rows:
            raise MemberError(f"person {person_id} holds no role at {unit.name}")
        return await _end(session, rows, actor=actor, now=now, reason="removed")


async def end_with_invite(session, invite_id: int, *, actor: str, now: datetime) -> Ending:
    """`invite revoke ID --remove-members` (in the revoke's transaction): the memberships made
    with this invite end too."""
    return await _end(session, await store.members(session, invite_id=invite_id), actor=actor, now=now,
                      reason=f"invite:{invite_id} revoked")


async def _end(session, rows: list[MemberRow], *, actor: str, now: datetime, reason: str,
               successor: str | None = None) -> Ending:
    ending = Ending()
    if not rows:
        return ending
    if await store.end(session, [r.id for r in rows]) != len(rows):
        # Ended meanwhile by someone else (two presses at once): this transaction is undone, so
        # nobody is told twice.
        raise MemberError("a membership was ended meanwhile")
    people = {r.person_id for r in rows}
    left = await store.remaining(session, people)

    dialogs = await store.open_dialogs(session, people)
    reminders = await store.pending_reminders(session, people)
    about_dialog = {person: _about(data) for person, data in dialogs}
    about_reminder = {rid: _subject(subject) for rid, _, subject in reminders}
    wanted = [*[ref for refs in about_dialog.values() for ref in refs], *about_reminder.values()]
    units, measures, confirmations = await store.units_of(
        session, {i for kind, i in wanted if kind == "unit"}, {i for kind, i in wanted if kind == "measure"},
        {i for kind, i in wanted if kind == "confirmation"})

    def unit_of(ref) -> int | None:
        kind, value = ref
        return {"unit": value, "measure": measures.get(value),
                "confirmation": confirmations.get(value)}.get(kind) if kind else None

    def still_reached(person: int, ref) -> bool:
        unit_id = unit_of(ref)
        if unit_id is None or unit_id not in units:
            return bool(left[person])  # about no unit (or a unit gone): kept while they hold any role
        trust_id, region_id = units[unit_id]
        return rules.covers(left[person], rules.Place(unit_id, trust_id, region_id))

    closing = {person for person, refs in about_dialog.items()
               if not left[person] or any(not still_reached(person, ref) for ref in refs)}
    ending.dialogs_closed = await store.close_dialogs(session, closing)
    ending.reminders_dropped = await store.drop_reminders(
        session, [rid for rid, person, _ in reminders if not still_reached(person, about_reminder[rid])])
    ending.digests_dropped = await store.drop_queued_digests(session, {p for p in people if not left[p]}, now)

    ending.notice_ids = await store.add_messages(session, [_notice(r.person_id, r.telegram_user_id, now,
                                                     ended_text(r.language, r.role, r.place, successor))
                                             for r in rows])
    await audit.record_many(session, [
        (actor, "membership.end", f"person:{row.person_id}",
         f"membership={row.id} role={row.role} scope={row.scope} place={row.place} "
         f"invite={row.invite_id} reason={reason}") for row in rows])
    ending.ended = rows
    return ending


def _notice(person_id: int, chat_id: int, now: datetime, text: str) -> dict:
    return {"person_id": person_id, "chat_id": chat_id, "kind": OutboxKind.NOTICE.value, "text": text,
            "not_before": now, "created_at": now}


def _about(data: dict) -> list[tuple[str | None, int | None]]:
    """What a dialog (and a draft it holds aside) is about: [("unit"|"measure"|"confirmation", id)],
    or [(None, None)] for a dialog about no unit (an announcement, say)."""
    refs = []
    for part in (data, (data.get(_ASIDE) or {}).get("data") or {}):
        for kind in ("unit", "measure", "confirmation"):
            if isinstance(part.get(kind), int):
                refs.append((kind, part[kind]))
                break
        else:
            if part is data:
                refs.append((None, None))
    return refs


def _subject(subject: str) -> tuple[str | None, int | None]:
    """A reminder's subject (unit:<id>, measure:<id>, confirmation:<id>) as a reference."""
    kind, _, value = subject.partition(":")
    return (kind, int(value)) if kind in ("unit", "measure", "confirmation") and value.isdigit() else (None, None)


# --- handover: a new leader in place of another ---

async def check_replaces(session, invite: Invite, person_id: int) -> None:
    """An invite made with --replaces: a leader invite for one unit, replacing a leader of it."""
    if invite.role != Role.LEADER or invite.scope != Scope.UNIT or invite.unit_id is None:
        raise MemberError("--replaces is only for a leader invite for one unit (--role leader --unit CODE)")
    if invite.uses_allowed != 1:
        raise MemberError("a handover invite is for one person: leave out --uses (or give --uses 1)")
    if not await store.members(session, person_id=person_id, unit_id=invite.unit_id, roles=(Role.LEADER.value,)):
        raise MemberError(f"person {person_id} is not a leader of that unit; "
                          "`forbedring-bot member list --unit CODE` shows its leaders")


@dataclass
class Handover:
    unit_id: int
    ending: Ending
    told: list[int]  # the notices to the unit's reps


async def hand_over(session, invite: Invite, new_leader_id: int, new_leader_name: str, now: datetime) -> Handover:
    """The new leader has joined with a handover invite (in the join's transaction): the replaced
    leader's leader membership at the unit ends (the unit's plan, measures and history stay with
    the unit), and the unit's reps are told who the new leader is."""
    outgoing = [] if invite.replaces_person_id == new_leader_id else await store.members(
        session, person_id=invite.replaces_person_id, unit_id=invite.unit_id, roles=(Role.LEADER.value,))
    ending = await _end(session, outgoing, actor=f"person:{new_leader_id}", now=now,
                        reason=f"handover to person:{new_leader_id}", successor=new_leader_name)
    unit = await followup_store.unit_info(session, invite.unit_id)
    predecessor = outgoing[0].name if outgoing else None
    reps = await followup_store.unit_people(session, invite.unit_id, REPS)
    told = await store.add_messages(session, [
        _notice(rep.id, rep.telegram_user_id, now, new_leader_text(rep.language, new_leader_name, unit.name, predecessor))
        for rep, _ in reps if rep.id != new_leader_id])
    audit.record(session, f"person:{new_leader_id}", "leader.handover", f"unit:{invite.unit_id}",
                 f"invite={invite.id} replaces=person:{invite.replaces_person_id} "
                 f"ended={','.join(str(row.id) for row in ending.ended) or '-'}")
    return Handover(invite.unit_id, ending, told)


@dataclass
class HandoverSummary:
    """What a new leader needs to know: where the year stands, the open steps and their dates,
    the open measures with their last status, and the reps' open objections."""

    overview: followup_service.Overview
    open_measures: list
    last_updates: dict[int, datetime]
    objections: list  # (Confirmation, the rep's name)


async def handover_summary(db: Database, memberships, unit_id: int, today: date, tz) -> HandoverSummary:
    """From the services that show /followup and /measures (so the summary says what they say)."""
    overview = await followup_service.overview(db, memberships, unit_id, today, tz)
    _, measures, last = await measure_service.unit_measures(db, memberships, unit_id, today)
    open_measures = [m for m in measures if m.status in OPEN_STATUSES and m.proposal != ProposalState.DECLINED]
    objections = [(c, name) for c, name in overview.confirmations
                  if c.answer in OBJECTIONS or (c.answer is None and c.earlier_answer in OBJECTIONS)]
    return HandoverSummary(overview, open_measures, last, objections)


# --- the places a manager walks through in /members ---

async def regions(db: Database) -> list[tuple[int, str]]:
    async with db.reading() as session:
        return await store.regions(session)


async def trusts(db: Database, region_id: int | None = None) -> list[tuple[int, str, int]]:
    async with db.reading() as session:
        return await store.trusts(session, region_id)


async def trust_units(db: Database, memberships, trust_id: int) -> tuple[str, list[tuple[int, str]]]:
    """A trust's name and units, for someone who oversees it (NotAllowed otherwise)."""
    async with db.reading() as session:
        found = await store.trust(session, trust_id)
        if found is None or not rules.oversees(memberships, found[2], found[0]):
            raise NotAllowed(f"list the units of trust {trust_id}")
        return found[1], await store.units_of_trust(session, trust_id)


async def region_name(db: Database, memberships, region_id: int) -> str:
    async with db.reading() as session:
        name = dict(await store.regions(session)).get(region_id)
    if name is None or not rules.oversees(memberships, region_id):
        raise NotAllowed(f"list the trusts of region {region_id}")
    return name


async def unit_members(db: Database, memberships, unit_id: int):
    """A unit (its info) and the memberships there the person may end; NotAllowed when the unit
    is outside their scope."""
    async with db.reading() as session:
        unit = await followup_store.unit_info(session, unit_id)
        if unit is None or not rules.oversees(memberships, unit.region_id, unit.trust_id):
            raise NotAllowed(f"list the members of unit {unit_id}")
        rows = await store.members(session, unit_id=unit_id)
    return unit, [r for r in rows if rules.may_manage(memberships, r.role, _place(r))]


async def membership(db: Database, memberships, membership_id: int) -> MemberRow:
    """One membership the person may end (MemberError: gone; NotAllowed: not theirs to end)."""
    async with db.reading() as session:
        rows = await store.members(session, ids=[membership_id])
    if not rows:
        raise MemberError(f"no membership {membership_id}")
    if not rules.may_manage(memberships, rows[0].role, _place(rows[0])):
        raise NotAllowed(f"end membership {membership_id}")
    return rows[0]
