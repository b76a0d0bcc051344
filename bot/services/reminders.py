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
from datetime import date, datetime, timezone
from itertools import groupby
from typing import Callable

from bot.rules import nudges
from bot.rules.cycle import current_year, cycle_from, default_cycle
from bot.rules.measures import QUICK_STATUS
from bot.rules.vocabulary import Answer, MeasureStatus, OutboxKind, Role, Scope
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
                                escalate_after_deadline=settings.escalation_days)


def _cycle_of(year: int, row):
    return cycle_from(row) if row is not None else default_cycle(year)


# --- what a digest says, as data ---

@dataclass(frozen=True)
class Action:
    """A button wanted in a digest: what it does (`kind`), to what (`target`: a unit,
    measure or confirmation id) and, for some kinds, a value (an answer, a step, a status).

    Kinds: open_measure, measure_title (value: its title), quick_status (value: a QUICK_STATUS
    key), answer (value: the answer), open_followup, open_step (value: the step), open_plan,
    remind_leader (value: the unit's name), list_measures, snooze, settings."""

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


UNIT_CHUNK = 1000  # units read, worked out and recorded together
PEOPLE_CHUNK = 2000  # pending reminders (whole people) worded and written together
SLICE = 0.004  # seconds of work on the event loop before people's updates get their turn


