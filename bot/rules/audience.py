"""Who may send announcements, to whom, and how an audience is described."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from bot.i18n import N_
from bot.rules.vocabulary import AudienceScope, ProgressFilter, Role, Scope

BROADCASTERS = {Role.PROGRAMME_STAFF, Role.ADMIN}
SCOPES = {
    AudienceScope.ALL: N_("everyone"),
    AudienceScope.REGION: N_("a region"),
    AudienceScope.TRUST: N_("a health trust"),
    AudienceScope.UNIT: N_("a unit"),
}
PROGRESS = {
    ProgressFilter.ALL: N_("all units"),
    ProgressFilter.PLAN_NOT_SUBMITTED: N_("units whose plan is not submitted"),
    ProgressFilter.FEEDBACK_NOT_HELD: N_("units whose feedback meeting is not held"),
}
# With an attachment the text is its caption, which Telegram limits to 1024 characters.
TEXT_LIMIT, CAPTION_LIMIT = 4096, 1024


@dataclass
class Audience:
    roles: list[str] = field(default_factory=list)
    scope: str = AudienceScope.ALL
    place_id: int | None = None
    progress: str = ProgressFilter.ALL
    year: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def may_broadcast(memberships) -> bool:
    return any(m.role in BROADCASTERS for m in memberships)


def covers(memberships, region_id: int | None, trust_id: int | None) -> bool:
    """May this person reach this place? National staff and admins anywhere;
    a regional or trust membership only inside its own region or trust.
    (region_id, trust_id) = (None, None) means everyone."""
    for m in memberships:
        if m.role not in BROADCASTERS:
            continue
        if m.scope == Scope.NATIONAL:
            return True
        if region_id is not None and m.scope == Scope.REGION and m.region_id == region_id:
            return True
        if trust_id is not None and m.scope == Scope.TRUST and m.trust_id == trust_id:
            return True
    return False
