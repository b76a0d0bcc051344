"""The reminder sweep: what is due, recorded once, one digest a day per person.

The sweep knows what is due, to whom, about which unit or measure, and which buttons
are wanted, as plain data (`Digest`); it holds no Telegram. The words, the HTML and the
buttons' data are the conversations' (conversations/reminder_texts.py), installed by the
composition root with `use_renderer`."""

from __future__ import annotations

import asyncio
import gc
import time
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from itertools import repeat
from datetime import date, datetime, timedelta, timezone
from typing import Callable, NamedTuple

from bot.resources import ALL
from bot import busy
from bot.rules import nudges
from bot.rules.cycle import current_year, cycle_from, default_cycle
from bot.rules.measures import QUICK_STATUS, STUCK_FOR_A_QUARTER_DAYS
from bot.rules.vocabulary import Answer, OutboxKind, OutboxState, Role, Scope
from bot.rules.workdays import next_reminder_time
from bot.settings import Settings
from storage import reminders as store
from storage.database import Database
from storage.followup import unit_people
from storage.models import Person

MAX_STATUS_MEASURES = 8  # one-tap rows in one message; the rest via /measures
SWEEP = "reminder_sweep"


def rules_from(settings: Settings) -> nudges.ReminderRules:
    return nudges.ReminderRules(review_after_results=settings.review_reminder_days,
                                feedback_after_results=settings.feedback_reminder_days,
                                escalate_after_deadline=settings.escalation_days,
                                survey_url=settings.resources.survey_url,
                                material=tuple((method, links[0].url) for method in ("dst", "ttp")
                                               if (links := settings.resources.for_step(method, ALL))),
                                dst_phase_days=settings.dst_phase_days, dst_stall_days=settings.dst_stall_days,
                                ttp_dates=settings.ttp_dates)


def _cycle_of(year: int, row):
    return cycle_from(row) if row is not None else default_cycle(year)


# --- what a digest says, as data ---

class Action(NamedTuple):
    """A button wanted in a digest: what it does (`kind`), to what (`target`: a unit,
    measure or confirmation id) and, for some kinds, a value (an answer, a step, a status).
    (A named tuple: a status day makes 270,000 of them, three times faster than a dataclass.)

    Kinds: open_measure, measure_title (value: its title), quick_status (value: a QUICK_STATUS
    key), answer (value: the answer), open_followup, open_step (value: the step), open_plan,
    remind_leader (value: the unit's name), open_raised, list_measures, snooze, settings, open_url (value: an
    https:// link from the resources file)."""

    kind: str
    target: int = 0
    value: str = ""


@dataclass(frozen=True)
class Item:
    """One reminder of a digest. Which fields are set depends on the reason (a key of
    nudges.REASONS); `found` is False when what it was about is gone (it then says nothing)."""

    reason: str
    found: bool = True
    unit: str = ""  # the unit's name
    measure: str = ""  # measure_due, measure_overdue: the measure's title
    on: date | None = None  # the date the reminder names: a deadline, or when a rep was asked
    about: str = ""  # confirm_pending: "plan" or "step:<key>"
    more: bool = False  # status: more open measures than one-tap rows
    rows: tuple[tuple[Action, ...], ...] = ()
    counts: tuple[int, int] = (0, 0)  # above_weekly: (raised and unanswered, stuck for a quarter)


@dataclass(frozen=True)
class Digest:
    """A person's reminders of the day, and the buttons below them."""

    person_id: int
    language: str
    items: tuple[Item, ...]
    rows: tuple[tuple[Action, ...], ...] = field(
        default=((Action("snooze"), Action("settings")),))


# The wording of a digest: (text, reply markup as JSON), from conversations/reminder_texts.py.
Render = Callable[[Digest], tuple[str, "str | None"]]
_render: Render | None = None


def use_renderer(render: Render) -> None:
    """Set how digests are worded (bot/app.py, the composition root, does it once)."""
    global _render
    _render = render


@dataclass
class SweepResult:
    recorded: int  # reminders recorded by this sweep
    digests: int  # digests written to the outbox
    dropped: int = 0  # pending reminders no longer due, never to be sent


UNIT_CHUNK = 500  # units read, worked out and recorded together
PEOPLE_CHUNK = 1000  # pending reminders (whole people) worded and written together
SLICE = 0.0005  # seconds of work on the event loop before people's updates get their turn
GIVE_WAY = 0.05  # seconds the sweep waits at most, at a turn, for the updates being answered


