"""Privacy rules: what an erased person is called, how long things are kept, whose
opening of a plan or a DST overview is audited. Plain functions; storage/privacy.py does the work."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable

from bot.i18n import N_
from bot.rules.access import UNIT_PARTIES, MembershipLike, units_with_role
from bot.rules.dst import WORKING_GROUP
from bot.rules.vocabulary import Role

# What replaces the words an erased person wrote (comments, reasons): the same in every
# language, as it stands in the unit's history where anyone may read it.
REMOVED = "(removed)"

# The role an erased person is remembered by, when they held several: the one history most
# likely shows them in (a leader marks steps and changes measures; reps answer).
FORMER_ROLE_ORDER = (Role.LEADER, Role.SAFETY_REP, Role.UNION_REP, Role.ADMIN, Role.PROGRAMME_STAFF)

FORMER_NAMES = {
    Role.LEADER: N_("former leader"),
    Role.SAFETY_REP: N_("former safety representative"),
    Role.UNION_REP: N_("former union representative"),
    Role.PROGRAMME_STAFF: N_("former programme staff member"),
    Role.ADMIN: N_("former administrator"),
    Role.LOCAL_RESOURCE: N_("former local resource"),
    Role.INTERVENTION_TEAM: N_("former intervention team member"),
    None: N_("former member"),
}
# What `measure.responsible` holds once the member named there is erased: one of the msgids above,
# translated where the card shows it (conversations/privacy.py shown_responsible).
FORMER_NAME_MSGIDS = frozenset(FORMER_NAMES.values())

# The settings' defaults, in days (README "Privacy and data").
DEFAULT_RETENTION_DAYS = {
    "join_attempts": 30,  # failed invite codes (the guessing throttle needs 15 minutes)
    "outbox_text": 90,  # the text of a message the bot sent; the row (and the counts) stay
    "drafts": 60,  # a dialog left open: a measure draft, a half-marked step
    "memberless": 365,  # a person with no membership left
}


@dataclass(frozen=True)
class Retention:
    join_attempts: int = DEFAULT_RETENTION_DAYS["join_attempts"]
    outbox_text: int = DEFAULT_RETENTION_DAYS["outbox_text"]
    drafts: int = DEFAULT_RETENTION_DAYS["drafts"]
    memberless: int = DEFAULT_RETENTION_DAYS["memberless"]


@dataclass(frozen=True)
class Cutoffs:
    """Everything older than these instants goes."""
    join_attempts: datetime
    outbox_text: datetime
    drafts: datetime
    memberless: datetime


def cutoffs(retention: Retention, now: datetime) -> Cutoffs:
    return Cutoffs(
        join_attempts=now - timedelta(days=retention.join_attempts),
        outbox_text=now - timedelta(days=retention.outbox_text),
        drafts=now - timedelta(days=retention.drafts),
        memberless=now - timedelta(days=retention.memberless),
    )


def former_name(role: str | None) -> str:
    """The msgid history shows for an erased person who held `role`."""
    return FORMER_NAMES.get(Role(role) if role in Role.__members__.values() else None, FORMER_NAMES[None])


def former_role_of(roles: Iterable[str]) -> str | None:
    held = set(roles)
    return next((role.value for role in FORMER_ROLE_ORDER if role in held), None)


def is_plan_view_audited(memberships: Iterable[MembershipLike], unit_id: int) -> bool:
    """Someone outside the unit (a leader above it, an admin) opening its plan is written in the
    audit log; the unit's own leader and reps are not."""
    return unit_id not in units_with_role(memberships, UNIT_PARTIES)


def is_dst_view_audited(memberships: Iterable[MembershipLike], unit_id: int, names: bool) -> bool:
    """Someone outside a unit's DST working group at the unit (a leader of the trust or region, a local
    resource of the trust, the intervention team, an admin) opening its DST overview with names in it
    is written in the audit log; the unit's own group is not, nor programme staff, who see figures."""
    return names and unit_id not in units_with_role(memberships, WORKING_GROUP)


def actor_person_id(actor: str) -> int | None:
    """The person id in an audit actor or subject 'person:<id>'."""
    kind, _, rest = actor.partition(":")
    return int(rest) if kind == "person" and rest.isdigit() else None
