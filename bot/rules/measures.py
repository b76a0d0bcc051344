"""What a measure may contain and how it may change."""

from __future__ import annotations

from datetime import date

from bot.i18n import N_
from bot.rules.themes import KINDS, THEMES
from bot.rules.vocabulary import Evaluation, MeasureStatus, QuarterlyStatus

LIMITS = {"title": 120, "description": 1000, "responsible": 200, "comment": 1000, "why": 1000}

STATUSES = {
    MeasureStatus.PLANNED: N_("planned"),
    MeasureStatus.IN_PROGRESS: N_("in progress"),
    MeasureStatus.STUCK: N_("stuck"),
    MeasureStatus.DONE: N_("done"),
    MeasureStatus.DROPPED: N_("dropped"),
}
STATUS_ICONS = {MeasureStatus.PLANNED: "🗓", MeasureStatus.IN_PROGRESS: "🔄", MeasureStatus.STUCK: "⛔",
                MeasureStatus.DONE: "✅", MeasureStatus.DROPPED: "✖"}
# Open measures: still to be carried out (a stuck one too: it is asked about every quarter).
OPEN_STATUSES = (MeasureStatus.PLANNED, MeasureStatus.IN_PROGRESS, MeasureStatus.STUCK)
# A measure stuck this long is named in the weekly digest to the leaders above.
STUCK_FOR_A_QUARTER_DAYS = 91

# The one-tap answers of the quarterly status reminder.
QUICK_STATUS = {
    QuarterlyStatus.DONE: N_("Done"),
    QuarterlyStatus.ON_TRACK: N_("In progress"),  # the status it gives the measure, in the same words
    QuarterlyStatus.STUCK: N_("Stuck"),
    QuarterlyStatus.DROPPED: N_("Dropped"),
}
EVALUATIONS = {Evaluation.YES: N_("it worked"), Evaluation.PARTLY: N_("it partly worked"),
               Evaluation.NO: N_("it did not work")}


def visible(text: str) -> str:
    """The text as a person sees it: without the NUL characters storage drops, without outer spaces."""
    return text.replace("\x00", "").strip()


def text_problem(field: str, text: str) -> tuple[str, int] | None:
    """('empty'|'too_long', limit) when the text cannot be stored as it is; never cut silently."""
    limit = LIMITS[field]
    text = visible(text)
    if not text:
        return ("empty", limit)
    if len(text) > limit:
        return ("too_long", limit)
    return None


def needs_new_deadline(quick_status: str, deadline: date, today: date) -> bool:
    """A measure past its deadline is not "on track" as it stands: it needs a new deadline first."""
    return quick_status == QuarterlyStatus.ON_TRACK and deadline < today


def deadline_problem(deadline: date, today: date, evaluation_deadline: date) -> str | None:
    if deadline < today:
        return "past"
    if deadline > evaluation_deadline:
        return "after_evaluation"
    return None


def draft_problems(data: dict, today: date, evaluation_deadline: date) -> list[str]:
    """Everything wrong with a draft, checked again when it is saved."""
    problems = []
    if data.get("theme") not in THEMES:
        problems.append("theme")
    if data.get("kind") not in KINDS:
        problems.append("kind")
    for field in ("title", "description", "responsible"):
        if not isinstance(data.get(field), str) or text_problem(field, data[field]):
            problems.append(field)
    try:
        if deadline_problem(date.fromisoformat(data.get("deadline") or ""), today, evaluation_deadline):
            problems.append("deadline")
    except (TypeError, ValueError):
        problems.append("deadline")
    return problems