class _Turns:
    """Gives the event loop a turn whenever SLICE seconds of work have gone by, and then, while
    people's updates are being answered (bot/busy.py), waits for them to be done (GIVE_WAY at most
    at a time): a person's answer should not wait for the sweep, which nobody waits for. An update
    needs the loop at each of its queries (/followup makes 16): with 2 ms slices and no waiting,
    an update during a sweep took 3-5 times as long as without one; a turn costs ~10 µs."""

    def __init__(self):
        self.since = time.perf_counter()

    async def take(self) -> None:
        if time.perf_counter() - self.since >= SLICE:
            await asyncio.sleep(0)
            if busy.running():
                await busy.quiet(GIVE_WAY)
            self.since = time.perf_counter()


class _Cycles:
    """The trusts' own dates for the survey years read so far, by (trust, year); the defaults otherwise."""

    def __init__(self, rows: dict, years):
        self.rows, self.years = rows, set(years)

    async def read(self, session, years) -> None:
        """Read the years not read yet (a reminder still pending from a year the sweep did not look at)."""
        if new := set(years) - self.years:
            self.rows.update(await store.cycles(session, new))
            self.years |= new

    def of(self, trust_id: int, year: int):
        return _cycle_of(year, self.rows.get((trust_id, year)))


@contextmanager
def _heap_frozen():
    """Python's cyclic garbage collector, gentler while the sweep runs. The sweep makes and drops
    hundreds of thousands of small objects (freed by reference counting as it goes), which set off
    collection after collection, each holding up the event loop; a full one goes through the whole
    heap of the bot (measured: 1.9 s of a national sweep, pauses of up to 180 ms). So the heap as it
    was is set aside (gc.freeze: a collection looks only at what was made since) and a collection
    waits for 50,000 new objects instead of 700; afterwards everything is as before."""
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(50_000, *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


async def sweep(db: Database, now: datetime, tz, rules: nudges.ReminderRules,
                render: Render | None = None) -> SweepResult:
    """Find what is due today, record it (once), and write each person's digest.

    Set-based: the units are read a chunk at a time in grouped queries (bot/rules/nudges.py
    decides per unit, as always) and the chunk's reminders recorded in bulk; then the pending
    reminders are read as one stream, a chunk of people at a time, and their digests and the
    reminders they hold written in bulk. Each chunk is its own transaction: a sweep stopped
    half-way leaves whole chunks, and the next sweep (at start, the same day) goes on from
    there without sending anything twice (the reminder's key, the digest's key). The number
    of statements grows with the number of chunks, not with units, people or digests, and the
    memory held is a chunk's. The event loop gets a turn every few milliseconds of work."""
    render = render or _render
    if render is None:
        raise RuntimeError("no digest renderer: bot.app.build_application installs it with use_renderer")
    with _heap_frozen():
        return await _sweep(db, now, tz, rules, render)


class _Behind:
    """Bulk writes running behind the work, `at_once` at most: while a chunk is written (by the
    database, in its own thread or process), the next one is read and worked out. Leaving the
    block waits for the writes; on an error, the writes under way are let finish (each is a whole
    chunk, committed or not) and the error goes on."""

    def __init__(self, at_once: int = 1):
        self.tasks: list[asyncio.Task] = []
        self.at_once = at_once
        self.total = 0

    async def start(self, write) -> None:
        while len(self.tasks) >= self.at_once:
            await self._oldest()
        self.tasks.append(asyncio.ensure_future(write))

    async def _oldest(self) -> None:
        self.total += await self.tasks.pop(0)

    async def wait(self) -> None:
        while self.tasks:
            await self._oldest()

    async def __aenter__(self) -> "_Behind":
        return self

    async def __aexit__(self, kind, error, traceback) -> None:
        if kind is None:
            await self.wait()
        elif self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)


def _writers(db: Database) -> int:
    """Chunk writes at once: two on PostgreSQL, whose server works on both (on a results day the
    sweep waited for its one writer); one on SQLite, which has one writer at a time anyway."""
    return 2 if db.url.startswith("postgresql") else 1


