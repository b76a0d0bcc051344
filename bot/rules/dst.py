"""Der skoen trykker (DST) and Tidlig og tett på (TTP): plain rules.

DST is a second method (bot/rules/methods.py DST): a unit is enrolled on the programme's three
entry criteria and walks seven phases from its own start date, each with a target date a number
of days after the start (settings DST_PHASE_<n>_DAYS). Its working group is the leader, the
leader's superior (the trust's leaders), the safety rep, the union rep and a local resource (HR,
the occupational health service or NAV's IA adviser). The region's intervention team follows the
region's DST units and hears when a phase stalls. Training gatherings are dated events per region.

TTP touches individual health data, so the bot only reminds unit leaders to go through the
overview of frequent sick leave in the trust's own HR system and links to the method's material;
it has no place to write anything about a person's health or absence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from bot.i18n import N_
from bot.rules.vocabulary import Role, Scope

# Links to the methods' material. One place, so that the resources file (resources.toml, the other
# part of issue 14) can take them over.
MATERIAL = {
    "dst": "https://derskoentrykker.no/",
    "ttp": "https://xn--tidligogtettp-1fb.no/",  # tidligogtettpå.no
    "programme": "https://sammenomforbedring.no/",
}

# The three entry criteria, each answered yes/no with a short note about the unit.
CRITERIA = {
    "potential": N_("Potential for lower sick leave"),
    "challenges": N_("Work-environment challenges"),
    "motivation": N_("High motivation to take part"),
}
NOTE_LIMIT = 200

# Days after the start by which each phase should be done (the settings' defaults): 4, 12, 16, 22,
# 40, 52 and 60 weeks. The method publishes no durations; each deployment sets its own.
DEFAULT_PHASE_DAYS = (28, 84, 112, 154, 280, 364, 420)
DEFAULT_STALL_DAYS = 14  # a phase not done this many days after its target date has stalled

GATHERING_KINDS = {
    "workshop": N_("workshop"),
    "digital": N_("digital gathering"),
    "follow_up": N_("follow-up day"),
}
GATHERING_WEEK_BEFORE = timedelta(days=7)

# The working group's roles at the unit (the leader's superior is a leader of the trust, and a
# local resource may sit at the unit or at its trust).
WORKING_GROUP = (Role.LEADER, Role.SAFETY_REP, Role.UNION_REP, Role.LOCAL_RESOURCE)
ENROLLERS = frozenset({Role.PROGRAMME_STAFF, Role.ADMIN})

# TTP: the reminder's days when the trust has set none of its own: quarterly.
DEFAULT_TTP_DATES = "03-15,06-15,09-15,12-15"
TTP_WINDOW = timedelta(days=14)  # a reminder missed while the bot was down is still sent this long


@dataclass(frozen=True)
class PhaseDates:
    """The target dates of a unit's seven phases; `phase_<n>` like CycleDates' attributes, so
    that bot/rules/progress.step_states reads them as it reads the survey year's dates."""

    start: date
    days: tuple[int, ...]

    def __getattr__(self, name: str) -> date:
        if name.startswith("phase_"):
            return self.start + timedelta(days=self.days[int(name[6:]) - 1])
        raise AttributeError(name)

    @property
    def status_3(self) -> date:  # no quarterly status in DST; never read for a marked phase
        return self.start + timedelta(days=self.days[-1])


def check_phase_days(days: tuple[int, ...]) -> str | None:
    """Why these are not seven growing day counts; None when they are."""
    if len(days) != 7:
        return "seven phases need seven day counts"
    if days[0] < 1 or any(b <= a for a, b in zip(days, days[1:])):
        return "each phase's days must be more than the one before (and the first at least 1)"
    return None


def stalled_since(due: date, stall_days: int) -> date:
    return due + timedelta(days=stall_days)


def first_stalled(phases: list[tuple[str, date]], done: set[str], today: date,
                  stall_days: int) -> tuple[str, date] | None:
    """The first phase (key, target date) not done `stall_days` after its target date, or None."""
    for key, due in phases:
        if key not in done:
            return (key, due) if stalled_since(due, stall_days) <= today else None
    return None


# --- who may do what ---

def may_enrol(memberships, trust_id: int, region_id: int) -> bool:
    """Programme staff and admins over the unit (national, its region or its trust)."""
    return any(m.role in ENROLLERS and (m.scope == Scope.NATIONAL
                                         or (m.scope == Scope.REGION and m.region_id == region_id)
                                         or (m.scope == Scope.TRUST and m.trust_id == trust_id))
               for m in memberships)


def may_view_dst(memberships, unit_id: int, trust_id: int, region_id: int) -> bool:
    """A unit's DST: its working group (leader, reps, a local resource of the unit or the trust,
    the trust's leaders), the region's intervention team, and programme staff and admins over it."""
    memberships = list(memberships)
    return any(
        (m.unit_id == unit_id and m.role in WORKING_GROUP)
        or (m.scope == Scope.TRUST and m.trust_id == trust_id and m.role in (Role.LEADER, Role.LOCAL_RESOURCE))
        or (m.scope == Scope.REGION and m.region_id == region_id and m.role in (Role.INTERVENTION_TEAM, Role.LEADER))
        for m in memberships) or may_enrol(memberships, trust_id, region_id)


def sees_dst_names(memberships, unit_id: int, trust_id: int, region_id: int) -> bool:
    """Who sees the working group's names and the reps' answers and comments in a unit's DST: all
    who may view it but programme staff, who see figures only, never names (the privacy notice
    promises it). The unit's group, the trust's leaders and local resources, the region's leaders
    and intervention team, and admins work with the unit, so they see names."""
    return may_view_dst([m for m in memberships if m.role != Role.PROGRAMME_STAFF], unit_id, trust_id, region_id)


def dst_scopes(memberships) -> list[tuple[str, int | None]]:
    """The places whose DST units a person follows beyond their own units: ("national", None),
    ("region", id) or ("trust", id). Intervention teams, programme staff, admins and leaders above."""
    found: list[tuple[str, int | None]] = []
    for m in memberships:
        if m.unit_id is not None or m.role not in (Role.INTERVENTION_TEAM, Role.PROGRAMME_STAFF, Role.ADMIN,
                                                   Role.LEADER, Role.LOCAL_RESOURCE):
            continue
        if m.scope == Scope.NATIONAL:
            return [("national", None)]
        if m.scope == Scope.REGION:
            found.append(("region", m.region_id))
        elif m.scope == Scope.TRUST:
            found.append(("trust", m.trust_id))
    return sorted(set(found), key=lambda s: (s[0], s[1] or 0))


# --- Tidlig og tett på ---

def parse_ttp_dates(text: str) -> list[tuple[int, int]]:
    """'03-15,06-15' -> [(3, 15), (6, 15)]; raises ValueError with the reason."""
    days = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        try:
            month, day = (int(x) for x in part.split("-"))
            date(2028, month, day)  # a leap year: 29 February is a day
        except ValueError:
            raise ValueError(f"{part!r} is not a day like 03-15 (month-day)") from None
        days.append((month, day))
    if not days:
        raise ValueError("give at least one day like 03-15")
    return sorted(set(days))


def ttp_day_due(days: list[tuple[int, int]], today: date) -> date | None:
    """The TTP day whose reminder is due today (the day itself or up to TTP_WINDOW later), or None."""
    for year in (today.year, today.year - 1):
        for month, day in days:
            try:
                when = date(year, month, day)
            except ValueError:  # 29 February in a common year
                when = date(year, 2, 28)
            if when <= today <= when + TTP_WINDOW:
                return when
    return None
