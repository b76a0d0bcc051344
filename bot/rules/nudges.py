"""Which reminders are due: a plain function of one unit's situation and the day.

Each reminder has a key (person, reason, subject, period); storage records it
once, so the same reminder is never sent twice however often this runs. Each
reason has a window: a reminder that was missed (the bot was down for weeks)
is not sent when it no longer helps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from bot.i18n import N_
from bot.rules.cycle import CycleDates
from bot.rules.dst import DEFAULT_PHASE_DAYS, DEFAULT_STALL_DAYS, DEFAULT_TTP_DATES
from bot.rules.vocabulary import Role, Scope


@dataclass(frozen=True)
class ReminderRules:
    review_after_results: int = 14  # days after the results before "review not done"
    feedback_after_results: int = 28
    escalate_after_deadline: int = 14  # days after the plan deadline before the weekly digest above names it
    rep_answer_days: int = 7
    measure_due_days: int = 7
    evaluation_days: int = 14
    late_window: int = 60  # how long an overdue reminder is still worth sending
    # Der skoen trykker and Tidlig og tett på (bot/rules/dst.py; settings DST_*, TTP_DATES).
    dst_phase_days: tuple[int, ...] = DEFAULT_PHASE_DAYS
    dst_stall_days: int = DEFAULT_STALL_DAYS
    ttp_dates: str = DEFAULT_TTP_DATES
    survey_url: str = ""  # the link in the survey-window reminders (the resources file's [survey] url)
    # The methods' material in their reminders, (method, url): the resources file's first [[dst.all]]
    # and [[ttp.all]] link; a method not named keeps bot/rules/dst.py's MATERIAL.
    material: tuple[tuple[str, str], ...] = ()


REMINDERS_TITLE = N_("Reminders")

# Reasons, the group a person can turn off (None: required) and a short title.
REASONS: dict[str, tuple[str | None, str]] = {
    "survey_open": ("survey", N_("The ForBedring survey is open")),
    "survey_halfway": ("survey", N_("The ForBedring survey is halfway")),
    "results": ("results", N_("The survey results are available")),
    "review_late": ("steps", N_("The review with the parties is not done")),
    "feedback_late": ("steps", N_("The feedback meeting is not held")),
    "plan_14": (None, N_("The action plan is due in two weeks")),
    "plan_3": (None, N_("The action plan is due in three days")),
    "plan_overdue": (None, N_("The action plan is overdue")),
    "above_weekly": ("above", N_("The units below you this week")),
    "confirm_pending": ("reps", N_("Your answer is still missing")),
    "status": ("status", N_("Quarterly status for the measures")),
    "measure_due": ("measures", N_("A measure is due in a week")),
    "measure_overdue": ("measures", N_("A measure is overdue")),
    "evaluation": ("evaluation", N_("Measures are waiting for their evaluation")),
    # issue 13: a member named responsible for a measure; last year's open measures in a new year
    "status_own": ("status", N_("Quarterly status for your measure")),
    "carry_over": ("measures", N_("A new survey year: last year's open measures")),
    # bot/services/programme.py
    "dst_stalled": ("dst", N_("A phase of Der skoen trykker has stalled")),
    "dst_gathering": ("dst", N_("A Der skoen trykker gathering is coming up")),
    "ttp": ("ttp", N_("Tidlig og tett på: time to go through the overview")),
}

GROUPS = {
    "survey": N_("The survey window"),
    "results": N_("Survey results"),
    "steps": N_("Steps not done"),
    "reps": N_("Answers I owe"),
    "status": N_("Quarterly status"),
    "measures": N_("Measure deadlines"),
    "evaluation": N_("Evaluation"),
    "above": N_("Weekly summary of the units below me"),
    "dst": N_("Der skoen trykker"),
    "ttp": N_("Tidlig og tett på"),
}


@dataclass(frozen=True)
class OpenMeasure:
    id: int
    title: str
    deadline: date
    responsible: int | None = None  # a member of the unit named responsible: gets its reminders too


@dataclass(frozen=True)
class PendingAnswer:
    confirmation_id: int
    person_id: int
    subject: str  # "step:<key>" or "plan"
    requested_on: date


@dataclass
class UnitSituation:
    """What the sweep knows about one unit's year, gathered by storage."""

    unit_id: int
    year: int
    cycle: CycleDates
    done_steps: set[str]
    plan_submitted: bool
    leaders: list[int]
    reps: list[int]
    above: list[int]  # leaders at the levels above (leader groups, the trust): the Monday digest
    open_measures: list[OpenMeasure] = field(default_factory=list)
    unevaluated: int = 0
    pending_answers: list[PendingAnswer] = field(default_factory=list)
    raised_open: int = 0  # stuck measures raised to the level above and not answered or taken on
    stuck_long: int = 0  # measures stuck for a quarter or more (bot/rules/measures.py)