async def _sweep(db: Database, now: datetime, tz, rules: nudges.ReminderRules, render: Render) -> SweepResult:
    today = now.astimezone(tz).date()
    # Years overlap: last year's answers may still be missing, and from December next year's
    # preparation is asked about while this year's follow-up goes on.
    years = (current_year(today) - 1, current_year(today), current_year(today) + 1)
    turns = _Turns()
    async with db.session() as session:
        cycles = _Cycles(await store.cycles(session, years), years)
        above = await store.leaders_above(session)
    # Mondays: the weekly digest to the leaders above names the measures stuck for a quarter.
    stuck_before = now - timedelta(days=STUCK_FOR_A_QUARTER_DAYS) if today.weekday() == 0 else None

    async def record(rows: "store.Rows | list[dict]") -> int:
        async with db.session() as session:
            return await store.record_reminders(session, rows, due_on=today, created_at=now)

    async def read(after: int):
        """The next chunk of units after `after` and their situations (read while the chunk before is
        worked out)."""
        async with db.session() as session:
            units = await store.units_after(session, after, UNIT_CHUNK)
            if not units:
                return units, ()
            return units, await store.situations(session, years, units, _cycle_of, cycles.rows, above,
                                                 nudges.UnitSituation, nudges.OpenMeasure, nudges.PendingAnswer,
                                                 stuck_before=stuck_before)

    due_keys: set[str] = set()
    async with _Behind(_writers(db)) as recorded, _Ahead(read(0)) as ahead:
        while (units_situations := await ahead.take()) is not None:
            units, situations = units_situations
            if not units:
                break
            if len(units) == UNIT_CHUNK:
                ahead.start(read(units[-1][0]))
            rows = store.Rows(store.REMINDER_COLUMNS)
            for situation in situations:
                for d in nudges.due_reminders(situation, today, rules):
                    key = d.key
                    due_keys.add(key)
                    rows.add(key, d.person_id, d.reason, d.subject, d.period)
                await turns.take()
            del situations, units_situations
            await recorded.start(record(rows))
    # Der skoen trykker and Tidlig og tett på: a few grouped queries for the whole country.
    from bot.services import programme

    if programme_rows := await programme.due(db, today, rules):
        due_keys.update(row["key"] for row in programme_rows)
        recorded.total += await record(programme_rows)
    async with db.session() as session:
        dropped = await store.drop_stale(session, due_keys)
    del due_keys

    outbox = {"kind": OutboxKind.REMINDER, "state": OutboxState.PENDING, "attempts": 0, "created_at": now,
              "not_before": next_reminder_time(now.astimezone(tz)).astimezone(timezone.utc)}

    async def write(batch: store.DigestBatch) -> int:
        async with db.session() as session:
            return await store.write_digests(session, batch)

    async with _Behind(_writers(db)) as digests, db.session() as reading:
        chunks = store.pending_by_person(reading, PEOPLE_CHUNK)

        async def prepare():
            """The next chunk of people and the names its digests need, or None after the last."""
            async for chunk in chunks:
                return await _chosen(db, chunk, today, cycles)
            return None

        try:
            async with _Ahead(prepare()) as ahead:
                while (prepared := await ahead.take()) is not None:
                    ahead.start(prepare())
                    batch = await _word_digests(prepared, today, outbox, cycles, render, turns, rules)
                    if batch.messages:
                        await digests.start(write(batch))
        finally:
            await chunks.aclose()
    return SweepResult(recorded.total, digests.total, dropped)


class _Ahead:
    """One read running ahead of the work: while a chunk is worked out, the next one is read (the
    loop would otherwise wait for the database at the start of each chunk). Leaving the block
    cancels a read still under way."""

    def __init__(self, read):
        self.task: asyncio.Task | None = asyncio.ensure_future(read)

    def start(self, read) -> None:
        self.task = asyncio.ensure_future(read)

    async def take(self):
        """What the read running ahead found (None when no read is under way)."""
        if self.task is None:
            return None
        task, self.task = self.task, None
        return await task

    async def __aenter__(self) -> "_Ahead":
        return self

    async def __aexit__(self, kind, error, traceback) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)


