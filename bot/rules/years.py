"""Across survey years: what becomes of last year's open measures, and how a measure's theme
moved from its year's results to the next year's."""

from __future__ import annotations

from bot.rules.vocabulary import Evaluation

# The one-tap answers when a new survey year begins: the measure goes on into the new year,
# or it is closed (done) with its evaluation; "close" keeps an evaluation it has already.
CARRY_ON = "carry"
CLOSE = "close"
CARRY_CHOICES = (CARRY_ON, Evaluation.YES.value, Evaluation.PARTLY.value, Evaluation.NO.value, CLOSE)


def carry_choices(evaluated: bool) -> tuple[str, ...]:
    """The buttons for one measure: an evaluated measure is closed as it is."""
    return (CARRY_ON, CLOSE) if evaluated else (CARRY_ON, Evaluation.YES, Evaluation.PARTLY, Evaluation.NO)


def theme_change(year_scores: dict[str, int], next_scores: dict[str, int], theme: str) -> int | None:
    """How the theme's score moved from the measure's year to the next year's results; None
    until both are entered."""
    if theme in year_scores and theme in next_scores:
        return next_scores[theme] - year_scores[theme]
    return None


def signed(change: int) -> str:
    """+5, −3, ±0 (a true minus sign)."""
    return f"+{change}" if change > 0 else (f"−{-change}" if change < 0 else "±0")