@dataclass(frozen=True)
class Due:
    person_id: int
    reason: str
    subject: str
    period: str
    unit_id: int

    @property
    def key(self) -> str:
        return f"{self.person_id}:{self.reason}:{self.subject}:{self.period}"

    @property
    def required(self) -> bool:
        return REASONS[self.reason][0] is None


# The programme's participation target, named in the survey-window reminders and the survey step.
RESPONSE_TARGET = 75


def survey_halfway(c: CycleDates) -> date:
    """The day the second survey reminder is due: halfway between the survey's opening and closing."""
    return c.survey_opens + (c.survey_closes - c.survey_opens) // 2


def _within(today: date, start: date, days: int) -> bool:
    return start <= today <= start + timedelta(days=days)


@dataclass(frozen=True)
class _Windows:
    """Which of a survey year's windows hold today, worked out once per cycle, day and rules (the
    sweep asks for 27,000 unit-years, and the trusts share a handful of cycles): the reason of each
    window that holds today, or None; the deadline and asking dates that make a reminder due today."""

    survey: str | None  # survey_open, survey_halfway
    results: bool
    review_late: bool
    feedback_late: bool
    plan: str | None  # plan_14, plan_3, plan_overdue (if the plan is not submitted)
    statuses: tuple[int, ...]  # the numbers of the status dates whose two weeks hold today
    carry_over: bool
    evaluation: bool
    weekly_plan_late: bool  # above_weekly: the plan is late enough to be named above
    # A measure is due when due_from <= its deadline <= due_until, overdue when overdue_from <= it <= overdue_until.
    due_from: date
    due_until: date
    overdue_from: date
    overdue_until: date
    # A rep's answer is still missing (and worth a reminder) when asked between these two days.
    asked_from: date
    asked_until: date


def _windows_of(c: CycleDates, today: date, rules: ReminderRules) -> _Windows:
    halfway = survey_halfway(c)
    survey = ("survey_open" if c.survey_opens <= today < halfway
              else "survey_halfway" if halfway <= today < c.survey_closes else None)
    if c.plan_deadline - timedelta(days=14) <= today < c.plan_deadline - timedelta(days=3):
        plan = "plan_14"
    elif c.plan_deadline - timedelta(days=3) <= today <= c.plan_deadline:
        plan = "plan_3"
    elif _within(today, c.plan_deadline + timedelta(days=1), rules.late_window):
        plan = "plan_overdue"
    else:
        plan = None
    # m.deadline - measure_due_days <= today <= m.deadline; _within(today, m.deadline + 1, late_window);
    # _within(today, answer.requested_on + rep_answer_days, late_window): the same, turned round.
    yesterday = today - timedelta(days=1)
    asked_until = today - timedelta(days=rules.rep_answer_days)
    return _Windows(
        survey=survey,
        results=_within(today, c.results_available, 13),
        review_late=c.results_available + timedelta(days=rules.review_after_results) <= today <= c.plan_deadline,
        feedback_late=c.results_available + timedelta(days=rules.feedback_after_results) <= today <= c.plan_deadline,
        plan=plan,
        statuses=tuple(number for number, status_date in enumerate(c.status_dates, 1)
                       if _within(today, status_date, 13)),
        carry_over=_within(today, c.evaluation_deadline + timedelta(days=1), rules.late_window),
        evaluation=c.evaluation_deadline - timedelta(days=rules.evaluation_days) <= today <= c.evaluation_deadline,
        weekly_plan_late=_within(today, c.plan_deadline + timedelta(days=rules.escalate_after_deadline),
                                 rules.late_window),
        due_from=today, due_until=today + timedelta(days=rules.measure_due_days),
        overdue_from=yesterday - timedelta(days=rules.late_window), overdue_until=yesterday,
        asked_from=asked_until - timedelta(days=rules.late_window), asked_until=asked_until,
    )


# The windows worked out lately, by the identity of the cycle and rules (hashing a CycleDates and the
# rules costs more than the rest of a unit's rules); each entry holds its cycle and rules, so that
# an identity cannot be reused while it is here.
_WINDOWS: dict[tuple[int, date, int], tuple[CycleDates, ReminderRules, _Windows]] = {}


def _windows(c: CycleDates, today: date, rules: ReminderRules) -> _Windows:
    key = (id(c), today, id(rules))
    entry = _WINDOWS.get(key)
    if entry is None or entry[0] is not c or entry[1] is not rules:
        if len(_WINDOWS) >= 512:
            _WINDOWS.clear()
        entry = _WINDOWS[key] = (c, rules, _windows_of(c, today, rules))
    return entry[2]


