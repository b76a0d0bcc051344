"""Who may do what. The one place where roles are turned into rights.

Every handler asks these functions with the memberships loaded from the
database for the current update (see bot/identity.py); nothing here trusts
what a button or a command says about who the person is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Protocol

from bot.i18n import N_
from bot.rules.vocabulary import Role, Scope


class MembershipLike(Protocol):
    role: str
    scope: str
    unit_id: int | None
    trust_id: int | None
    region_id: int | None


ROLE_NAMES = {
    Role.LEADER: N_("leader"),
    Role.SAFETY_REP: N_("safety representative"),
    Role.UNION_REP: N_("union representative"),
    Role.PROGRAMME_STAFF: N_("programme staff"),
    Role.ADMIN: N_("administrator"),
    Role.LOCAL_RESOURCE: N_("local resource"),
    Role.INTERVENTION_TEAM: N_("intervention team"),
}

# Which role may hold an invite at which scope. Leaders and reps may also sit
# above units (a clinic leader, a chief safety rep for a trust).
ALLOWED_SCOPES = {
    Role.LEADER: {Scope.UNIT, Scope.TRUST, Scope.REGION},
    Role.SAFETY_REP: {Scope.UNIT, Scope.TRUST},
    Role.UNION_REP: {Scope.UNIT, Scope.TRUST},
    Role.PROGRAMME_STAFF: {Scope.NATIONAL, Scope.REGION, Scope.TRUST},
    Role.ADMIN: {Scope.NATIONAL, Scope.REGION, Scope.TRUST},
    Role.LOCAL_RESOURCE: {Scope.UNIT, Scope.TRUST},
    Role.INTERVENTION_TEAM: {Scope.REGION},
}


@dataclass(frozen=True)
class CommandSpec:
    name: str  # the English name, which works whatever the person's language
    description: str  # lazily translated
    roles: frozenset[Role] | None  # None: every member
    nb: str = ""  # the name Bokmål menus and /help show ("": the English name)
    nn: str = ""  # the name Nynorsk menus and /help show ("": the Bokmål name)
    above_unit: bool = False  # only for a role held above a unit (a trust, a region, national)
    leader_group: bool = False  # with above_unit: also for the role held at a leader-group unit

    def name_in(self, language: str) -> str:
        """The name this language's menu shows; bot/app.py registers it beside the English one."""
        if language == "nn":
            return self.nn or self.nb or self.name
        return (self.nb or self.name) if language == "nb" else self.name


UNIT_PARTIES = frozenset({Role.LEADER, Role.SAFETY_REP, Role.UNION_REP})

# The bot's commands, in menu order. Later features add their commands here.
COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec("start", N_("Your menu"), None),
    CommandSpec("followup", N_("Where your unit stands in the year"), UNIT_PARTIES, nb="oppfolging"),
    CommandSpec("measures", N_("The unit's measures"), UNIT_PARTIES, nb="tiltak"),
    CommandSpec("newmeasure", N_("Register a measure"), frozenset({Role.LEADER}), nb="nyttiltak"),
    CommandSpec("propose", N_("Propose a measure"), frozenset({Role.SAFETY_REP, Role.UNION_REP}), nb="foresla"),
    CommandSpec("plan", N_("The unit's action plan"), UNIT_PARTIES | {Role.ADMIN}, nb="handlingsplan"),
    CommandSpec("broadcast", N_("Send an announcement"), frozenset({Role.PROGRAMME_STAFF, Role.ADMIN}),
                nb="kunngjoring", nn="kunngjering"),
    CommandSpec("broadcasts", N_("Announcements and their delivery"), frozenset({Role.PROGRAMME_STAFF, Role.ADMIN}),
                nb="kunngjoringer", nn="kunngjeringar"),
    # Leaders and reps reach Der skoen trykker from /followup; /dst works for them too.
    CommandSpec("dst", N_("Der skoen trykker: the units and their phases"),
                frozenset({Role.LOCAL_RESOURCE, Role.INTERVENTION_TEAM, Role.PROGRAMME_STAFF, Role.ADMIN})),
    CommandSpec("progress", N_("How the units are doing"), frozenset(Role), nb="framdrift"),
    CommandSpec("overdue", N_("Units with overdue steps or measures"), frozenset(Role), nb="forsinket", nn="forseinka"),
    # In the menus of the leaders above units (a trust's) and of a leader-group unit's leaders (the
    # notice of a raised problem and the weekly digest name it too).
    CommandSpec("raised", N_("Problems the units have raised to you"), frozenset({Role.LEADER}), nb="loftet",
                nn="lyfta", above_unit=True, leader_group=True),
    CommandSpec("export", N_("Export measures and progress (XLSX; /export csv)"), frozenset(Role), nb="eksport"),
    CommandSpec("chart", N_("Chart of step completion (/chart weeks)"), frozenset(Role), nb="diagram"),
    CommandSpec("members", N_("People's roles: see and end them, hand over a unit"), frozenset({Role.ADMIN, Role.LEADER}),
                nb="medlemmer", nn="medlemer", above_unit=True),
    CommandSpec("settings", N_("Your reminders"), None, nb="innstillinger", nn="innstillingar"),
    CommandSpec("cancel", N_("Stop what you are doing"), None, nb="avbryt"),
    CommandSpec("help", N_("What you can do"), None, nb="hjelp"),
    CommandSpec("language", N_("Change language"), None, nb="sprak"),
    CommandSpec("privacy", N_("Privacy: what is stored, who sees it, how long"), None, nb="personvern"),
    CommandSpec("mydata", N_("Everything stored about you, as a file"), None, nb="minedata"),
    CommandSpec("deleteme", N_("Delete everything about you"), None, nb="slettmeg"),
)