class _Turns:
    """Gives the event loop a turn whenever SLICE seconds of work have gone by, so answers to
    people are never held up by more than a slice of the sweep."""

    def __init__(self):
        self.since = time.perf_counter()

    async def take(self) -> None:
        if time.perf_counter() - self.since >= SLICE:
            await asyncio.sleep(0)
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
def _collector_paused():
    """Python's cyclic garbage collector waits while the sweep runs. The sweep makes and drops
    hundreds of thousands of small objects (freed at once by reference counting); meanwhile the
    collector would go through the whole heap of the bot a dozen times, each time holding up
    the event loop for 100 ms or more (measured: 1.4 s of a national sweep)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


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
    with _collector_paused():
        return await _sweep(db, now, tz, rules, render)


async def _sweep(db: Database, now: datetime, tz, rules: nudges.ReminderRules, render: Render) -> SweepResult:
    today = now.astimezone(tz).date()
    # Years overlap: last year's answers may still be missing, and from December next year's
    # preparation is asked about while this year's follow-up goes on.
    years = (current_year(today) - 1, current_year(today), current_year(today) + 1)
    turns = _Turns()
    async with db.session() as session:
        cycles = _Cycles(await store.cycles(session, years), years)
        above = await store.leaders_above(session)

    due_keys: set[str] = set()
    recorded, after = 0, 0
    while True:
        async with db.session() as session:
            units = await store.units_after(session, after, UNIT_CHUNK)
            if not units:
                break
            rows: list[dict] = []
            for situation in await store.situations(session, years, units, _cycle_of, cycles.rows, above,
                                                    nudges.UnitSituation, nudges.OpenMeasure, nudges.PendingAnswer):
                for d in nudges.due_reminders(situation, today, rules):
                    key = d.key
                    due_keys.add(key)
                    rows.append({"key": key, "person_id": d.person_id, "reason": d.reason, "subject": d.subject,
                                 "period": d.period})
                await turns.take()
            recorded += await store.record_reminders(session, rows, due_on=today, created_at=now)
        after = units[-1][0]
        await asyncio.sleep(0)
        if len(units) < UNIT_CHUNK:
            break
    async with db.session() as session:
        dropped = await store.drop_stale(session, due_keys)
    del due_keys

    outbox = {"kind": OutboxKind.REMINDER, "state": OutboxState.PENDING, "attempts": 0, "created_at": now,
              "not_before": next_reminder_time(now.astimezone(tz)).astimezone(timezone.utc)}
    digests = 0
    async with db.session() as reading:
        async for chunk in store.pending_by_person(reading, PEOPLE_CHUNK):
            async with db.session() as session:
                digests += await _write_digests(session, chunk, today, outbox, cycles, render, turns)
            await asyncio.sleep(0)
    return SweepResult(recorded, digests, dropped)


def _id(subject: str) -> int:
    return int(subject.split(":")[1])


async def _write_digests(session, rows, today: date, outbox: dict, cycles: _Cycles, render: Render,
                         turns: _Turns) -> int:
    """The digests of a chunk of people (`rows`: their pending reminders, ordered by person): what
    each wants, the names it needs in four grouped queries, the words, and one bulk write."""
    chosen_by_person: list[tuple[object, list]] = []
    muted_groups: dict[str, set[str]] = {}
    for _, reminders in groupby(rows, key=lambda r: r.person_id):
        reminders = list(reminders)
        person = reminders[0]
        if (muted := muted_groups.get(person.muted_reminders)) is None:
            muted = muted_groups[person.muted_reminders] = set(filter(None, person.muted_reminders.split(",")))
        chosen = [r for r in reminders if nudges.wanted(
            nudges.Due(r.person_id, r.reason, r.subject, r.period, 0), muted, person.snoozed_until, today)]
        if chosen:
            chosen_by_person.append((person, chosen))
    if not chosen_by_person:
        return 0

    wanted = defaultdict(set)
    for _, chosen in chosen_by_person:
        for r in chosen:
            kind, _, number = r.subject.partition(":")
            wanted[kind].add(int(number))
            if r.reason == "status":
                wanted["status"].add((int(number), int(r.period[:4])))
    names = await store.digest_names(session, wanted["unit"], wanted["measure"], wanted["confirmation"],
                                     wanted["status"])
    await cycles.read(session, {int(r.period[:4]) for _, chosen in chosen_by_person for r in chosen
                                if r.subject.startswith("unit:")})

    # A unit's leader and reps often get the very same digest (the results, say): each reminder is
    # made into an item once, and each distinct digest worded once, per language.
    items: dict[tuple[str, str, str], Item] = {}
    worded: dict[tuple, tuple[str, str | None]] = {}
    batch = store.DigestBatch(session, outbox)
    for person, chosen in chosen_by_person:
        what = tuple((r.reason, r.subject, r.period) for r in chosen)
        if (message := worded.get((person.language, what))) is None:
            for r, key in zip(chosen, what):
                if key not in items:
                    items[key] = _item(r, names, cycles)
            message = worded[person.language, what] = render(
                Digest(person.person_id, person.language, tuple(items[key] for key in what)))
        text, markup = message
        await store.add_digest(batch, {
            "key": store.digest_key(person.person_id, today), "person_id": person.person_id,
            "chat_id": person.telegram_user_id, "text": text, "reply_markup": markup,
        }, [r.id for r in chosen])
        await turns.take()
    return await store.write_digests(batch, today)


def _item(r, names: store.DigestNames, cycles: _Cycles) -> Item:
    """One reminder of a digest, as data, from the names read for its chunk."""
    if r.subject.startswith("measure:"):
        measure_id = _id(r.subject)
        if measure_id not in names.measures:
            return Item(r.reason, found=False)
        title, deadline = names.measures[measure_id]
        return Item(r.reason, measure=title, on=deadline, rows=((Action("open_measure", measure_id),),))
    if r.subject.startswith("confirmation:"):
        confirmation_id = _id(r.subject)
        if confirmation_id not in names.confirmations:
            return Item(r.reason, found=False)
        subject, requested_at, unit_name = names.confirmations[confirmation_id]
        answers = ((Answer.ACKNOWLEDGED, Answer.OBJECTED) if subject == "plan"
                   else (Answer.TOOK_PART, Answer.NOT_INVOLVED))
        return Item(r.reason, unit=unit_name, on=requested_at.date(), about=subject,
                    rows=(tuple(Action("answer", confirmation_id, answer) for answer in answers),))

    unit_id = _id(r.subject)
    if unit_id not in names.units:
        return Item(r.reason, found=False)
    name, trust_id = names.units[unit_id]
    year = int(r.period[:4])
    if r.reason == "results":
        return Item(r.reason, unit=name, rows=((Action("open_followup", unit_id),),))
    if r.reason in ("review_late", "feedback_late"):
        step = "review" if r.reason == "review_late" else "feedback"
        return Item(r.reason, unit=name, rows=((Action("open_step", unit_id, step),),))
    cycle = cycles.of(trust_id, year)
    if r.reason in ("plan_14", "plan_3", "plan_overdue"):
        return Item(r.reason, unit=name, on=cycle.plan_deadline, rows=((Action("open_plan", unit_id),),))
    if r.reason == "plan_escalated":
        return Item(r.reason, unit=name, on=cycle.plan_deadline, rows=((Action("remind_leader", unit_id, name),),))
    if r.reason == "status":
        open_ = names.open_measures.get((unit_id, year), [])
        rows: list[tuple[Action, ...]] = []
        for measure_id, title in open_[:MAX_STATUS_MEASURES]:
            rows.append((Action("measure_title", measure_id, title),))
            rows.append(tuple(Action("quick_status", measure_id, key) for key in QUICK_STATUS))
        return Item(r.reason, unit=name, more=len(open_) > MAX_STATUS_MEASURES, rows=tuple(rows))
    # evaluation
    return Item(r.reason, unit=name, on=cycle.evaluation_deadline, rows=((Action("list_measures", unit_id),),))


async def due_for_catch_up(db: Database, now: datetime, tz, at) -> bool:
    """Has today's sweep not run although it should have (the bot was down at `at`)?"""
    local = now.astimezone(tz)
    async with db.session() as session:
        return await store.last_run(session, SWEEP) != local.date() and local.time() >= at


async def mark_swept(db: Database, now: datetime, tz) -> None:
    async with db.session() as session:
        await store.mark_run(session, SWEEP, now.astimezone(tz).date(), now)


async def people_for_units(db: Database, unit_id: int, roles: tuple[str, ...]) -> list[Person]:
    async with db.session() as session:
        return [p for p, _ in await unit_people(session, unit_id, roles)]


def is_above(memberships, trust_id: int | None) -> bool:
    return trust_id is not None and any(m.role == Role.LEADER and m.scope == Scope.TRUST and m.trust_id == trust_id
                                        for m in memberships)


async def unit_trust(db: Database, unit_id: int) -> int | None:
    async with db.session() as session:
        return await store.trust_of_unit(session, unit_id)