def due_reminders(s: UnitSituation, today: date, rules: ReminderRules = ReminderRules()) -> list[Due]:
    c, unit, year = s.cycle, f"unit:{s.unit_id}", str(s.year)
    w = _windows(c, today, rules)
    due: list[Due] = []

    def to(people: list[int], reason: str, subject: str = unit, period: str = year) -> None:
        due.extend(Due(p, reason, subject, period, s.unit_id) for p in people)

    # The survey window: leaders and reps hear when it opens and again halfway (each once a year),
    # unless the survey step is already marked done.
    if w.survey is not None and "survey" not in s.done_steps:
        to(s.leaders + s.reps, w.survey)

    if w.results:
        to(s.leaders + s.reps, "results")
    if w.review_late and "review" not in s.done_steps:
        to(s.leaders, "review_late")
    if w.feedback_late and "feedback" not in s.done_steps:
        to(s.leaders, "feedback_late")

    if w.plan is not None and not s.plan_submitted:  # two weeks before, three days before, overdue
        to(s.leaders, w.plan)

    for answer in s.pending_answers:
        if w.asked_from <= answer.requested_on <= w.asked_until:
            to([answer.person_id], "confirm_pending", f"confirmation:{answer.confirmation_id}",
               answer.requested_on.isoformat())

    if s.open_measures:
        for number in w.statuses:
            to(s.leaders, "status", unit, f"{year}-status{number}")
        for m in s.open_measures:
            # A rep named responsible hears of the measure too, while still a member of the unit (a leader
            # named responsible hears of it as a leader, once).
            people = s.leaders + [m.responsible] if m.responsible in s.reps and m.responsible not in s.leaders \
                else s.leaders
            if w.due_from <= m.deadline <= w.due_until:
                to(people, "measure_due", f"measure:{m.id}", m.deadline.isoformat())
            elif w.overdue_from <= m.deadline <= w.overdue_until:
                to(people, "measure_overdue", f"measure:{m.id}", m.deadline.isoformat())
            if people is not s.leaders:  # and gets its quarterly one-tap (the leaders get the unit's)
                for number in w.statuses:
                    to([m.responsible], "status_own", f"measure:{m.id}", f"{year}-status{number}")
        # A new survey year has begun (this year's evaluation deadline has passed): the leader
        # decides, measure by measure, what goes on (conversations/years.py).
        if w.carry_over:
            to(s.leaders, "carry_over", unit, year)

    if s.unevaluated and w.evaluation:
        to(s.leaders, "evaluation")
    if today.weekday() == 0 and s.above and (weekly := _above_weekly(s, today, w.weekly_plan_late)) is not None:
        to(s.above, weekly.reason, weekly.subject, weekly.period)
    return due


def above_weekly(s: UnitSituation, today: date, rules: ReminderRules = ReminderRules()) -> Due | None:
    """On Mondays, what the leaders above should hear about this unit's year: its plan not submitted
    `escalate_after_deadline` days after the deadline (for `late_window` days), its raised problems
    nobody answered, its measures stuck for a quarter. One reminder per leader above, unit and week,
    gathered into one section of their Monday digest (instead of single escalations). What it
    found is in the period, after the year and the Monday: plan late (0/1), raised, stuck."""
    if today.weekday() != 0 or not s.above:
        return None
    return _above_weekly(s, today, _windows(s.cycle, today, rules).weekly_plan_late)


def _above_weekly(s: UnitSituation, today: date, plan_late_window: bool) -> Due | None:
    plan_late = not s.plan_submitted and plan_late_window
    if not (plan_late or s.raised_open or s.stuck_long):
        return None
    return Due(0, "above_weekly", f"unit:{s.unit_id}",
               f"{s.year}:{today.isoformat()}:{int(plan_late)}:{s.raised_open}:{s.stuck_long}", s.unit_id)


def weekly_facts(period: str) -> tuple[bool, int, int]:
    """(plan late, raised and unanswered, stuck for a quarter) from an above_weekly period."""
    _, _, plan_late, raised, stuck = period.split(":")
    return plan_late == "1", int(raised), int(stuck)


def gets_plan_reminders(memberships) -> bool:
    """The plan-deadline reminders, which cannot be turned off, go to unit leaders; reps and
    everyone else never get them (the leaders above hear of late plans in their weekly digest)."""
    return any(m.role == Role.LEADER and m.scope == Scope.UNIT for m in memberships)


def wanted(d: Due, muted: set[str], snoozed_until: date | None, today: date) -> bool:
    """Required reminders always come; others respect the person's choices."""
    if d.required:
        return True
    if snoozed_until is not None and today < snoozed_until:
        return False
    return REASONS[d.reason][0] not in muted
