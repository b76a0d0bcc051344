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
from bot.rules.vocabulary import Role, Scope


@dataclass(frozen=True)
class ReminderRules:
    review_after_results: int = 14  # days after the results before "review not done"
    feedback_after_results: int = 28
    escalate_after_deadline: int = 14  # days after the plan deadline before the level above hears
    rep_answer_days: int = 7
    measure_due_days: int = 7
    evaluation_days: int = 14
    late_window: int = 60  # how long an overdue reminder is still worth sending


REMINDERS_TITLE = N_("Reminders")

# Reasons, the group a person can turn off (None: required) and a short title.
REASONS: dict[str, tuple[str | None, str]] = {
    "results": ("results", N_("The survey results are available")),
    "review_late": ("steps", N_("The review with the parties is not done")),
    "feedback_late": ("steps", N_("The feedback meeting is not held")),
    "plan_14": (None, N_("The action plan is due in two weeks")),
    "plan_3": (None, N_("The action plan is due in three days")),
    "plan_overdue": (None, N_("The action plan is overdue")),
    "plan_escalated": (None, N_("A unit's action plan is overdue")),
    "confirm_pending": ("reps", N_("Your answer is still missing")),
    "status": ("status", N_("Quarterly status for the measures")),
    "measure_due": ("measures", N_("A measure is due in a week")),
    "measure_overdue": ("measures", N_("A measure is overdue")),
    "evaluation": ("evaluation", N_("Measures are waiting for their evaluation")),
}

GROUPS = {
    "results": N_("Survey results"),
    "steps": N_("Steps not done"),
    "reps": N_("Answers I owe"),
    "status": N_("Quarterly status"),
    "measures": N_("Measure deadlines"),
    "evaluation": N_("Evaluation"),
}


@dataclass(frozen=True)
class OpenMeasure:
    id: int
    title: str
    deadline: date


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
    above: list[int]  # leaders at the level above (the trust), for escalation
    open_measures: list[OpenMeasure] = field(default_factory=list)
    unevaluated: int = 0
    pending_answers: list[PendingAnswer] = field(default_factory=list)


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


def _within(today: date, start: date, days: int) -> bool:
    return start <= today <= start + timedelta(days=days)


def due_reminders(s: UnitSituation, today: date, rules: ReminderRules = ReminderRules()) -> list[Due]:
    c, unit, year = s.cycle, f"unit:{s.unit_id}", str(s.year)
    due: list[Due] = []

    def to(people: list[int], reason: str, subject: str = unit, period: str = year) -> None:
        due.extend(Due(p, reason, subject, period, s.unit_id) for p in people)

    if _within(today, c.results_available, 13):
        to(s.leaders + s.reps, "results")
    if "review" not in s.done_steps and \
            c.results_available + timedelta(days=rules.review_after_results) <= today <= c.plan_deadline:
        to(s.leaders, "review_late")
    if "feedback" not in s.done_steps and \
            c.results_available + timedelta(days=rules.feedback_after_results) <= today <= c.plan_deadline:
        to(s.leaders, "feedback_late")

    if not s.plan_submitted:
        if c.plan_deadline - timedelta(days=14) <= today < c.plan_deadline - timedelta(days=3):
            to(s.leaders, "plan_14")
        elif c.plan_deadline - timedelta(days=3) <= today <= c.plan_deadline:
            to(s.leaders, "plan_3")
        elif _within(today, c.plan_deadline + timedelta(days=1), rules.late_window):
            to(s.leaders, "plan_overdue")
        if _within(today, c.plan_deadline + timedelta(days=rules.escalate_after_deadline), rules.late_window):
            to(s.above, "plan_escalated")

    for answer in s.pending_answers:
        if _within(today, answer.requested_on + timedelta(days=rules.rep_answer_days), rules.late_window):
            to([answer.person_id], "confirm_pending", f"confirmation:{answer.confirmation_id}",
               answer.requested_on.isoformat())

    if s.open_measures:
        for number, status_date in enumerate(c.status_dates, 1):
            if _within(today, status_date, 13):
                to(s.leaders, "status", unit, f"{year}-status{number}")
        for m in s.open_measures:
            if m.deadline - timedelta(days=rules.measure_due_days) <= today <= m.deadline:
                to(s.leaders, "measure_due", f"measure:{m.id}", m.deadline.isoformat())
            elif _within(today, m.deadline + timedelta(days=1), rules.late_window):
                to(s.leaders, "measure_overdue", f"measure:{m.id}", m.deadline.isoformat())

    if s.unevaluated and \
            c.evaluation_deadline - timedelta(days=rules.evaluation_days) <= today <= c.evaluation_deadline:
        to(s.leaders, "evaluation")
    return due


def gets_plan_reminders(memberships) -> bool:
    """The plan-deadline reminders, which cannot be turned off, go to unit leaders and (escalated)
    to the leaders of the trust above; reps and everyone else never get them."""
    return any(m.role == Role.LEADER and m.scope in (Scope.UNIT, Scope.TRUST) for m in memberships)


def wanted(d: Due, muted: set[str], snoozed_until: date | None, today: date) -> bool:
    """Required reminders always come; others respect the person's choices."""
    if d.required:
        return True
    if snoozed_until is not None and today < snoozed_until:
        return False
    return REASONS[d.reason][0] not in muted
