"""The domain's words: who someone is, where, and the kinds and states things are in.

StrEnum members equal their strings, so they are stored, compared, logged and put
in callback data as those strings; the database keeps the same values. Translated
labels for them live with the rules that show them (access.py, measures.py,
themes.py, audience.py), keyed by these members.
"""

from __future__ import annotations

from enum import StrEnum


# --- people and places ---

class Role(StrEnum):
    LEADER = "leader"
    SAFETY_REP = "safety_rep"
    UNION_REP = "union_rep"
    PROGRAMME_STAFF = "programme_staff"
    ADMIN = "admin"
    # Der skoen trykker (bot/rules/dst.py): HR, the occupational health service or NAV's IA adviser in a
    # unit's working group; the region's intervention team (innsatsteam) that follows its DST units.
    LOCAL_RESOURCE = "local_resource"
    INTERVENTION_TEAM = "intervention_team"


class Scope(StrEnum):
    """The place a membership or an invite covers."""

    UNIT = "unit"
    TRUST = "trust"
    REGION = "region"
    NATIONAL = "national"


class InviteState(StrEnum):
    VALID = "valid"
    EXPIRED = "expired"
    REVOKED = "revoked"
    USED_UP = "used_up"


# --- the year's steps, areas and measures ---

class Completion(StrEnum):
    """How a step of a method gets done: marked by the leader, or derived from the data."""

    MARKED = "marked"
    AREAS = "areas"
    MEASURES = "measures"
    PLAN = "plan"
    STATUS = "status"
    EVALUATION = "evaluation"


class Answer(StrEnum):
    """A rep's answer: about a step, whether they took part; about the plan, whether they stand behind it."""

    TOOK_PART = "took_part"
    NOT_INVOLVED = "not_involved"
    ACKNOWLEDGED = "acknowledged"
    OBJECTED = "objected"


class MeasureKind(StrEnum):
    """What a focus area or a measure is for."""

    PRESERVE = "preserve"
    IMPROVE = "improve"


class MeasureStatus(StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    STUCK = "stuck"  # open, but held up: what is stuck may be raised to the leader group above
    DONE = "done"
    DROPPED = "dropped"


class LeaderGroupLevel(StrEnum):
    """The level a leader-group unit sits at (the organisation file's leader_group column)."""

    DEPARTMENT = "department"
    CLINIC = "clinic"
    TRUST = "trust"


class QuarterlyStatus(StrEnum):
    """The one-tap answers of the quarterly status reminder."""

    DONE = "done"
    ON_TRACK = "on_track"
    STUCK = "stuck"
    DROPPED = "dropped"


class Evaluation(StrEnum):
    """Did the measure work?"""

    YES = "yes"
    PARTLY = "partly"
    NO = "no"


class ProposalState(StrEnum):
    """A rep's proposed measure; a measure the leader made has none."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"


# --- reminders, the outbox and announcements ---

class ReminderState(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    DROPPED = "dropped"


class OutboxKind(StrEnum):
    REMINDER = "reminder"
    NOTICE = "notice"
    BROADCAST = "broadcast"


class OutboxState(StrEnum):
    """pending -> sending -> sent | failed | blocked."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    BLOCKED = "blocked"


class AttachmentKind(StrEnum):
    PHOTO = "photo"
    DOCUMENT = "document"


class BroadcastState(StrEnum):
    """scheduled -> fanout -> queued -> done; or cancelled before fan-out."""

    SCHEDULED = "scheduled"
    FANOUT = "fanout"
    QUEUED = "queued"
    DONE = "done"
    CANCELLED = "cancelled"


class AudienceScope(StrEnum):
    """Where an announcement goes."""

    ALL = "all"
    REGION = "region"
    TRUST = "trust"
    UNIT = "unit"


class ProgressFilter(StrEnum):
    """Which units of the audience an announcement goes to, by how far they have come."""

    ALL = ""
    PLAN_NOT_SUBMITTED = "plan_not_submitted"
    FEEDBACK_NOT_HELD = "feedback_not_held"