async def _chosen(db: Database, rows, today: date, cycles: _Cycles):
    """Of a chunk of people (`rows`: their pending reminders, ordered by person): the reminders each
    wants and the names their digests need (four grouped queries), or ([], None) when none is wanted."""
    people: list[tuple] = []  # (person, chat, language, [(reminder id, (reason, subject, period))])
    wanted_for: dict[tuple, bool] = {}
    last = None
    for rid, person_id, reason, subject, period, chat_id, language, muted, snoozed_until in rows:
        if person_id != last:
            people.append((person_id, chat_id, language, []))
            last = person_id
        # Whether a reminder is wanted depends on its reason and the person's settings only.
        settings = (muted, snoozed_until, reason)
        if (wanted := wanted_for.get(settings)) is None:
            wanted = wanted_for[settings] = nudges.wanted(nudges.Due(person_id, reason, subject, period, 0),
                                                          set(filter(None, muted.split(","))), snoozed_until, today)
        if wanted:
            people[-1][3].append((rid, (reason, subject, period)))
    people = [person for person in people if person[3]]
    if not people:
        return people, None

    wanted = defaultdict(set)
    for *_, chosen in people:
        for _, (reason, subject, period) in chosen:
            kind, _, number = subject.partition(":")
            wanted[kind].add(int(number))
            if kind == "unit":
                wanted["year"].add(int(period[:4]))
                if reason == "status":
                    wanted["status"].add((int(number), int(period[:4])))
    async with db.session() as session:
        names = await store.digest_names(session, wanted["unit"], wanted["measure"], wanted["confirmation"],
                                         wanted["status"])
        await cycles.read(session, wanted["year"])
        if wanted.keys() & {"dst", "gathering", "trust"}:  # Der skoen trykker, Tidlig og tett på
            from bot.services import programme

            names.programme = await programme.digest_names(session, wanted)
    return people, names


async def _word_digests(prepared, today: date, outbox: dict, cycles: _Cycles, render: Render, turns: _Turns,
                        rules: nudges.ReminderRules = nudges.ReminderRules()) -> store.DigestBatch:
    """The digests of a chunk of people (what _chosen() found), worded, ready to be written."""
    batch = store.DigestBatch(outbox)
    people, names = prepared
    if not people:
        return batch
    # A unit's leader and reps often get the very same digest (the results, say): each reminder is
    # made into an item once, and each distinct digest worded once, per language.
    items: dict[tuple[str, str, str], Item] = {}
    distinct: dict[tuple, int] = {}
    digests: list[Digest] = []
    which: list[int] = []  # each person's digest, in `digests`
    for person_id, _, language, chosen in people:
        what = (language, tuple([reminder for _, reminder in chosen]))
        if (index := distinct.get(what)) is None:
            for reminder in what[1]:
                if reminder not in items:
                    items[reminder] = _item(*reminder, names, cycles, rules)
            index = distinct[what] = len(digests)
            digests.append(Digest(person_id, language, tuple([items[reminder] for reminder in what[1]])))
        which.append(index)
        await turns.take()
    messages = await _worded(render, digests, turns)
    for (person_id, chat_id, language, chosen), index in zip(people, which):
        text, markup = messages[index]
        await store.add_digest(batch, {
            "key": store.digest_key(person_id, today), "person_id": person_id, "chat_id": chat_id,
            "text": text, "reply_markup": markup,
        }, [rid for rid, _ in chosen])
    return batch


async def _worded(render: Render, digests: list[Digest], turns: _Turns) -> list[tuple[str, str | None]]:
    """The words of the digests, here, a slice at a time. (In the worker process of bot/workers.py
    a national sweep took longer on this machine: the worker waited for the cores as much as the
    loop, and the loop waited for the worker.)"""
    messages = []
    for digest in digests:
        messages.append(render(digest))
        await turns.take()
    return messages


# Action((kind, target, value)) without the named tuple's own __new__ (a Python function): a status
# day makes 270,000 actions, most of them in the rows of one-tap buttons.
_action = partial(tuple.__new__, Action)
_QUICK_STATUS_KEYS = tuple(QUICK_STATUS)


def _quick_status_row(measure_id: int) -> tuple[Action, ...]:
    """A measure's one-tap buttons: Action("quick_status", measure_id, key) for each QUICK_STATUS key."""
    return tuple(map(_action, zip(repeat("quick_status"), repeat(measure_id), _QUICK_STATUS_KEYS)))


def _id(subject: str) -> int:
    return int(subject.split(":")[1])


