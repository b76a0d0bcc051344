"""The survey year: its dates, their defaults, and which year is current."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date, timedelta

DATE_FIELDS = ("survey_opens", "survey_closes", "results_available", "feedback_meeting_due",
               "plan_deadline", "status_1", "status_2", "status_3", "evaluation_deadline")

# The review with the parties comes about two weeks after the results.
REVIEW_AFTER_RESULTS = timedelta(days=14)


@dataclass(frozen=True)
class CycleDates:
    year: int
    survey_opens: date
    survey_closes: date
    results_available: date
    feedback_meeting_due: date
    plan_deadline: date
    status_1: date
    status_2: date
    status_3: date
    evaluation_deadline: date

    @property
    def review_due(self) -> date:
        return self.results_available + REVIEW_AFTER_RESULTS

    @property
    def prepare_due(self) -> date:
        return self.survey_opens

    @property
    def status_dates(self) -> tuple[date, date, date]:
        return (self.status_1, self.status_2, self.status_3)

    def as_dict(self) -> dict[str, date]:
        return {name: getattr(self, name) for name in DATE_FIELDS}


def default_cycle(year: int) -> CycleDates:
    """The typical year when a trust has set no dates of its own."""
    return CycleDates(
        year=year,
        survey_opens=date(year, 2, 1),
        survey_closes=date(year, 3, 1),
        results_available=date(year, 4, 15),
        feedback_meeting_due=date(year, 5, 15),
        plan_deadline=date(year, 6, 15),
        status_1=date(year, 9, 15),
        status_2=date(year, 12, 1),
        status_3=date(year + 1, 1, 15),
        evaluation_deadline=date(year + 1, 1, 31),
    )


# Each date must come after the one before it (or on the same day where allowed).
_ORDER = [
    ("survey_opens", "survey_closes", False),
    ("survey_closes", "results_available", True),
    ("results_available", "feedback_meeting_due", False),
    ("feedback_meeting_due", "plan_deadline", True),
    ("plan_deadline", "status_1", False),
    ("status_1", "status_2", False),
    ("status_2", "status_3", False),
    ("status_3", "evaluation_deadline", True),
]


def contradictions(dates: CycleDates) -> list[str]:
    """Why these dates cannot be one year's plan; empty when they can."""
    problems = []
    if dates.survey_opens.year != dates.year:
        problems.append(f"survey_opens {dates.survey_opens} is not in {dates.year}")
    for earlier, later, same_day_ok in _ORDER:
        a, b = getattr(dates, earlier), getattr(dates, later)
        if b < a or (b == a and not same_day_ok):
            problems.append(f"{later} ({b}) must be after {earlier} ({a})")
    if dates.evaluation_deadline > date(dates.year + 1, 12, 31):
        problems.append("evaluation_deadline must be before the end of the following year")
    return problems


def shifted_one_year(dates: CycleDates) -> CycleDates:
    """Last year's dates moved to next year (29 February becomes 28 February)."""
    def move(d: date) -> date:
        try:
            return d.replace(year=d.year + 1)
        except ValueError:
            return d.replace(year=d.year + 1, day=28)
    return replace(dates, year=dates.year + 1, **{name: move(getattr(dates, name)) for name in DATE_FIELDS})


def working_year(today: date, last_years_evaluation_deadline: date, survey_opens: date | None = None) -> int:
    """The survey year being followed up today: last year's until its evaluation deadline
    has passed (the last quarterly status and the evaluation fall in the new calendar year),
    and never after this year's survey has opened."""
    if today <= last_years_evaluation_deadline and (survey_opens is None or today < survey_opens):
        return today.year - 1
    return today.year


def preparing_next_year(today: date, working: int) -> bool:
    """From 1 December the parties prepare next year's survey (its first step) while this
    year's follow-up goes on."""
    return today >= date(working, 12, 1)


def year_open(year: int, working: int, today: date) -> bool:
    """May a unit's year be looked at and worked on today: its working year, or (only its
    first step) the next year while that is being prepared."""
    return year == working or (year == working + 1 and preparing_next_year(today, working))


def current_year(today: date) -> int:
    """The working year by the default dates, for views across trusts (roll-ups, exports)."""
    last, this = default_cycle(today.year - 1), default_cycle(today.year)
    return working_year(today, last.evaluation_deadline, this.survey_opens)


def cycle_from(row) -> CycleDates:
    return CycleDates(year=row.year, **{f.name: getattr(row, f.name) for f in fields(CycleDates) if f.name != "year"})
