"""When a unit had fewer than 5 answers: no report of its own (the survey shows no results for a
unit with fewer than 5 respondents), and the follow-up goes on with the results of the level above.
The leader marks it in /followup; these are the extra words each step's guidance then gets."""

from __future__ import annotations

from bot.i18n import N_

MIN_ANSWERS = 5  # below this, the survey makes no report for the unit

NO_OWN_REPORT_NOTE = N_("Fewer than 5 answers: no report of the unit's own. The follow-up uses the results of "
                        "the level above.")

# (method, step) -> what to do differently without a report of the unit's own.
LEVEL_ABOVE_GUIDANCE = {
    ("forbedring", "review"): N_(
        "Your unit had fewer than 5 answers and got no report of its own. Get the report of the level above "
        "(your section, department or clinic) and go through it with the reps: which results fit your unit, "
        "and which do not?"),
    ("forbedring", "feedback"): N_(
        "Present the results of the level above. Tell the staff why the unit has no report of its own (fewer "
        "than 5 answers: it protects everyone's anonymity) and let them discuss what fits here."),
    ("forbedring", "areas"): N_(
        "Choose the areas from the results of the level above and what the staff said at the meeting. If you "
        "enter theme scores, enter those of the level above."),
    ("forbedring", "evaluate"): N_(
        "Your unit had no report of its own this year: evaluate with the parties and the staff whether the "
        "measures worked, not with the next report alone."),
}


def level_above_guidance(method: str, step: str) -> str | None:
    return LEVEL_ABOVE_GUIDANCE.get((method, step))