def _item(reason: str, subject: str, period: str, names: store.DigestNames, cycles: _Cycles,
          rules: nudges.ReminderRules = nudges.ReminderRules()) -> Item:
    """One reminder of a digest, as data, from the names read for its chunk."""
    if reason in ("dst_stalled", "dst_gathering", "ttp"):  # bot/services/programme.py
        from bot.services import programme

        return programme.item(reason, subject, period, names.programme, dict(rules.material))
    if subject.startswith("measure:"):
        measure_id = _id(subject)
        if measure_id not in names.measures:
            return Item(reason, found=False)
        title, deadline = names.measures[measure_id]
        if reason == "status_own":  # the responsible member's one-tap (issue 13)
            return Item(reason, measure=title, on=deadline, rows=(
                (_action(("measure_title", measure_id, title)),), _quick_status_row(measure_id)))
        return Item(reason, measure=title, on=deadline, rows=((Action("open_measure", measure_id),),))
    if subject.startswith("confirmation:"):
        confirmation_id = _id(subject)
        if confirmation_id not in names.confirmations:
            return Item(reason, found=False)
        about, requested_at, unit_name = names.confirmations[confirmation_id]
        answers = ((Answer.ACKNOWLEDGED, Answer.OBJECTED) if about == "plan"
                   else (Answer.TOOK_PART, Answer.NOT_INVOLVED))
        return Item(reason, unit=unit_name, on=requested_at.date(), about=about,
                    rows=(tuple(Action("answer", confirmation_id, answer) for answer in answers),))

    unit_id = _id(subject)
    if unit_id not in names.units:
        return Item(reason, found=False)
    name, trust_id = names.units[unit_id]
    year = int(period[:4])
    if reason in ("survey_open", "survey_halfway"):  # the link (when the resources file has one), the step
        link = (Action("open_url", 0, rules.survey_url),) if rules.survey_url else ()
        return Item(reason, unit=name, on=cycles.of(trust_id, year).survey_closes,
                    rows=(link + (Action("open_step", unit_id, "survey"),),))
    if reason == "results":
        return Item(reason, unit=name, rows=((Action("open_followup", unit_id),),))
    if reason == "carry_over":  # a new survey year: last year's open measures (conversations/years.py)
        return Item(reason, unit=name, rows=((Action("carry_over", unit_id),),))
    if reason in ("review_late", "feedback_late"):
        step = "review" if reason == "review_late" else "feedback"
        return Item(reason, unit=name, rows=((Action("open_step", unit_id, step),),))
    cycle = cycles.of(trust_id, year)
    if reason in ("plan_14", "plan_3", "plan_overdue"):
        return Item(reason, unit=name, on=cycle.plan_deadline, rows=((Action("open_plan", unit_id),),))
    if reason == "above_weekly":
        plan_late, raised, stuck = nudges.weekly_facts(period)
        rows = (((Action("remind_leader", unit_id, name),),) if plan_late else ()) + \
            (((Action("open_raised"),),) if raised else ())
        return Item(reason, unit=name, on=cycle.plan_deadline if plan_late else None, counts=(raised, stuck),
                    rows=rows)
    if reason == "status":
        open_ = names.open_measures.get((unit_id, year), [])
        rows: list[tuple[Action, ...]] = []
        for measure_id, title in open_[:MAX_STATUS_MEASURES]:
            rows.append((_action(("measure_title", measure_id, title)),))
            rows.append(_quick_status_row(measure_id))
        return Item(reason, unit=name, more=len(open_) > MAX_STATUS_MEASURES, rows=tuple(rows))
    # evaluation
    return Item(reason, unit=name, on=cycle.evaluation_deadline, rows=((Action("list_measures", unit_id),),))


async def due_for_catch_up(db: Database, now: datetime, tz, at) -> bool:
    """Has today's sweep not run although it should have (the bot was down at `at`)?"""
    local = now.astimezone(tz)
    async with db.session() as session:
        return await store.last_run(session, SWEEP) != local.date() and local.time() >= at


async def mark_swept(db: Database, now: datetime, tz, result: SweepResult | None = None) -> None:
    figures = "" if result is None else (f"{result.recorded} reminder(s) recorded, {result.digests} digest(s), "
                                         f"{result.dropped} dropped")
    async with db.session() as session:
        await store.mark_run(session, SWEEP, now.astimezone(tz).date(), now, figures)


async def last_sweep(db: Database):
    """When the last sweep ran and what it did (for `forbedring-bot status`), or None."""
    async with db.session() as session:
        return await store.job_run(session, SWEEP)


async def people_for_units(db: Database, unit_id: int, roles: tuple[str, ...]) -> list[Person]:
    async with db.session() as session:
        return [p for p, _ in await unit_people(session, unit_id, roles)]


def is_above(memberships, trust_id: int | None) -> bool:
    return trust_id is not None and any(m.role == Role.LEADER and m.scope == Scope.TRUST and m.trust_id == trust_id
                                        for m in memberships)


async def unit_trust(db: Database, unit_id: int) -> int | None:
    async with db.session() as session:
        return await store.trust_of_unit(session, unit_id)

