"""What the reminder sweep reads and writes, set-based: grouped queries per chunk of units or
of people, and bulk writes that are idempotent on the reminder's key and the digest's key
(INSERT … ON CONFLICT DO NOTHING). Nothing here runs a query per unit, person or digest."""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import AsyncIterator, Iterator

from sqlalchemy import Integer, bindparam, literal, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.elements import Grouping
from sqlmodel import func, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.rules.leader_groups import Place, groups_above
from bot.rules.vocabulary import MeasureStatus, ProposalState, ReminderState, Role, Scope
from storage import sqlite as sqlite_driver
from storage.models import (
    Confirmation,
    JobRun,
    Measure,
    Membership,
    OutboxMessage,
    Person,
    RaisedProblem,
    Reminder,
    StepRecord,
    SurveyCycle,
    Unit,
    UnitFollowup,
)

OPEN = (MeasureStatus.PLANNED, MeasureStatus.IN_PROGRESS, MeasureStatus.STUCK)


def _in_plan():
    return func.coalesce(Measure.proposal, ProposalState.ACCEPTED) == ProposalState.ACCEPTED


# --- what is due: read a chunk of units at a time ---

async def cycles(session: AsyncSession, years) -> dict[tuple[int, int], SurveyCycle]:
    """The trusts' own dates for these survey years, by (trust, year); a trust without a row uses the defaults."""
    rows = (await session.exec(select(SurveyCycle).where(SurveyCycle.year.in_(list(years))))).all()
    return {(row.trust_id, row.year): row for row in rows}


@dataclass
class Above:
    """The leaders above the units (bot/rules/leader_groups.py): the active leaders at each trust,
    and the leader-group units with their active leaders. Read once per sweep."""

    trusts: dict[int, list[int]]
    groups: dict[int, list[Place]]  # by trust
    group_leaders: dict[int, list[int]]  # by leader-group unit

    def of(self, unit_id: int, trust_id: int, clinic: str | None, department: str | None,
           level: str | None) -> list[int]:
        people = self.trusts.get(trust_id, [])
        if trust_id not in self.groups:
            return people
        people = list(people)
        for group in groups_above(Place(unit_id, trust_id, clinic, department, level), self.groups[trust_id]):
            people += [p for p in self.group_leaders.get(group.unit_id, []) if p not in people]
        return people


async def leaders_above(session: AsyncSession) -> Above:
    """The leaders above the units, in three queries whatever the number of units."""
    trusts = defaultdict(list)
    for person_id, trust_id in (await session.exec(
            select(Membership.person_id, Membership.trust_id).join(Person, Person.id == Membership.person_id)
            .where(Person.active, Membership.unit_id.is_(None), Membership.scope == Scope.TRUST,
                   Membership.role == Role.LEADER).order_by(Membership.id))).all():
        trusts[trust_id].append(person_id)
    groups = defaultdict(list)
    for row in await _rows(session, select(Unit.id, Unit.trust_id, Unit.clinic, Unit.department, Unit.leader_group)
                           .where(Unit.leader_group.is_not(None)).order_by(Unit.id)):
        groups[row[1]].append(Place(*row))
    group_leaders = defaultdict(list)
    if groups:
        for person_id, unit_id in await _rows(session, (
                select(Membership.person_id, Membership.unit_id).join(Person, Person.id == Membership.person_id)
                .join(Unit, Unit.id == Membership.unit_id)
                .where(Person.active, Unit.leader_group.is_not(None), Membership.role == Role.LEADER)
                .order_by(Membership.id))):
            group_leaders[unit_id].append(person_id)
    return Above(dict(trusts), dict(groups), dict(group_leaders))


async def _rows(session: AsyncSession, query) -> list:
    """All rows of a query, as plain rows (no ORM objects: the sweep reads tens of thousands)."""
    return (await (await session.connection()).execute(query)).all()


async def units_after(session: AsyncSession, after: int, limit: int) -> list[tuple]:
    """The next `limit` units (id, trust, clinic, department, leader-group level) by id: the sweep's chunks."""
    return await _rows(session, select(Unit.id, Unit.trust_id, Unit.clinic, Unit.department, Unit.leader_group)
                       .where(Unit.id > after).order_by(Unit.id).limit(limit))


