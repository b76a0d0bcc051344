"""Der skoen trykker (DST) and Tidlig og tett på (TTP): enrolment, a unit's phases, the working
group, gatherings, the trusts' TTP days, the reminders the sweep adds for them, the roll-ups by
method and the research export. Rules in bot/rules/dst.py; storage in storage/programme.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.rules import dst as rules
from bot.rules import progress
from bot.rules.errors import NotAllowed
from bot.rules.methods import DST, OBJECTIONS
from bot.rules.vocabulary import Completion, MeasureStatus, Role
from storage import audit
from storage import followup as followup_store
from storage import organisation
from storage import programme as store
from storage.database import Database
from storage.followup import UnitInfo
from storage.models import Confirmation, DstEnrolment, DstGathering, Person, StepRecord


class ProgrammeError(Exception):
    """Bad input for an enrolment, a gathering or TTP days; the message says what (for the CLI)."""


class AlreadyEnrolled(ProgrammeError):
    pass


def phase_dates(enrolment: DstEnrolment, days: tuple[int, ...]) -> rules.PhaseDates:
    return rules.PhaseDates(enrolment.started_on, tuple(days))


def phase_targets(started_on: date, days: tuple[int, ...]) -> list[tuple[str, date]]:
    dates = rules.PhaseDates(started_on, tuple(days))
    return [(step.key, getattr(dates, step.due)) for step in DST.steps]


# --- enrolment ---

async def find_unit(db: Database, unit_code: str, trust_code: str | None = None) -> int:
    async with db.session() as session:
        units = await organisation.find_unit(session, unit_code, trust_code)
    if not units:
        raise ProgrammeError(f"no unit {unit_code!r}" + (f" in trust {trust_code!r}" if trust_code else ""))
    if len(units) > 1:
        raise ProgrammeError(f"unit code {unit_code!r} is in more than one trust: add --in-trust CODE")
    return units[0].id


async def unit_to_enrol(db: Database, memberships, unit_code: str, trust_code: str | None = None) -> int | None:
    """The one unit with this code among the places the person may enrol units in, else None: an
    unknown code, a unit outside their places and a code used in several of them get the same
    answer, so that the answer never tells that a unit exists elsewhere."""
    async with db.reading() as session:
        units = await store.units_with_code(session, unit_code, trust_code)
    mine = [unit for unit, trust, region in units if rules.may_enrol(memberships, trust, region)]
    return mine[0] if len(mine) == 1 else None


async def enrol(db: Database, unit_id: int, started_on: date, criteria: dict[str, tuple[bool, str]], *,
                actor: str, now: datetime, memberships=None) -> DstEnrolment:
    """Enrol a unit. From the chat `memberships` are checked (programme staff or admins over it);
    the CLI passes None. Raises NotAllowed, AlreadyEnrolled or ProgrammeError."""
    if set(criteria) != set(rules.CRITERIA):
        raise ProgrammeError("give all three entry criteria")
    for key, (_, note) in criteria.items():
        if len(note) > rules.NOTE_LIMIT:
            raise ProgrammeError(f"the note on {key} is longer than {rules.NOTE_LIMIT} characters")
    async with db.session() as session:
        unit = await followup_store.unit_info(session, unit_id)
        if unit is None:
            raise NotAllowed(f"enrol unknown unit {unit_id}")
        if memberships is not None and not rules.may_enrol(memberships, unit.trust_id, unit.region_id):
            raise NotAllowed(f"enrol unit {unit_id}")
        enrolment = await store.enrol(session, unit_id, started_on, criteria, actor, now)
        if enrolment is None:
            raise AlreadyEnrolled(f"{unit.name} is enrolled in Der skoen trykker already")
        audit.record(session, actor, "dst.enrol", f"unit:{unit_id}",
                     f"start={started_on} " + " ".join(f"{k}={'yes' if y else 'no'}" for k, (y, _) in criteria.items()))
        return enrolment


async def enrolment(db: Database, unit_id: int) -> DstEnrolment | None:
    async with db.session() as session:
        return await store.enrolment_of(session, unit_id)


# --- a unit's DST: the overview and its phases ---

@dataclass
class DstOverview:
    unit: UnitInfo
    enrolment: DstEnrolment
    dates: rules.PhaseDates
    states: list[progress.StepState]
    records: dict[str, StepRecord]
    confirmations: list[tuple[Confirmation, str]]  # empty without `names`
    group: list[store.GroupMember]  # empty without `names`
    roles: list[tuple[str, bool]]  # the working group's (role, held at the trust), names or not
    names: bool = True  # False for programme staff: figures only, never names (bot/rules/dst.py)
    today: date | None = None
    method = DST

    def overdue(self, state: progress.StepState) -> bool:
        """An open phase past its target date (shown ⚠, as ForBedring's steps are)."""
        return self.today is not None and progress.overdue(state, self.today)

    @property
    def next(self) -> progress.StepState | None:
        return progress.next_step(self.states)

    def answers_for(self, subject: str) -> list[tuple[Confirmation, str]]:
        return [(c, name) for c, name in self.confirmations if c.subject == subject]


async def overview(db: Database, memberships, unit_id: int, today: date, days: tuple[int, ...]) -> DstOverview | None:
    """The unit's DST, or None when it is not enrolled. Raises NotAllowed for someone outside it.
    Programme staff get it without names: no reps' answers, the working group as roles only."""
    async with db.session() as session:
        unit = await followup_store.unit_info(session, unit_id)
        if unit is None or not rules.may_view_dst(memberships, unit.id, unit.trust_id, unit.region_id):
            raise NotAllowed(f"view DST of unit {unit_id}")
        found = await store.enrolment_of(session, unit_id)
        if found is None:
            return None
        names = rules.sees_dst_names(memberships, unit.id, unit.trust_id, unit.region_id)
        records = await store.phase_records(session, found.followup_id)
        dates = phase_dates(found, days)
        facts = progress.Facts(marked={key: r.done_on for key, r in records.items()})
        group = await store.working_group(session, unit.id, unit.trust_id)
        roles = list(dict.fromkeys((m.role, m.above) for m in group))
        return DstOverview(unit, found, dates, progress.step_states(DST, dates, facts, today), records,
                           await followup_store.confirmations(session, found.followup_id) if names else [],
                           group if names else [], roles, names, today)


async def mark_phase(db: Database, memberships, person_id: int, unit_id: int, phase: str, done_on: date,
                     parties: list[str], now: datetime) -> list[tuple[Person, str, int]]:
    """A phase done, with the parties that took part; the unit's reps are asked to confirm, as for
    ForBedring's steps. Only the unit's leader; only a phase of an enrolled unit."""
    from bot.rules.access import is_leader_of

    if not is_leader_of(memberships, unit_id):
        raise NotAllowed(f"mark DST phase on unit {unit_id}")
    step = DST.step(phase)
    if step is None or step.completion != Completion.MARKED:
        raise NotAllowed(f"mark unknown DST phase {phase!r}")
    async with db.session() as session:
        found = await store.enrolment_of(session, unit_id)
        if found is None:
            raise NotAllowed(f"mark DST phase on unit {unit_id}, not enrolled")
        if done_on < found.started_on:
            raise NotAllowed(f"mark DST phase {phase} before the start {found.started_on}")
        await followup_store.mark_step(session, found.followup_id, phase, done_on, parties, person_id, now)
        audit.record(session, f"person:{person_id}", "dst.phase.mark", f"followup:{found.followup_id}:{phase}",
                     f"done_on={done_on} parties={','.join(parties)}")
        to_ask = []
        for rep, role in await followup_store.unit_people(session, unit_id, step.confirm_roles):
            confirmation = await followup_store.request_confirmation(session, found.followup_id, f"step:{phase}",
                                                                     rep.id, role, now, keep=OBJECTIONS)
            to_ask.append((rep, role, confirmation.id))
        return to_ask


# --- who follows which DST units ---

async def units_for(db: Database, memberships) -> list[store.EnrolledUnit]:
    """The DST units a person sees: of the places they follow (intervention team, programme staff,
    admins, leaders and local resources above the unit) and their own units."""
    own = tuple(sorted({m.unit_id for m in memberships if m.unit_id is not None and m.role in rules.WORKING_GROUP}))
    found: dict[int, store.EnrolledUnit] = {}
    async with db.session() as session:
        for place in rules.dst_scopes(memberships):
            for unit in await store.enrolled_units(session, place):
                found[unit.unit_id] = unit
        if own:
            for unit in await store.enrolled_units(session, unit_ids=own):
                found[unit.unit_id] = unit
    return sorted(found.values(), key=lambda u: (u.region, u.trust, u.name))


@dataclass
class DstFigures:
    units: int
    phases_done: dict[str, int]  # phase -> units that have done it
    overdue: list[tuple[store.EnrolledUnit, str, date]]  # unit, the first phase past its target, its target


def figures(units: list[store.EnrolledUnit], today: date, days: tuple[int, ...]) -> DstFigures:
    phases_done = {step.key: sum(1 for u in units if step.key in u.done) for step in DST.steps}
    overdue = []
    for unit in units:
        for key, due in phase_targets(unit.enrolment.started_on, days):
            if key not in unit.done:
                if due < today:
                    overdue.append((unit, key, due))
                break
    overdue.sort(key=lambda o: (o[2], o[0].trust, o[0].name))
    return DstFigures(len(units), phases_done, overdue)


async def figures_for(db: Database, memberships, today: date, days: tuple[int, ...]) -> DstFigures:
    return figures(await units_for(db, memberships), today, days)


# --- gatherings ---

async def add_gathering(db: Database, region_code: str, kind: str, held_on: date, place: str, *, actor: str,
                        now: datetime) -> DstGathering:
    if kind not in rules.GATHERING_KINDS:
        raise ProgrammeError(f"--kind must be one of {', '.join(rules.GATHERING_KINDS)}")
    place = place.strip()
    if not place or len(place) > 200:
        raise ProgrammeError("--place must be 1-200 characters")
    async with db.session() as session:
        region = await organisation.find_region(session, region_code)
        if region is None:
            raise ProgrammeError(f"no region {region_code!r}")
        gathering = await store.add_gathering(session, DstGathering(
            region_id=region.id, kind=kind, held_on=held_on, place=place, created_by=actor, created_at=now))
        audit.record(session, actor, "dst.gathering.add", f"gathering:{gathering.id}",
                     f"region={region.code} kind={kind} on={held_on} place={place}")
        return gathering


async def list_gatherings(db: Database, region_code: str | None = None, since: date | None = None) -> list:
    async with db.session() as session:
        region_id = None
        if region_code:
            region = await organisation.find_region(session, region_code)
            if region is None:
                raise ProgrammeError(f"no region {region_code!r}")
            region_id = region.id
        return await store.gatherings(session, region_id, since)


# --- Tidlig og tett på: a trust's days ---

async def set_ttp(db: Database, trust_code: str, *, enabled: bool | None, dates: str | None, actor: str,
                  now: datetime):
    if dates is not None:
        try:
            dates = ",".join(f"{m:02d}-{d:02d}" for m, d in rules.parse_ttp_dates(dates))
        except ValueError as exc:
            raise ProgrammeError(f"--dates: {exc}") from None
    async with db.session() as session:
        trust = await organisation.find_trust(session, trust_code)
        if trust is None:
            raise ProgrammeError(f"no trust {trust_code!r}")
        row = await store.set_ttp(session, trust.id, enabled, dates, now)
        audit.record(session, actor, "ttp.set", f"trust:{trust.id}", f"enabled={row.enabled} dates={row.dates}")
        return trust, row.enabled, row.dates


async def ttp_of(db: Database, trust_code: str):
    async with db.session() as session:
        trust = await organisation.find_trust(session, trust_code)
        if trust is None:
            raise ProgrammeError(f"no trust {trust_code!r}")
        row = await store.ttp_schedule(session, trust.id)
        return trust, (row.enabled if row else True), (row.dates if row and row.dates else "")


# --- the reminders: what the sweep adds (bot/services/reminders.py) ---

REASONS = ("dst_stalled", "dst_gathering", "ttp")


async def due(db: Database, today: date, reminder_rules) -> list[dict]:
    """The programme's reminders due today, as the sweep's rows (key, person_id, reason, subject,
    period): a phase stalled (the unit's leader and the region's intervention team, once per phase),
    a rep's answer about a marked phase still missing (as for ForBedring's steps),
    a gathering a week ahead and on the day (the working groups of the region's DST units), and the
    TTP days (the leaders of the trust's units). A handful of grouped queries in all."""
    days = tuple(reminder_rules.dst_phase_days)
    window = timedelta(days=reminder_rules.late_window)
    async with db.session() as session:
        data = await store.programme(session, today, today + rules.GATHERING_WEEK_BEFORE)
        default_days = rules.parse_ttp_dates(reminder_rules.ttp_dates)
        ttp_due: dict[int, date] = {}
        for trust_id in data.trusts:
            enabled, own = data.ttp.get(trust_id, (True, ""))
            if enabled and (day := rules.ttp_day_due(rules.parse_ttp_dates(own) if own else default_days, today)):
                ttp_due[trust_id] = day
        leaders = await store.unit_leaders_of_trusts(session, sorted(ttp_due)) if ttp_due else {}

    rows: list[dict] = []

    def to(people, reason: str, subject: str, period: str) -> None:
        for person_id in dict.fromkeys(people):
            rows.append({"key": f"{person_id}:{reason}:{subject}:{period}", "person_id": person_id,
                         "reason": reason, "subject": subject, "period": period})

    by_region: dict[int, list[int]] = {}
    for unit_id, trust_id, region_id, started_on, followup_id in data.enrolled:
        group = [p for p, _ in data.unit_people.get(unit_id, [])] + [p for p, _ in data.trust_people.get(trust_id, [])]
        by_region.setdefault(region_id, []).extend(group)
        stalled = rules.first_stalled(phase_targets(started_on, days), data.done.get(followup_id, set()), today,
                                      reminder_rules.dst_stall_days)
        if stalled and today <= rules.stalled_since(stalled[1], reminder_rules.dst_stall_days) + window:
            unit_leaders = [p for p, role in data.unit_people.get(unit_id, []) if role == Role.LEADER]
            to(unit_leaders + data.teams.get(region_id, []), "dst_stalled", f"dst:{unit_id}", stalled[0])
    # A rep not yet answered about a marked phase: as about ForBedring's steps (bot/rules/nudges.py).
    for confirmation_id, person_id, requested_at in data.answers:
        asked = requested_at.date()
        first = asked + timedelta(days=reminder_rules.rep_answer_days)
        if first <= today <= first + window:
            to([person_id], "confirm_pending", f"confirmation:{confirmation_id}", asked.isoformat())
    for gathering_id, region_id, held_on in data.gatherings:
        if held_on == today:
            period = "day"
        elif held_on - rules.GATHERING_WEEK_BEFORE <= today:
            period = "week"
        else:
            continue
        to(by_region.get(region_id, []) + data.teams.get(region_id, []), "dst_gathering",
           f"gathering:{gathering_id}", period)
    for trust_id, day in ttp_due.items():
        to(leaders.get(trust_id, []), "ttp", f"trust:{trust_id}", day.isoformat())
    return rows


async def digest_names(session, wanted: dict) -> dict:
    return await store.digest_names(session, wanted.get("dst", set()), wanted.get("gathering", set()),
                                    wanted.get("trust", set()))


def item(reason: str, subject: str, period: str, names: dict, material: dict | None = None):
    """One programme reminder of a digest, as data (bot/services/reminders.Item). `material`: the
    methods' links from the resources file (method -> url), else rules.MATERIAL's."""
    from bot.services.reminders import Action, Item

    kind, _, number = subject.partition(":")
    found = names.get((kind, int(number)))
    if found is None:
        return Item(reason, found=False)
    if reason == "dst_stalled":
        return Item(reason, unit=found, about=period, rows=((Action("open_dst", int(number)),),))
    if reason == "dst_gathering":
        gathering_kind, held_on, place, region = found
        return Item(reason, unit=region, on=held_on, about=gathering_kind, measure=place,
                    rows=((Action("material", 0, (material or {}).get("dst", rules.MATERIAL["dst"])),),))
    return Item(reason, unit=found, rows=((Action("material", 0, (material or {}).get("ttp", rules.MATERIAL["ttp"])),),))


# --- the research export: per unit, nothing about any person ---

RESEARCH_HEADER = (["region", "trust", "unit_code", "unit", "started_on"]
                   + list(rules.CRITERIA)
                   + [f"phase_{n}_{step.key}_target" for n, step in enumerate(DST.steps, 1)]
                   + [f"phase_{n}_{step.key}_done" for n, step in enumerate(DST.steps, 1)]
                   + [f"measures_{s.value}" for s in MeasureStatus])


async def research_rows(db: Database, days: tuple[int, ...]) -> list[list]:
    """Per enrolled unit: the entry criteria (yes/no), the phases' target and done dates, and the
    counts of its DST measures by status. Nothing about any person: no names, no roles, and no free
    text (the criteria's notes stay out, as a note could name someone). Names and codes as inert text
    (a unit named "=HYPERLINK(…)" is not a formula in a spreadsheet), as in /export."""
    from bot.services.export import as_text

    async with db.session() as session:
        units = await store.enrolled_units(session)
        counts = await store.dst_measure_counts(session, [u.unit_id for u in units])
    rows = []
    for u in units:
        e = u.enrolment
        targets = phase_targets(e.started_on, days)
        rows.append([as_text(u.region), as_text(u.trust_code), as_text(u.code), as_text(u.name),
                     e.started_on.isoformat()]
                    + ["yes" if getattr(e, k) else "no" for k in rules.CRITERIA]
                    + [due.isoformat() for _, due in targets]
                    + [u.done[key].isoformat() if key in u.done else "" for key, _ in targets]
                    + [counts[u.unit_id].get(s.value, 0) for s in MeasureStatus])
    return rows


async def unit_info(db: Database, unit_id: int) -> UnitInfo | None:
    async with db.session() as session:
        return await followup_store.unit_info(session, unit_id)


EXPORT_HEADER = (["region", "trust_code", "trust", "unit_code", "unit", "started_on"]
                 + [f"{k}" for k in rules.CRITERIA]
                 + [f"phase_{n}_{step.key}_{what}" for n, step in enumerate(DST.steps, 1) for what in ("target", "done")]
                 + [f"dst_measures_{s.value}" for s in MeasureStatus])


async def export_rows(db: Database, units: list[store.EnrolledUnit], days: tuple[int, ...]) -> list[list]:
    """/export of the DST units a person follows (the notes stay out: /dst shows them)."""
    from bot.services.export import as_text

    async with db.session() as session:
        counts = await store.dst_measure_counts(session, [u.unit_id for u in units])
    rows = []
    for u in units:
        e = u.enrolment
        rows.append([as_text(u.region), as_text(u.trust_code), as_text(u.trust), as_text(u.code), as_text(u.name),
                     e.started_on.isoformat()]
                    + ["yes" if getattr(e, k) else "no" for k in rules.CRITERIA]
                    + [d.isoformat() if d else "" for key, due in phase_targets(e.started_on, days)
                       for d in (due, u.done.get(key))]
                    + [counts[u.unit_id].get(s.value, 0) for s in MeasureStatus])
    return rows
