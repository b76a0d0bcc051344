"""Where a unit stands in its year: which steps are done, when, and what is next."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from bot.rules.cycle import CycleDates
from bot.rules.methods import Method, Step
from bot.rules.vocabulary import Completion, MeasureKind


@dataclass
class Facts:
    """What the database knows about one unit's year, gathered by storage."""

    marked: dict[str, date] = field(default_factory=dict)  # step key -> the day it happened
    area_kinds: dict[str, date] = field(default_factory=dict)  # preserve/improve -> first chosen
    measure_kinds: dict[str, date] = field(default_factory=dict)  # preserve/improve -> first registered
    plan_submitted: date | None = None
    open_measures: int = 0  # planned or in progress
    open_updated_since_last_status: int = 0
    measures_in_plan: int = 0  # not dropped
    measures_evaluated: int = 0
    last_evaluation: date | None = None


@dataclass(frozen=True)
class StepState:
    step: Step
    done: bool
    done_on: date | None
    due: date


def _both(kinds: dict[str, date]) -> date | None:
    if MeasureKind.PRESERVE in kinds and MeasureKind.IMPROVE in kinds:
        return max(kinds[MeasureKind.PRESERVE], kinds[MeasureKind.IMPROVE])
    return None


# How long after a quarterly status date a unit has to give its measures a status before
# /overdue lists it.
STATUS_GRACE = timedelta(days=14)


def last_status_date(cycle: CycleDates, today: date) -> date | None:
    passed = [d for d in cycle.status_dates if d <= today]
    return passed[-1] if passed else None


def step_states(method: Method, cycle: CycleDates, facts: Facts, today: date) -> list[StepState]:
    states = []
    for step in method.steps:
        done_on: date | None = None
        done = False
        if step.completion == Completion.MARKED:
            done_on = facts.marked.get(step.key)
            done = done_on is not None
        elif step.completion == Completion.AREAS:
            done_on = _both(facts.area_kinds)
            done = done_on is not None
        elif step.completion == Completion.MEASURES:
            done_on = _both(facts.measure_kinds)
            done = done_on is not None
        elif step.completion == Completion.PLAN:
            done_on = facts.plan_submitted
            done = done_on is not None
        elif step.completion == Completion.STATUS:
            done = (today >= cycle.status_3 and facts.open_measures == facts.open_updated_since_last_status)
        elif step.completion == Completion.EVALUATION:
            done = facts.measures_in_plan > 0 and facts.measures_evaluated == facts.measures_in_plan
            done_on = facts.last_evaluation if done else None
        states.append(StepState(step, done, done_on, getattr(cycle, step.due)))
    return states


def next_step(states: list[StepState]) -> StepState | None:
    return next((s for s in states if not s.done), None)


def overdue(state: StepState, today: date) -> bool:
    """An open step whose date has passed."""
    return not state.done and state.due < today


def before_joining(state: StepState, joined: date | None) -> bool:
    """An open step that was due before the unit started with the bot: it is not asked for
    (nobody is told to do what is long past), but it can still be marked."""
    return not state.done and joined is not None and state.due < joined


def pressing_step(states: list[StepState], today: date, joined: date | None = None) -> StepState | None:
    """The most pressing open step. Steps a later done step has passed by, and steps due before
    the unit joined, are not pressing; of the rest, the overdue step with the latest date (the
    one still worth doing), else the first one coming; else the first open step at all."""
    last_done = max((i for i, s in enumerate(states) if s.done), default=-1)
    candidates = [s for i, s in enumerate(states)
                  if i > last_done and not s.done and not before_joining(s, joined)]
    late = [s for s in candidates if overdue(s, today)]
    if late:
        latest = max(s.due for s in late)
        return next(s for s in late if s.due == latest)
    if candidates:
        return candidates[0]
    return next((s for s in states if not s.done and not before_joining(s, joined)), None)


def plan_warnings(marked: dict[str, date], open_objections: int) -> list[str]:
    """What the leader is told before submitting the plan (they may go on with one tap): the review
    with the parties or the feedback meeting not marked done, a rep's objection not answered."""
    warnings = [step for step in ("review", "feedback") if step not in marked]
    if open_objections:
        warnings.append("objection")
    return warnings