async def situations(session: AsyncSession, years, units: list[tuple], cycle_of, cycles_by, above: Above,
                     situation_type, measure_type, answer_type, stuck_before: datetime | None = None) -> Iterator:
    """One situation per survey year and unit of the chunk `units` (ordered by id), year by year,
    from six grouped queries over the chunk's id range; made one at a time as they are taken. `cycle_of(year, row)` turns a SurveyCycle
    row (or None) into dates; `cycles_by` and `above` come from cycles() and leaders_above(); the
    *_type arguments are the rule's classes. With `stuck_before` (the weekly digest's day), two more
    grouped queries count the raised problems nobody answered and the measures stuck since before it."""
    low, high = units[0][0], units[-1][0]
    years = list(years)
    in_years = UnitFollowup.year.in_(years) & UnitFollowup.unit_id.between(low, high)
    submitted = {(unit_id, year): bool(at) for unit_id, year, at in await _rows(session, (
        select(UnitFollowup.unit_id, UnitFollowup.year, UnitFollowup.plan_submitted_at).where(in_years)))}

    done: dict[tuple[int, int], set[str]] = defaultdict(set)
    for unit_id, year, step in await _rows(session, (
            select(UnitFollowup.unit_id, UnitFollowup.year, StepRecord.step)
            .join(UnitFollowup, UnitFollowup.id == StepRecord.followup_id).where(in_years))):
        done[unit_id, year].add(step)

    leaders, reps = defaultdict(list), defaultdict(list)
    for person_id, role, unit_id in await _rows(session, (
            select(Membership.person_id, Membership.role, Membership.unit_id)
            .join(Person, Person.id == Membership.person_id)
            .where(Person.active, Membership.unit_id.between(low, high)).order_by(Membership.id))):
        if role == Role.LEADER:
            leaders[unit_id].append(person_id)
        elif role in (Role.SAFETY_REP, Role.UNION_REP):
            reps[unit_id].append(person_id)

    in_chunk = Measure.year.in_(years) & _in_plan() & Measure.unit_id.between(low, high)
    open_measures = defaultdict(list)
    for measure_id, unit_id, year, title, deadline, responsible in await _rows(session, (
            select(Measure.id, Measure.unit_id, Measure.year, Measure.title, Measure.deadline,
                   Measure.responsible_person_id)
            .where(in_chunk, Measure.status.in_(OPEN)).order_by(Measure.deadline, Measure.id))):
        open_measures[unit_id, year].append(measure_type(measure_id, title, deadline, responsible))
    unevaluated = {(unit_id, year): n for unit_id, year, n in await _rows(session, (
        select(Measure.unit_id, Measure.year, func.count())
        .where(in_chunk, Measure.status != MeasureStatus.DROPPED, Measure.evaluation.is_(None))
        .group_by(Measure.unit_id, Measure.year)))}

    answers = defaultdict(list)
    for confirmation_id, person_id, subject, requested_at, unit_id, year in await _rows(session, (
            select(Confirmation.id, Confirmation.person_id, Confirmation.subject, Confirmation.requested_at,
                   UnitFollowup.unit_id, UnitFollowup.year)
            .join(UnitFollowup, UnitFollowup.id == Confirmation.followup_id)
            .where(in_years, Confirmation.answer.is_(None)).order_by(Confirmation.id))):
        answers[unit_id, year].append(answer_type(confirmation_id, person_id, subject, requested_at.date()))

    raised, stuck = {}, {}
    if stuck_before is not None:
        raised = {(unit_id, year): n for unit_id, year, n in await _rows(session, (
            select(RaisedProblem.unit_id, Measure.year, func.count())
            .join(Measure, Measure.id == RaisedProblem.measure_id)
            .where(RaisedProblem.unit_id.between(low, high), Measure.year.in_(years),
                   RaisedProblem.answer.is_(None), RaisedProblem.taken_measure_id.is_(None))
            .group_by(RaisedProblem.unit_id, Measure.year)))}
        stuck = {(unit_id, year): n for unit_id, year, n in await _rows(session, (
            select(Measure.unit_id, Measure.year, func.count())
            .where(in_chunk, Measure.status == MeasureStatus.STUCK, Measure.stuck_since <= stuck_before)
            .group_by(Measure.unit_id, Measure.year)))}

    def each():
        dates = {}  # one CycleDates per trust and year
        for year in years:
            for unit_id, trust_id, clinic, department, level in units:
                if (trust_id, year) not in dates:
                    dates[trust_id, year] = cycle_of(year, cycles_by.get((trust_id, year)))
                yield situation_type(
                    unit_id=unit_id, year=year, cycle=dates[trust_id, year],
                    done_steps=done[unit_id, year], plan_submitted=submitted.get((unit_id, year), False),
                    leaders=leaders[unit_id], reps=reps[unit_id],
                    above=above.of(unit_id, trust_id, clinic, department, level),
                    open_measures=open_measures[unit_id, year], unevaluated=unevaluated.get((unit_id, year), 0),
                    pending_answers=answers[unit_id, year],
                    raised_open=raised.get((unit_id, year), 0), stuck_long=stuck.get((unit_id, year), 0),
                )
    return each()


