"""Privacy in SQL: erasing people, a person's own data, the retention sweep and the audit log.

Everything works on sets in a fixed number of statements, whatever the number of
people or rows: erasing one person or ten thousand costs the same statements.

Erasure keeps the `person` row as an anonymous tombstone (no name, a negative
telegram_user_id, `erased_at` and `former_role` set), so that the unit's measures, plan
and history keep their keys; what the person wrote in their own words (comments, the
reason for declining a proposal) becomes "(removed)"; where they were named responsible for a
measure, the measure says "former leader" and its history "(removed)"; their memberships, open
dialog, reminders and queued messages go.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, and_, case, cast, delete, exists, func, insert, literal, or_, update
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.rules.privacy import FORMER_NAMES, FORMER_ROLE_ORDER, REMOVED, Cutoffs
from bot.rules.vocabulary import OutboxState, ProposalState
from storage import audit, people
from storage.models import (
    AuditEntry,
    Broadcast,
    Confirmation,
    DialogState,
    DstEnrolment,
    FocusArea,
    Invite,
    JoinAttempt,
    Measure,
    MeasureEvent,
    Membership,
    OutboxMessage,
    Person,
    RaisedProblem,
    Reminder,
    StepRecord,
    Unit,
    UnitFollowup,
    utcnow,
)


def _tag(prefix: str, column):
    """'<prefix>:<id>' in SQL, as the audit log writes actors and subjects."""
    return literal(f"{prefix}:", String).concat(cast(column, String))


_DONE = (OutboxState.SENT, OutboxState.FAILED, OutboxState.BLOCKED)  # messages that went (or never will)
_ROLE_RANK = case({role.value: rank for rank, role in enumerate(FORMER_ROLE_ORDER)}, value=Membership.role,
                  else_=len(FORMER_ROLE_ORDER))


def _former_role():
    """The role history will show an erased person in: their highest membership, else the highest
    of the roles that were ended (the audit log's membership.end), else the role they answered in
    as a rep, else leader if they marked steps or made measures, else none."""
    membership = (select(Membership.role).where(Membership.person_id == Person.id)
                  .order_by(_ROLE_RANK, Membership.id).limit(1).scalar_subquery())
    ended = case(*[(exists().where(AuditEntry.action == "membership.end",
                                   AuditEntry.subject == _tag("person", Person.id),
                                   AuditEntry.detail.like(f"%role={role.value} %")), literal(role.value, String))
                   for role in FORMER_ROLE_ORDER], else_=None)
    answered = (select(Confirmation.role).where(Confirmation.person_id == Person.id)
                .order_by(Confirmation.id).limit(1).scalar_subquery())
    led = case((or_(exists().where(StepRecord.marked_by == Person.id),
                    exists().where(Measure.created_by == Person.id, Measure.proposal.is_(None))),
                literal("leader", String)), else_=None)
    return func.coalesce(Person.former_role, membership, ended, answered, led)


# The wording history shows an erased person in (its msgid, translated where it is shown).
_FORMER_NAME = case({role.value: msgid for role, msgid in FORMER_NAMES.items() if role is not None},
                    value=Person.former_role, else_=literal(FORMER_NAMES[None], String))


def _named(column, now: datetime):
    """`column` holds the name of someone erased by this call."""
    return exists().where(Person.erased_at == now, Person.telegram_user_id > 0, Person.name != "",
                          column == Person.name)


@dataclass
class Erased:
    people: int  # people erased by this call


async def erase(session: AsyncSession, which, now: datetime, actor: str | None = None) -> Erased:
    """Erase the people `which` (a condition on Person) selects and who are not erased yet.
    `actor`: who did it for the audit log ('cli', 'retention'), None for the people themselves.
    The audit entry is timed by the real clock, as every audit entry is (storage/audit.py)."""
    marked = (await session.exec(
        update(Person).where(which, Person.erased_at.is_(None))
        .values(erased_at=now, former_role=_former_role()).execution_options(synchronize_session=False)
    )).rowcount
    if not marked:
        return Erased(0)
    these = select(Person.id).where(Person.erased_at == now, Person.telegram_user_id > 0)
    await session.exec(delete(JoinAttempt).where(JoinAttempt.telegram_user_id.in_(
        select(Person.telegram_user_id).where(Person.erased_at == now, Person.telegram_user_id > 0))))
    await session.exec(delete(Membership).where(Membership.person_id.in_(these)))
    await session.exec(delete(DialogState).where(DialogState.person_id.in_(these)))
    await session.exec(delete(Reminder).where(Reminder.person_id.in_(these)))
    await session.exec(delete(OutboxMessage).where(
        OutboxMessage.person_id.in_(these), OutboxMessage.state.in_((OutboxState.PENDING, OutboxState.SENDING))))
    await session.exec(update(OutboxMessage).where(OutboxMessage.person_id.in_(these))
                       .values(text="", reply_markup=None, error=None, chat_id=-OutboxMessage.person_id)
                       .execution_options(synchronize_session=False))
    # Notices already sent to others that name them (an objection told to the leader, a plan
    # submitted told to the reps): their text goes too, as it would after RETENTION_OUTBOX_TEXT_DAYS.
    await session.exec(update(OutboxMessage).where(
        OutboxMessage.state.in_(_DONE), OutboxMessage.text != "",
        exists().where(Person.erased_at == now, Person.telegram_user_id > 0, Person.name != "",
                       OutboxMessage.text.contains(Person.name)))
        .values(text="", reply_markup=None).execution_options(synchronize_session=False))
    await session.exec(update(MeasureEvent).where(MeasureEvent.person_id.in_(these),
                                                  MeasureEvent.comment.is_not(None))
                       .values(comment=REMOVED).execution_options(synchronize_session=False))
    await session.exec(update(Confirmation).where(
        Confirmation.person_id.in_(these),
        or_(Confirmation.comment.is_not(None), Confirmation.earlier_comment.is_not(None)))
        .values(comment=case((Confirmation.comment.is_(None), None), else_=literal(REMOVED, String)),
                earlier_comment=case((Confirmation.earlier_comment.is_(None), None),
                                     else_=literal(REMOVED, String)))
        .execution_options(synchronize_session=False))
    await session.exec(update(Measure).where(
        Measure.decline_reason.is_not(None),
        Measure.id.in_(select(MeasureEvent.measure_id).where(
            MeasureEvent.person_id.in_(these), MeasureEvent.field == "proposal",
            MeasureEvent.new == ProposalState.DECLINED)))
        .values(decline_reason=REMOVED).execution_options(synchronize_session=False))
    # Where they were named responsible for a measure (picked from the unit's members): the measure
    # is the unit's and stays, with "former leader" (the msgid, translated on the card) for the name;
    # and their name in the history of who was responsible becomes "(removed)".
    await session.exec(update(Measure).where(Measure.responsible_person_id.in_(these))
                       .values(responsible=select(_FORMER_NAME).where(Person.id == Measure.responsible_person_id)
                               .correlate(Measure).scalar_subquery())
                       .execution_options(synchronize_session=False))
    await session.exec(update(MeasureEvent).where(
        MeasureEvent.field == "responsible",
        or_(_named(MeasureEvent.old, now), _named(MeasureEvent.new, now)))
        .values(old=case((_named(MeasureEvent.old, now), literal(REMOVED, String)), else_=MeasureEvent.old),
                new=case((_named(MeasureEvent.new, now), literal(REMOVED, String)), else_=MeasureEvent.new))
        .execution_options(synchronize_session=False))
    # A leader's answers to reps' objections.
    await session.exec(update(Confirmation).where(Confirmation.leader_reply_by.in_(these),
                                                  Confirmation.leader_reply.is_not(None))
                       .values(leader_reply=REMOVED).execution_options(synchronize_session=False))
    # What they raised to the leaders above, and their answers to what others raised.
    await session.exec(update(RaisedProblem).where(RaisedProblem.raised_by.in_(these), RaisedProblem.what != "")
                       .values(what=REMOVED).execution_options(synchronize_session=False))
    await session.exec(update(RaisedProblem).where(RaisedProblem.answered_by.in_(these),
                                                   RaisedProblem.answer.is_not(None))
                       .values(answer=REMOVED).execution_options(synchronize_session=False))
    await session.exec(update(AuditEntry).where(
        AuditEntry.action == "confirmation.comment", AuditEntry.actor.in_(select(_tag("person", Person.id)).where(
            Person.erased_at == now, Person.telegram_user_id > 0)))
        .values(detail=REMOVED).execution_options(synchronize_session=False))
    await session.exec(insert(AuditEntry).from_select(
        ["at", "actor", "action", "subject", "detail"],
        select(literal(utcnow(), AuditEntry.__table__.c.at.type), _tag("person", Person.id) if actor is None
               else literal(actor, String), literal("person.erase", String), _tag("person", Person.id),
               literal("", String))
        .where(Person.erased_at == now, Person.telegram_user_id > 0)))
    # Last: the name and the Telegram id, which the statements above find the people by.
    await session.exec(update(Person).where(Person.erased_at == now, Person.telegram_user_id > 0)
                       .values(name="", telegram_user_id=-Person.id, active=False, snoozed_until=None,
                               muted_reminders="", language_chosen=False, memberless_since=None)
                       .execution_options(synchronize_session=False))
    return Erased(marked)


# --- what is stored about one person (/mydata) ---

def _row(obj, *fields) -> dict:
    return {name: _plain(getattr(obj, name)) for name in fields}


_MEASURE_FIELDS = ("id", "year", "theme", "kind", "title", "description", "responsible", "deadline", "status",
                   "evaluation", "evaluation_why", "proposal", "decline_reason", "created_at")


def _plain(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


async def person_data(session: AsyncSession, person_id: int) -> dict | None:
    """Everything stored about the person, as plain JSON-able data: one statement per table."""
    person = await session.get(Person, person_id)
    if person is None or person.erased_at is not None:
        return None
    tag = f"person:{person_id}"
    memberships = await people.memberships_of(session, person_id)

    async def all_of(query):
        return list((await session.exec(query)).all())

    measures = await all_of(select(Measure, Unit.name).join(Unit, Unit.id == Measure.unit_id)
                            .where(or_(Measure.created_by == person_id, Measure.proposed_by == person_id,
                                       Measure.responsible_person_id == person_id))
                            .order_by(Measure.id))
    events = await all_of(select(MeasureEvent, Measure.title).join(Measure, Measure.id == MeasureEvent.measure_id)
                          .where(MeasureEvent.person_id == person_id).order_by(MeasureEvent.at, MeasureEvent.id))
    confirmations = await all_of(
        select(Confirmation, Unit.name, UnitFollowup.year)
        .join(UnitFollowup, UnitFollowup.id == Confirmation.followup_id).join(Unit, Unit.id == UnitFollowup.unit_id)
        .where(Confirmation.person_id == person_id).order_by(Confirmation.id))
    replies = await all_of(
        select(Confirmation, Unit.name, UnitFollowup.year)
        .join(UnitFollowup, UnitFollowup.id == Confirmation.followup_id).join(Unit, Unit.id == UnitFollowup.unit_id)
        .where(Confirmation.leader_reply_by == person_id).order_by(Confirmation.id))
    areas = await all_of(
        select(FocusArea, Unit.name, UnitFollowup.year)
        .join(UnitFollowup, UnitFollowup.id == FocusArea.followup_id).join(Unit, Unit.id == UnitFollowup.unit_id)
        .where(FocusArea.created_by == person_id).order_by(FocusArea.id))
    steps = await all_of(
        select(StepRecord, Unit.name, UnitFollowup.year)
        .join(UnitFollowup, UnitFollowup.id == StepRecord.followup_id).join(Unit, Unit.id == UnitFollowup.unit_id)
        .where(StepRecord.marked_by == person_id).order_by(StepRecord.id))
    plans = await all_of(select(UnitFollowup, Unit.name).join(Unit, Unit.id == UnitFollowup.unit_id)
                         .where(UnitFollowup.plan_submitted_by == person_id).order_by(UnitFollowup.id))
    broadcasts = await all_of(select(Broadcast).where(Broadcast.author_id == person_id).order_by(Broadcast.id))
    audit = await all_of(select(AuditEntry).where(or_(AuditEntry.actor == tag, AuditEntry.subject == tag))
                         .order_by(AuditEntry.at, AuditEntry.id))
    reminders = await all_of(select(Reminder).where(Reminder.person_id == person_id).order_by(Reminder.id))
    messages = await all_of(select(OutboxMessage).where(OutboxMessage.person_id == person_id)
                            .order_by(OutboxMessage.id))
    raised = await all_of(select(RaisedProblem, Unit.name).join(Unit, Unit.id == RaisedProblem.unit_id)
                          .where(or_(RaisedProblem.raised_by == person_id, RaisedProblem.answered_by == person_id))
                          .order_by(RaisedProblem.id))
    enrolments = await all_of(select(DstEnrolment, Unit.name).join(Unit, Unit.id == DstEnrolment.unit_id)
                              .where(DstEnrolment.enrolled_by == tag).order_by(DstEnrolment.id))
    drafts = await all_of(select(DialogState).where(DialogState.person_id == person_id))
    joins = await all_of(select(JoinAttempt.at).where(JoinAttempt.telegram_user_id == person.telegram_user_id)
                         .order_by(JoinAttempt.at))
    return {
        "profile": _row(person, "id", "telegram_user_id", "name", "language", "language_chosen", "active",
                        "snoozed_until", "muted_reminders", "created_at", "memberless_since"),
        "memberships": [{"role": m.role, "scope": m.scope, "place": m.place} for m in memberships],
        "measures_created_or_proposed": [
            {**_row(m, *_MEASURE_FIELDS), "unit": unit} for m, unit in measures
            if person_id in (m.created_by, m.proposed_by)],
        "measures_you_are_responsible_for": [
            {**_row(m, *_MEASURE_FIELDS), "unit": unit} for m, unit in measures
            if m.responsible_person_id == person_id],
        "measure_changes": [{**_row(e, "measure_id", "at", "field", "old", "new", "comment"), "measure": title}
                            for e, title in events],
        "answers": [{**_row(c, "subject", "role", "answer", "comment", "requested_at", "answered_at",
                            "earlier_answer", "earlier_comment", "earlier_answered_at", "leader_reply",
                            "leader_reply_at"), "unit": unit, "year": year}
                    for c, unit, year in confirmations],
        "your_answers_to_objections": [
            {**_row(c, "subject", "leader_reply", "leader_reply_at"), "unit": unit, "year": year}
            for c, unit, year in replies],
        "areas_added": [{**_row(a, "kind", "theme", "why", "created_at"), "unit": unit, "year": year}
                        for a, unit, year in areas],
        "steps_marked": [{**_row(s, "step", "done_on", "parties", "marked_at"), "unit": unit, "year": year}
                         for s, unit, year in steps],
        "plans_submitted": [{"unit": unit, "year": f.year, "submitted_at": _plain(f.plan_submitted_at)}
                            for f, unit in plans],
        "announcements": [_row(b, "id", "texts", "audience", "state", "send_at", "created_at", "recipients")
                          for b in broadcasts],
        "audit_log": [_row(a, "at", "actor", "action", "subject", "detail") for a in audit],
        "reminders": [_row(r, "reason", "subject", "period", "due_on", "state", "created_at") for r in reminders],
        "messages_sent_to_you": [_row(m, "kind", "state", "created_at", "sent_at", "text") for m in messages],
        "problems_raised_or_answered": [
            {**_row(r, "measure_id", "what", "raised_at", "answer", "answered_at"), "unit": unit,
             "raised_by_you": r.raised_by == person_id, "answered_by_you": r.answered_by == person_id}
            for r, unit in raised],
        "dst_enrolments_you_made": [
            {**_row(e, "started_on", "potential", "potential_note", "challenges", "challenges_note", "motivation",
                    "motivation_note", "enrolled_at"), "unit": unit} for e, unit in enrolments],
        "open_dialog": [_row(d, "dialog", "step", "data", "updated_at") for d in drafts],
        "failed_invite_codes": [_plain(at) for at in joins],
    }


# --- retention ---

@dataclass
class Swept:
    join_attempts: int = 0
    outbox_texts: int = 0
    drafts: int = 0
    memberless_marked: int = 0
    people_erased: int = 0


_HAS_MEMBERSHIP = exists().where(Membership.person_id == Person.id)


async def sweep(session: AsyncSession, cut: Cutoffs, now: datetime) -> Swept:
    """The daily retention work: a fixed number of statements."""
    result = Swept()
    result.join_attempts = (await session.exec(delete(JoinAttempt).where(JoinAttempt.at < cut.join_attempts))).rowcount
    result.outbox_texts = (await session.exec(
        update(OutboxMessage).where(
            OutboxMessage.state.in_(_DONE),
            OutboxMessage.created_at < cut.outbox_text,
            or_(OutboxMessage.sent_at.is_(None), OutboxMessage.sent_at < cut.outbox_text),
            or_(OutboxMessage.text != "", OutboxMessage.reply_markup.is_not(None)))
        .values(text="", reply_markup=None).execution_options(synchronize_session=False))).rowcount
    result.drafts = (await session.exec(delete(DialogState).where(DialogState.updated_at < cut.drafts))).rowcount
    # The memberless clock: started the first day someone is found without a membership,
    # stopped when they have one again.
    result.memberless_marked = (await session.exec(
        update(Person).where(Person.erased_at.is_(None), Person.memberless_since.is_(None), ~_HAS_MEMBERSHIP)
        .values(memberless_since=now).execution_options(synchronize_session=False))).rowcount
    await session.exec(update(Person).where(Person.memberless_since.is_not(None), _HAS_MEMBERSHIP)
                       .values(memberless_since=None).execution_options(synchronize_session=False))
    erased = await erase(session, and_(Person.memberless_since < cut.memberless, ~_HAS_MEMBERSHIP), now,
                         actor="retention")
    result.people_erased = erased.people
    return result


# --- the audit log ---

@dataclass(frozen=True)
class AuditLine:
    entry: AuditEntry
    actor_name: str | None  # the person's name when the actor is a person ("" if erased)
    actor_former_role: str | None
    actor_erased: bool


def _unit_subjects(unit_id: int):
    """Audit subjects that concern this unit: the unit, its follow-ups and their steps, its
    measures, its reps' answers, its areas and the invites to it."""
    followups = select(UnitFollowup.id).where(UnitFollowup.unit_id == unit_id)
    subject = AuditEntry.subject
    return or_(
        subject == f"unit:{unit_id}",
        subject.in_(select(_tag("followup", UnitFollowup.id)).where(UnitFollowup.unit_id == unit_id)),
        exists().where(UnitFollowup.unit_id == unit_id,
                       subject.like(_tag("followup", UnitFollowup.id).concat(":%"))),
        subject.in_(select(_tag("measure", Measure.id)).where(Measure.unit_id == unit_id)),
        subject.in_(select(_tag("confirmation", Confirmation.id)).where(Confirmation.followup_id.in_(followups))),
        subject.in_(select(_tag("area", FocusArea.id)).where(FocusArea.followup_id.in_(followups))),
        subject.in_(select(_tag("invite", Invite.id)).where(Invite.unit_id == unit_id)),
    )


async def audit_lines(session: AsyncSession, unit_id: int | None = None, person_id: int | None = None,
                      since: datetime | None = None) -> list[AuditLine]:
    """Audit entries, oldest first, with the acting person's name: one statement."""
    query = (select(AuditEntry, Person.name, Person.former_role, Person.erased_at)
             .outerjoin(Person, AuditEntry.actor == _tag("person", Person.id)))
    if unit_id is not None:
        query = query.where(_unit_subjects(unit_id))
    if person_id is not None:
        tag = f"person:{person_id}"
        query = query.where(or_(AuditEntry.actor == tag, AuditEntry.subject == tag))
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    rows = (await session.exec(query.order_by(AuditEntry.at, AuditEntry.id))).all()
    return [AuditLine(entry, name, role, erased is not None) for entry, name, role, erased in rows]


def record_plan_view(session: AsyncSession, person_id: int, unit_id: int) -> None:
    audit.record(session, f"person:{person_id}", "plan_viewed", f"unit:{unit_id}")


def record_dst_view(session: AsyncSession, person_id: int, unit_id: int) -> None:
    audit.record(session, f"person:{person_id}", "dst_viewed", f"unit:{unit_id}")


async def person_by_id_or_telegram(session: AsyncSession, person_id: int | None,
                                   telegram_user_id: int | None) -> Person | None:
    if person_id is not None:
        return await session.get(Person, person_id)
    return await people.person_by_telegram_id(session, telegram_user_id)
