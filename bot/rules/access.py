"""Who may do what. The one place where roles are turned into rights.

Every handler asks these functions with the memberships loaded from the
database for the current update (see bot/identity.py); nothing here trusts
what a button or a command says about who the person is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Protocol

from bot.i18n import N_
from storage.models import Role, Scope


class MembershipLike(Protocol):
    role: str
    scope: str


ROLE_NAMES = {
    Role.LEADER: N_("leader"),
    Role.SAFETY_REP: N_("safety representative"),
    Role.UNION_REP: N_("union representative"),
    Role.PROGRAMME_STAFF: N_("programme staff"),
    Role.ADMIN: N_("administrator"),
}

# Which role may hold an invite at which scope. Leaders and reps may also sit
# above units (a clinic leader, a chief safety rep for a trust).
ALLOWED_SCOPES = {
    Role.LEADER: {Scope.UNIT, Scope.TRUST, Scope.REGION},
    Role.SAFETY_REP: {Scope.UNIT, Scope.TRUST},
    Role.UNION_REP: {Scope.UNIT, Scope.TRUST},
    Role.PROGRAMME_STAFF: {Scope.NATIONAL, Scope.REGION, Scope.TRUST},
    Role.ADMIN: {Scope.NATIONAL, Scope.REGION, Scope.TRUST},
}


@dataclass(frozen=True)
class CommandSpec:
    name: str
    description: str  # lazily translated
    roles: frozenset[Role] | None  # None: every member


# The bot's commands, in menu order. Later features add their commands here.
COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec("start", N_("Your menu"), None),
    CommandSpec("help", N_("What you can do"), None),
    CommandSpec("language", N_("Change language"), None),
)


def roles_of(memberships: Iterable[MembershipLike]) -> set[Role]:
    return {Role(m.role) for m in memberships}


def commands_for(memberships: Iterable[MembershipLike]) -> list[CommandSpec]:
    roles = roles_of(memberships)
    return [c for c in COMMANDS if c.roles is None or c.roles & roles]


PUBLIC_COMMANDS = ("start", "help")


def default_commands() -> list[CommandSpec]:
    """The menu for people the bot does not know yet."""
    return [c for c in COMMANDS if c.name in PUBLIC_COMMANDS]


def may_use(command: str, memberships: Iterable[MembershipLike]) -> bool:
    return any(c.name == command for c in commands_for(memberships))