def _insert_ignore(session: AsyncSession, model):
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    return (postgresql.insert(model) if dialect == "postgresql" else sqlite.insert(model)).on_conflict_do_nothing()


def _is_postgres(session: AsyncSession) -> bool:
    return session.bind is not None and session.bind.dialect.name == "postgresql"


REMINDER_COLUMNS = ("key", "person_id", "reason", "subject", "period")
DIGEST_COLUMNS = ("key", "person_id", "chat_id", "text", "reply_markup")


class Rows:
    """Rows for one bulk write, as tuples of plain values (str, int or None) in the order of `columns`.
    They go to the database as they are: one array a column (PostgreSQL's unnest) or one
    multi-row VALUES (SQLite), bound by the driver. (They went as one JSON parameter before: making
    each row into JSON took a tenth of a status day's event loop, and the database parsed it again.)"""

    def __init__(self, columns: tuple[str, ...] = REMINDER_COLUMNS):
        self.columns = columns
        self.values: list[tuple] = []

    def add(self, *values) -> None:
        self.values.append(values)

    @classmethod
    def of(cls, rows: list[dict]) -> "Rows":
        """The same rows from dicts with the same keys (bot/services/programme.py)."""
        made = cls(tuple(rows[0]) if rows else REMINDER_COLUMNS)
        made.values = [tuple(row.values()) for row in rows]
        return made

    def __len__(self) -> int:
        return len(self.values)


async def _not_waiting_for_the_disk(session: AsyncSession) -> None:
    """PostgreSQL: this transaction's commit does not wait for its WAL to reach the disk (3-10 ms
    a chunk here). Nothing is lost that matters: whatever commits later with the wait (the sender's
    'sent', the sweep's mark in job_run) flushes the WAL before it, so a crash loses at most chunks
    that nothing has used yet, which the next sweep of the day writes again (the keys keep them once)."""
    if _is_postgres(session):
        await (await session.connection()).execute(text("SET LOCAL synchronous_commit = off"))


def _unnested(table, rows: Rows, same: dict):
    """PostgreSQL: INSERT INTO <table> SELECT … FROM unnest(<an array per column>) … ON CONFLICT DO
    NOTHING, in one statement whatever the number of rows (the arrays are bound by asyncpg, in C);
    `same` holds the columns every row has alike, bound once. Returns the statement and its parameters."""
    given = func.unnest(*(bindparam(f"all_{name}", type_=postgresql.ARRAY(table.c[name].type))
                          for name in rows.columns)).table_valued(*rows.columns).render_derived(name="given")
    select_rows = select(*(given.c[name] for name in rows.columns),
                         *(literal(value, table.c[name].type) for name, value in same.items())).select_from(given)
    statement = postgresql.insert(table).from_select([*rows.columns, *same], select_rows).on_conflict_do_nothing()
    return statement, {f"all_{name}": list(values) for name, values in zip(rows.columns, zip(*rows.values))}


def _sqlite_parameters() -> int:
    """How many parameters a statement may bind in the SQLite that Python's driver uses (250,000 in
    this one; 32,766 in SQLite's default build since 3.32, 999 before)."""
    connection = sqlite3.connect(":memory:")
    try:
        return connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    finally:
        connection.close()