def roles_of(memberships: Iterable[MembershipLike]) -> set[Role]:
    return {Role(m.role) for m in memberships}


def commands_for(memberships: Iterable[MembershipLike]) -> list[CommandSpec]:
    memberships = list(memberships)
    roles = roles_of(memberships)
    above = roles_of(m for m in memberships if m.unit_id is None)
    # A leader-group unit's level comes with the memberships the update loaded (storage/people.who).
    in_groups = roles_of(m for m in memberships if getattr(m, "leader_group", None))

    def holders(c: CommandSpec) -> set[Role]:
        return (above | in_groups if c.leader_group else above) if c.above_unit else roles

    return [c for c in COMMANDS if c.roles is None or c.roles & holders(c)]


PUBLIC_COMMANDS = ("start", "help", "privacy")


def default_commands() -> list[CommandSpec]:
    """The menu for people the bot does not know yet."""
    return [c for c in COMMANDS if c.name in PUBLIC_COMMANDS]


# --- a unit's follow-up ---

def units_with_role(memberships: Iterable[MembershipLike], roles: Iterable[str]) -> list[int]:
    """The units where the person holds one of `roles`, in membership order."""
    wanted = set(roles)
    seen: list[int] = []
    for m in memberships:
        if m.role in wanted and m.unit_id is not None and m.unit_id not in seen:
            seen.append(m.unit_id)
    return seen


def is_leader_of(memberships: Iterable[MembershipLike], unit_id: int) -> bool:
    return unit_id in units_with_role(memberships, [Role.LEADER])


def rep_role_at(memberships: Iterable[MembershipLike], unit_id: int) -> str | None:
    """The person's rep role at this unit (safety rep first), or None."""
    for role in (Role.SAFETY_REP, Role.UNION_REP):
        if unit_id in units_with_role(memberships, [role]):
            return role.value
    return None


def is_admin_over(memberships: Iterable[MembershipLike], trust_id: int, region_id: int) -> bool:
    return any(
        m.role == Role.ADMIN and (
            m.scope == Scope.NATIONAL
            or (m.scope == Scope.TRUST and m.trust_id == trust_id)
            or (m.scope == Scope.REGION and m.region_id == region_id)
        )
        for m in memberships
    )


def is_national_admin(memberships: Iterable[MembershipLike]) -> bool:
    return any(m.role == Role.ADMIN and m.scope == Scope.NATIONAL for m in memberships)


def is_leader_above(memberships: Iterable[MembershipLike], trust_id: int, region_id: int) -> bool:
    """A leader of the trust or region the unit belongs to (the leader group above it)."""
    return any(m.role == Role.LEADER and ((m.scope == Scope.TRUST and m.trust_id == trust_id)
                                           or (m.scope == Scope.REGION and m.region_id == region_id))
               for m in memberships)


def may_view_unit(memberships, unit_id: int, trust_id: int, region_id: int) -> bool:
    """The plan and the follow-up: the unit's leader and reps, admins over it, and the
    leader group above it (who see progress and open plans from it)."""
    memberships = list(memberships)
    return (unit_id in units_with_role(memberships, UNIT_PARTIES)
            or is_admin_over(memberships, trust_id, region_id)
            or is_leader_above(memberships, trust_id, region_id))
