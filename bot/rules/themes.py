"""The seven ForBedring themes and the two kinds of area."""

from bot.i18n import N_
from bot.rules.vocabulary import MeasureKind

THEMES: dict[str, str] = {
    "engagement": N_("Engagement"),
    "teamwork": N_("Teamwork climate"),
    "working_conditions": N_("Working conditions"),
    "safety_climate": N_("Safety climate"),
    "leadership": N_("Leadership behaviour"),
    "physical_environment": N_("Physical environment"),
    "follow_up": N_("Follow-up"),
}

KINDS: dict[str, str] = {
    MeasureKind.PRESERVE: N_("preserve"),
    MeasureKind.IMPROVE: N_("improve"),
}


def suggest_areas(scores: dict[str, int], improve: int = 2, preserve: int = 1) -> tuple[list[str], list[str]]:
    """From theme scores (0-100, higher is better): the lowest themes to improve
    and the highest to preserve, never the same theme twice."""
    ranked = sorted(scores, key=lambda theme: (scores[theme], list(THEMES).index(theme)))
    to_improve = ranked[:improve]
    to_preserve = [t for t in reversed(ranked) if t not in to_improve][:preserve]
    return to_preserve, to_improve