# A write with more (the programme's reminders for every unit leader of the country are 45,000 on a
# status day) goes in several statements of one transaction.
SQLITE_PARAMETERS = min(_sqlite_parameters(), 100_000)  # and statements of at most a few hundred kB


def _values_statements(session: AsyncSession, table, rows: Rows, same: dict, returning: tuple[str, ...] = ()):
    """SQLite: INSERT INTO <table> SELECT column1, …, <same> FROM (VALUES (?, …), …) ON CONFLICT DO
    NOTHING [RETURNING …], as (SQL, parameters) pieces (one, at the sweep's chunk sizes). The values are
    bound by the driver in its thread, as they are; `same` goes through the columns' types once."""
    dialect = session.bind.dialect
    constants = []
    for name, value in same.items():
        process = table.c[name].type._cached_bind_processor(dialect)
        constants.append(process(value) if process else value)
    width = len(rows.columns)
    row = "(" + ", ".join("?" * width) + ")"
    head = (f"INSERT INTO {table.name} ({', '.join([*rows.columns, *same])}) SELECT "
            + ", ".join([f"column{i + 1}" for i in range(width)] + ["?"] * len(same)) + " FROM (VALUES ")
    # WHERE: SQLite reads "SELECT … FROM (VALUES …) ON CONFLICT" as a join's ON without it.
    tail = ") WHERE true ON CONFLICT DO NOTHING" + (f" RETURNING {', '.join(returning)}" if returning else "")
    per_statement = max(1, (SQLITE_PARAMETERS - len(same)) // width)
    for start in range(0, len(rows.values), per_statement):
        piece = rows.values[start:start + per_statement]
        yield (head + ", ".join([row] * len(piece)) + tail,
               (*constants, *itertools.chain.from_iterable(piece)))


async def _insert_new(session: AsyncSession, model, rows: Rows, same: dict,
                      returning: tuple[str, ...] = ()) -> tuple[int, list]:
    """Insert the rows that are not there yet (ON CONFLICT DO NOTHING), `same` in every row. Returns
    how many are new and, with `returning`, those columns of the new rows."""
    connection = await session.connection()
    table = model.__table__
    if _is_postgres(session):
        statement, parameters = _unnested(table, rows, same)
        if returning:
            statement = statement.returning(*(table.c[name] for name in returning))
        result = await connection.execute(statement, parameters)
        return (result.rowcount, []) if not returning else (len(written := result.all()), written)
    new, written = 0, []
    await sqlite_driver.bulk_statements_ran(connection)
    for sql, parameters in _values_statements(session, table, rows, same, returning):
        result = await connection.exec_driver_sql(sql, parameters)
        if returning:
            written += result.all()
        else:
            new += result.rowcount
    return (len(written), written) if returning else (new, [])


async def record_reminders(session: AsyncSession, rows: "Rows | list[dict]", due_on: date,
                           created_at: datetime) -> int:
    """Insert the reminders (key, person_id, reason, subject, period) that are not there yet, in
    bulk, pending; the unique key makes a rerun a no-op. Returns how many are new."""
    if not isinstance(rows, Rows):
        rows = Rows.of(rows)
    if not rows:
        return 0
    await _not_waiting_for_the_disk(session)
    new, _ = await _insert_new(session, Reminder, rows, {
        "due_on": due_on, "state": ReminderState.PENDING, "created_at": created_at})
    return new


async def drop_stale(session: AsyncSession, due_keys: set[str], chunk: int = 5000) -> int:
    """Pending reminders that are no longer due (the step got done) are never sent. The pending
    keys are read as a stream, `chunk` at a time, with a turn for the event loop in between."""
    stale = []
    result = await (await session.connection()).stream(
        select(Reminder.id, Reminder.key).where(Reminder.state == ReminderState.PENDING)
        .execution_options(yield_per=chunk))
    async for part in result.partitions(chunk):
        stale += [rid for rid, key in part if key not in due_keys]
        await asyncio.sleep(0)
    await result.close()
    for start in range(0, len(stale), 1000):
        await session.exec(update(Reminder).where(Reminder.id.in_(stale[start:start + 1000]))
                           .values(state=ReminderState.DROPPED))
    return len(stale)


# --- the digests: read the pending reminders a chunk of people at a time ---

async def pending_by_person(session: AsyncSession, chunk: int) -> AsyncIterator[list]:
    """The pending reminders of active people, ordered by person and id, in lists of about `chunk`
    rows that never split a person's reminders. One query, read as a stream: the memory held is
    one chunk (and one person's reminders), whatever the number of people."""
    query = (select(Reminder.id, Reminder.person_id, Reminder.reason, Reminder.subject, Reminder.period,
                    Person.telegram_user_id, Person.language, Person.muted_reminders, Person.snoozed_until)
             .join(Person, Person.id == Reminder.person_id)
             .where(Reminder.state == ReminderState.PENDING, Person.active)
             .order_by(Reminder.person_id, Reminder.id))
    result = await (await session.connection()).stream(query.execution_options(yield_per=chunk))
    carry: list = []
    async for part in result.partitions(chunk):
        rows = carry + list(part)
        cut = len(rows)
        while cut and rows[cut - 1].person_id == rows[-1].person_id:
            cut -= 1
        rows, carry = rows[:cut], rows[cut:]
        if rows:
            yield rows
    if carry:
        yield carry


@dataclass
class DigestNames:
    """What a chunk of digests names: units (name, trust), measures (title, deadline),
    confirmations (subject, when asked, the unit's name), and the open measures (id, title)
    of each (unit, year) that is asked for a quarterly status, in the order /measures shows them."""

    units: dict[int, tuple[str, int]] = field(default_factory=dict)
    measures: dict[int, tuple[str, date]] = field(default_factory=dict)
    confirmations: dict[int, tuple[str, datetime, str]] = field(default_factory=dict)
    open_measures: dict[tuple[int, int], list[tuple[int, str]]] = field(default_factory=dict)
    programme: dict = field(default_factory=dict)  # Der skoen trykker, TTP: storage/programme.digest_names


async def digest_names(session: AsyncSession, unit_ids: set[int], measure_ids: set[int],
                       confirmation_ids: set[int], status_of: set[tuple[int, int]]) -> DigestNames:
    """Four grouped queries, whatever the number of digests in the chunk."""
    names = DigestNames()
    if unit_ids:
        names.units = {uid: (name, trust_id) for uid, name, trust_id in await _rows(session, (
            select(Unit.id, Unit.name, Unit.trust_id).where(Unit.id.in_(unit_ids))))}
    if measure_ids:
        names.measures = {mid: (title, deadline) for mid, title, deadline in await _rows(session, (
            select(Measure.id, Measure.title, Measure.deadline).where(Measure.id.in_(measure_ids))))}
    if confirmation_ids:
        names.confirmations = {cid: (subject, requested_at, unit_name) for cid, subject, requested_at, unit_name
                               in await _rows(session, (
                                   select(Confirmation.id, Confirmation.subject, Confirmation.requested_at, Unit.name)
                                   .join(UnitFollowup, UnitFollowup.id == Confirmation.followup_id)
                                   .join(Unit, Unit.id == UnitFollowup.unit_id)
                                   .where(Confirmation.id.in_(confirmation_ids))))}
    if status_of:
        units, years = {unit for unit, _ in status_of}, {year for _, year in status_of}
        for mid, unit_id, year, title in await _rows(session, (
                select(Measure.id, Measure.unit_id, Measure.year, Measure.title)
                .where(Measure.unit_id.in_(units), Measure.year.in_(years), _in_plan(), Measure.status.in_(OPEN))
                .order_by(Measure.unit_id, Measure.year, Measure.kind.desc(), Measure.deadline, Measure.id))):
            if (unit_id, year) in status_of:
                names.open_measures.setdefault((unit_id, year), []).append((mid, title))
    return names


def digest_key(person_id: int, day: date) -> str:
    """The outbox key of a person's digest of the day: one a day."""
    return f"digest:{person_id}:{day.isoformat()}"


@dataclass
class DigestBatch:
    """Digests waiting to be written together by write_digests()."""

    same: dict  # the columns every row of the batch has alike (kind, state, not_before, ...)
    messages: Rows = field(default_factory=lambda: Rows(DIGEST_COLUMNS))
    reminders: dict[int, list[int]] = field(default_factory=dict)  # person -> the reminders the digest holds


async def add_digest(batch: DigestBatch, message: dict, reminder_ids: list[int]) -> None:
    """The day's one reminder message for a person (an outbox row's key, person_id, chat_id, text
    and reply_markup), and the reminders it holds; written with the rest of the batch."""
    batch.messages.add(message["key"], message["person_id"], message["chat_id"], message["text"],
                       message["reply_markup"])
    batch.reminders[message["person_id"]] = reminder_ids


async def write_digests(session: AsyncSession, batch: DigestBatch) -> int:
    """The batch's outbox rows in bulk, each once (the key is the person and the day: a person who has
    today's digest already gets no second one, and their reminders stay pending), then the reminders
    of each new digest marked sent with it, in one statement. Returns how many digests are new."""
    if not batch.messages:
        return 0
    await _not_waiting_for_the_disk(session)
    new, written = await _insert_new(session, OutboxMessage, batch.messages, batch.same, ("id", "person_id"))
    held = [(rid, outbox_id) for outbox_id, person_id in written for rid in batch.reminders[person_id]]
    if held:
        connection = await session.connection()
        if _is_postgres(session):
            await connection.execute(*_marked_sent(held))
        else:
            for sql, parameters in _marked_sent_sqlite(held):
                await connection.exec_driver_sql(sql, parameters)
            await sqlite_driver.bulk_statements_ran(connection)
    return new


def _marked_sent(held: list[tuple[int, int]]):
    """PostgreSQL: UPDATE reminder SET state = 'sent', outbox_id = … for these (reminder, outbox row)
    pairs, if still pending. The ids go as two arrays and the reminders are found by their primary
    key (= ANY): joined to the rows as a set instead, PostgreSQL hashed every pending reminder of the
    day for each chunk, as the statistics (from before the sweep) count almost none pending."""
    table = Reminder.__table__
    ids = bindparam("ids", type_=postgresql.ARRAY(Integer))
    outbox_ids = bindparam("outbox_ids", type_=postgresql.ARRAY(Integer))
    return (table.update().where(table.c.id == func.any(ids), table.c.state == ReminderState.PENDING)
            .values(outbox_id=Grouping(outbox_ids)[func.array_position(ids, table.c.id)], state=ReminderState.SENT),
            {"ids": [rid for rid, _ in held], "outbox_ids": [outbox_id for _, outbox_id in held]})


def _marked_sent_sqlite(held: list[tuple[int, int]]):
    """SQLite: the same, from a multi-row VALUES of the pairs (one statement at the sweep's chunk sizes)."""
    per_statement = SQLITE_PARAMETERS // 2 - 2
    for start in range(0, len(held), per_statement):
        piece = held[start:start + per_statement]
        yield (f"UPDATE reminder SET state = ?, outbox_id = held.column2 FROM (VALUES "
               f"{', '.join(['(?, ?)'] * len(piece))}) AS held WHERE reminder.id = held.column1 AND reminder.state = ?",
               (ReminderState.SENT.value, *itertools.chain.from_iterable(piece), ReminderState.PENDING.value))


async def trust_of_unit(session: AsyncSession, unit_id: int) -> int | None:
    return (await session.exec(select(Unit.trust_id).where(Unit.id == unit_id))).first()


async def last_run(session: AsyncSession, name: str) -> date | None:
    run = await session.get(JobRun, name)
    return run.last_day if run else None


async def mark_run(session: AsyncSession, name: str, day: date, now: datetime, figures: str = "") -> None:
    """Insert or update in one statement: two processes marking at once cannot collide."""
    dialect = session.bind.dialect.name
    insert = postgresql.insert(JobRun) if dialect == "postgresql" else sqlite.insert(JobRun)
    insert = insert.values(name=name, last_day=day, ran_at=now, figures=figures)
    await session.exec(insert.on_conflict_do_update(
        index_elements=[JobRun.name],
        set_={"last_day": insert.excluded.last_day, "ran_at": insert.excluded.ran_at,
              "figures": insert.excluded.figures}))


async def job_run(session: AsyncSession, name: str) -> JobRun | None:
    return await session.get(JobRun, name)
