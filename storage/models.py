"""The tables. Timestamps are timezone-aware UTC; the screen shows Europe/Oslo."""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import BigInteger, Column, DateTime, Index, UniqueConstraint, text
from sqlalchemy import false as sa_false
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from bot.rules.vocabulary import BroadcastState, MeasureStatus, OutboxState, ReminderState


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in and out. SQLite keeps no offset, so without this
    a value would come back naive and could not be compared with `now`."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use an aware UTC datetime")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def _utc_column(nullable: bool = False) -> Column:
    return Column(UTCDateTime(), nullable=nullable)


# --- the organisation: region -> health trust -> (clinic, department) -> unit ---

class Region(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=80, unique=True)
    name: str = Field(max_length=200)


class HealthTrust(SQLModel, table=True):
    __tablename__ = "health_trust"

    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="region.id", index=True)
    code: str = Field(max_length=40, unique=True)
    name: str = Field(max_length=200)


class Unit(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("trust_id", "code", name="uq_unit_trust_code"),)

    id: int | None = Field(default=None, primary_key=True)
    trust_id: int = Field(foreign_key="health_trust.id", index=True)
    code: str = Field(max_length=40)
    name: str = Field(max_length=200)
    # The optional levels between trust and unit, by name, as the import file gives them.
    clinic: str | None = Field(default=None, max_length=200)
    department: str | None = Field(default=None, max_length=200)
    # Set for a leader-group unit (a LeaderGroupLevel: department, clinic or trust): the leaders of
    # that level, who run their own follow-up and are "the level above" the units below them.
    leader_group: str | None = Field(default=None, max_length=10)


# --- people and what they may do ---

class Person(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    telegram_user_id: int = Field(sa_column=Column(BigInteger, unique=True, nullable=False))
    name: str = Field(max_length=200)
    language: str = Field(default="nb", max_length=5)
    # False until the person has picked a language themselves; until then it is a guess.
    language_chosen: bool = Field(default=False)
    active: bool = Field(default=True)
    # Reminders: optional ones are held until this day; groups turned off (comma-separated).
    snoozed_until: date | None = Field(default=None)
    muted_reminders: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_utc_column())
    # Privacy (storage/privacy.py). Erased: the row stays as an anonymous tombstone (no name, a
    # negative telegram_user_id no Telegram user can have) so that the unit's history keeps its
    # keys; `former_role` is what history shows instead of the name ("former leader").
    erased_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    former_role: str | None = Field(default=None, max_length=20)  # a Role value
    # Set by the daily retention job when it first finds the person without any membership
    # (cleared when they have one again); erased RETENTION_MEMBERLESS_DAYS after.
    memberless_since: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))


class Membership(SQLModel, table=True):
    """A person's role at one place in the organisation. Exactly one of the
    scope columns is set, or none for a national membership."""

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    role: str = Field(max_length=20)  # a Role value (bot/rules/vocabulary.py)
    scope: str = Field(max_length=10)  # a Scope value
    unit_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    trust_id: int | None = Field(default=None, foreign_key="health_trust.id", index=True)
    region_id: int | None = Field(default=None, foreign_key="region.id", index=True)
    invite_id: int | None = Field(default=None, foreign_key="invite.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=_utc_column())


class Invite(SQLModel, table=True):
    """An invite code. Only the SHA-256 of the code is stored."""

    id: int | None = Field(default=None, primary_key=True)
    code_hash: str = Field(max_length=64, unique=True)
    role: str = Field(max_length=20)  # a Role value
    scope: str = Field(max_length=10)  # a Scope value
    unit_id: int | None = Field(default=None, foreign_key="unit.id")
    trust_id: int | None = Field(default=None, foreign_key="health_trust.id")
    region_id: int | None = Field(default=None, foreign_key="region.id")
    expires_at: datetime = Field(sa_column=_utc_column())
    uses_allowed: int = Field(default=1)
    uses_count: int = Field(default=0)
    revoked_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    created_by: str = Field(max_length=80)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_utc_column())
    # A leader invite made for a handover: when it is used, this person's leader membership
    # at the unit ends (bot/services/members.py).
    replaces_person_id: int | None = Field(default=None, foreign_key="person.id")


class JoinAttempt(SQLModel, table=True):
    """Failed invite redemptions, so that guessing codes is slowed down across restarts."""

    __tablename__ = "join_attempt"

    id: int | None = Field(default=None, primary_key=True)
    telegram_user_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    at: datetime = Field(default_factory=utcnow, sa_column=_utc_column())


class AuditEntry(SQLModel, table=True):
    """Who changed what. `actor` is 'person:<id>' or 'cli'."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_column=_utc_column())
    actor: str = Field(max_length=80)
    action: str = Field(max_length=80)
    subject: str = Field(max_length=120)
    detail: str = Field(default="", max_length=2000)


# --- the survey year ---

class SurveyCycle(SQLModel, table=True):
    """The dates of one survey year for one health trust. A trust without a row
    uses the defaults in bot/rules/cycle.py."""

    __tablename__ = "survey_cycle"
    __table_args__ = (UniqueConstraint("trust_id", "year", name="uq_cycle_trust_year"),)

    id: int | None = Field(default=None, primary_key=True)
    trust_id: int = Field(foreign_key="health_trust.id", index=True)
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
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_utc_column())


class UnitFollowup(SQLModel, table=True):
    """One unit's follow-up of one survey year."""

    __tablename__ = "unit_followup"
    __table_args__ = (UniqueConstraint("unit_id", "year", name="uq_followup_unit_year"),)

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    year: int
    method: str = Field(default="forbedring", max_length=40)
    plan_submitted_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    plan_submitted_by: int | None = Field(default=None, foreign_key="person.id")
    # The leader marked that the unit had fewer than 5 answers and got no report of its own: the
    # follow-up goes on with the results of the level above (issue 14).
    no_own_report: bool = Field(default=False, sa_column_kwargs={"server_default": sa_false()})


class StepRecord(SQLModel, table=True):
    """A step the leader marked done: when it happened and which parties took part."""

    __tablename__ = "step_record"
    __table_args__ = (UniqueConstraint("followup_id", "step", name="uq_step_followup_step"),)

    id: int | None = Field(default=None, primary_key=True)
    followup_id: int = Field(foreign_key="unit_followup.id", index=True)
    step: str = Field(max_length=40)
    done_on: date
    parties: str = Field(default="", max_length=200)  # comma-separated roles that took part
    marked_by: int = Field(foreign_key="person.id")
    marked_at: datetime = Field(default_factory=utcnow, sa_column=_utc_column())


class Confirmation(SQLModel, table=True):
    """A rep's answer about a step ("step:<key>") or the plan ("plan")."""

    __table_args__ = (UniqueConstraint("followup_id", "subject", "person_id", name="uq_confirmation"),)

    id: int | None = Field(default=None, primary_key=True)
    followup_id: int = Field(foreign_key="unit_followup.id", index=True)
    subject: str = Field(max_length=60)
    person_id: int = Field(foreign_key="person.id", index=True)
    role: str = Field(max_length=20)  # a Role value
    requested_at: datetime = Field(default_factory=utcnow, sa_column=_utc_column())
    answer: str | None = Field(default=None, max_length=20)  # an Answer
    comment: str | None = Field(default=None, max_length=1000)
    answered_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    # An objection to an earlier round (before the leader changed the step or resubmitted the
    # plan) stays on show until this rep answers the new round.
    earlier_answer: str | None = Field(default=None, max_length=20)
    earlier_comment: str | None = Field(default=None, max_length=1000)
    earlier_answered_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    # The leader's answer to an objection; the rep is told, and it is shown with the objection.
    leader_reply: str | None = Field(default=None, max_length=1000)
    leader_reply_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    leader_reply_by: int | None = Field(default=None, foreign_key="person.id")  # whose words (erasure, /mydata)


class FocusArea(SQLModel, table=True):
    """An area to preserve or improve, tied to a ForBedring theme."""

    __tablename__ = "focus_area"

    id: int | None = Field(default=None, primary_key=True)
    followup_id: int = Field(foreign_key="unit_followup.id", index=True)
    kind: str = Field(max_length=10)  # a MeasureKind
    theme: str = Field(max_length=40)
    why: str = Field(max_length=1000)
    created_by: int = Field(foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=_utc_column())


class ThemeScore(SQLModel, table=True):
    __tablename__ = "theme_score"
    __table_args__ = (UniqueConstraint("followup_id", "theme", name="uq_score_theme"),)

    id: int | None = Field(default=None, primary_key=True)
    followup_id: int = Field(foreign_key="unit_followup.id", index=True)
    theme: str = Field(max_length=40)
    score: int


class Measure(SQLModel, table=True):
    """A measure (tiltak) in a unit's action plan. A rep's proposal is a measure
    with proposal='pending' until the leader accepts or declines it."""

    id: int | None = Field(default=None, primary_key=True)
    followup_id: int = Field(foreign_key="unit_followup.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    year: int
    theme: str = Field(max_length=40)
    kind: str = Field(max_length=10)  # a MeasureKind
    title: str = Field(max_length=120)
    description: str = Field(max_length=1000)
    responsible: str = Field(max_length=200)
    deadline: date
    status: str = Field(default=MeasureStatus.PLANNED, max_length=20)  # a MeasureStatus
    evaluation: str | None = Field(default=None, max_length=10)  # an Evaluation
    evaluation_why: str | None = Field(default=None, max_length=1000)
    # When the measure last became stuck (null unless its status is stuck).
    stuck_since: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    # A member of the unit named responsible: gets the measure's reminders (null: free text only).
    responsible_person_id: int | None = Field(default=None, foreign_key="person.id")
    # The survey year a measure carried on into later years began in (null: it began in `year`).
    first_year: int | None = Field(default=None)
    proposal: str | None = Field(default=None, max_length=10)  # a ProposalState
    proposed_by: int | None = Field(default=None, foreign_key="person.id")
    decline_reason: str | None = Field(default=None, max_length=1000)
    # "dst": made in phase 4 of Der skoen trykker (the unit's measure all the same); null: ForBedring.
    method: str | None = Field(default=None, max_length=20)
    created_by: int = Field(foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=_utc_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_utc_column())


class MeasureCarried(SQLModel, table=True):
    """A measure as it stood when it was carried on out of survey year `year` into the next: that
    year's plan, its figures and its export keep showing it so (issue 13)."""

    __tablename__ = "measure_carried"
    __table_args__ = (UniqueConstraint("measure_id", "year", name="uq_measure_carried_year"),)

    id: int | None = Field(default=None, primary_key=True)
    measure_id: int = Field(foreign_key="measure.id", index=True)
    year: int
    status: str = Field(max_length=20)  # a MeasureStatus (open: only open measures are carried on)
    deadline: date
    at: datetime = Field(default_factory=utcnow, sa_column=_utc_column())


RAISED_OPEN = "answer IS NULL AND taken_measure_id IS NULL"


class RaisedProblem(SQLModel, table=True):
    """What is stuck in a unit's measure, raised to the leaders at the level above: the
    leader-group unit above it (`group_unit_id`), or the trust's leaders when there is none.
    They answer it (the unit's leader and reps see the answer) or take it on as a measure of
    their own (`taken_measure_id`)."""

    __tablename__ = "raised_problem"
    # At most one open (unanswered, not taken on) problem per measure: two presses of Raise at
    # once raise it once (storage/raised.py add_open).
    __table_args__ = (Index("uq_raised_problem_open", "measure_id", unique=True,
                            sqlite_where=text(RAISED_OPEN), postgresql_where=text(RAISED_OPEN)),)

    id: int | None = Field(default=None, primary_key=True)
    measure_id: int = Field(foreign_key="measure.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    trust_id: int = Field(foreign_key="health_trust.id", index=True)
    group_unit_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    what: str = Field(default="", max_length=1000)
    raised_by: int = Field(foreign_key="person.id")
    raised_at: datetime = Field(default_factory=utcnow, sa_column=_utc_column())
    answer: str | None = Field(default=None, max_length=1000)
    answered_by: int | None = Field(default=None, foreign_key="person.id")
    answered_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    taken_measure_id: int | None = Field(default=None, foreign_key="measure.id")


class MeasureEvent(SQLModel, table=True):
    """Every change to a measure: who, when, what, from what to what."""

    __tablename__ = "measure_event"

    id: int | None = Field(default=None, primary_key=True)
    measure_id: int = Field(foreign_key="measure.id", index=True)
    # Indexed: progress counts the updates since the last quarterly date.
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=True))
    person_id: int = Field(foreign_key="person.id")
    field: str = Field(max_length=30)
    old: str | None = Field(default=None, max_length=1000)
    new: str | None = Field(default=None, max_length=1000)
    comment: str | None = Field(default=None, max_length=1000)


class DialogState(SQLModel, table=True):
    """Where a person is in a multi-step dialog, with what they entered so far.

    Written at every step, in the same transaction as the step's data, so a
    restart resumes exactly where the person was told their input was saved.
    """

    __tablename__ = "dialog_state"

    person_id: int = Field(foreign_key="person.id", primary_key=True)
    dialog: str = Field(max_length=30)
    step: str = Field(max_length=30)
    token: str = Field(max_length=12)  # in every button of this dialog: old buttons are recognised
    data: str = Field(default="{}")  # JSON
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_utc_column())


# --- Der skoen trykker and Tidlig og tett på (bot/rules/dst.py) ---

class DstEnrolment(SQLModel, table=True):
    """A unit enrolled in Der skoen trykker: its start, the three entry criteria (yes/no and a
    short note each, about the unit, never about a person), and its follow-up record: a
    unit_followup row with method 'dst' and year 0 (DST runs from its own start, not by survey
    year), which holds the marked phases (step_record) and the reps' answers (confirmation)."""

    __tablename__ = "dst_enrolment"

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", unique=True)
    followup_id: int = Field(foreign_key="unit_followup.id", unique=True)
    started_on: date
    potential: bool
    potential_note: str = Field(default="", max_length=200)
    challenges: bool
    challenges_note: str = Field(default="", max_length=200)
    motivation: bool
    motivation_note: str = Field(default="", max_length=200)
    enrolled_by: str = Field(max_length=80)  # 'person:<id>' or 'cli'
    enrolled_at: datetime = Field(default_factory=utcnow, sa_column=_utc_column())


class DstGathering(SQLModel, table=True):
    """A training gathering of a region: a workshop, a digital gathering or a follow-up day."""

    __tablename__ = "dst_gathering"

    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="region.id", index=True)
    kind: str = Field(max_length=20)  # bot/rules/dst.py GATHERING_KINDS
    held_on: date
    place: str = Field(max_length=200)
    created_by: str = Field(max_length=80)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_utc_column())


class TtpSchedule(SQLModel, table=True):
    """A trust's own days for the Tidlig og tett på reminder, or the reminder turned off. A trust
    without a row uses TTP_DATES. Only days: nothing about any person's health or absence."""

    __tablename__ = "ttp_schedule"

    trust_id: int = Field(foreign_key="health_trust.id", primary_key=True)
    enabled: bool = Field(default=True)
    dates: str = Field(default="", max_length=100)  # "MM-DD,MM-DD,…"; "" = the setting's days
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_utc_column())


# --- reminders and the outbox ---

class Reminder(SQLModel, table=True):
    """One reminder due to one person. The key (person, reason, subject, period)
    is unique: a reminder is recorded once and so delivered at most once."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    reason: str = Field(max_length=40)
    subject: str = Field(max_length=60)  # unit:<id>, measure:<id>, confirmation:<id>
    period: str = Field(max_length=40)
    due_on: date
    state: str = Field(default=ReminderState.PENDING, max_length=10)  # a ReminderState
    outbox_id: int | None = Field(default=None, foreign_key="outbox.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=_utc_column())


class OutboxMessage(SQLModel, table=True):
    """Every message the bot sends on its own: reminders, notices, announcements.

    state: pending -> sending -> sent | failed | blocked. A row left in 'sending'
    by a killed process is sent again once its lease runs out (at-least-once)."""

    __tablename__ = "outbox"

    id: int | None = Field(default=None, primary_key=True)
    key: str | None = Field(default=None, max_length=200, unique=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    kind: str = Field(max_length=20)  # an OutboxKind
    text: str
    reply_markup: str | None = Field(default=None)  # JSON
    broadcast_id: int | None = Field(default=None, foreign_key="broadcast.id", index=True)
    attachment_kind: str | None = Field(default=None, max_length=10)  # an AttachmentKind
    attachment_file_id: str | None = Field(default=None, max_length=200)
    state: str = Field(default=OutboxState.PENDING, max_length=10, index=True)  # an OutboxState
    attempts: int = Field(default=0)
    not_before: datetime = Field(default_factory=utcnow, sa_column=_utc_column())
    error: str | None = Field(default=None, max_length=500)
    telegram_message_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_utc_column())
    sent_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    # While 'sending': which worker has it, and until when; only an expired lease is taken back.
    lease_owner: str | None = Field(default=None, max_length=120)
    lease_until: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    # The first network failure of a row still being retried: it gives up by age, not by count.
    failing_since: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))


class StaffSummary(SQLModel, table=True):
    """A "you said, we did" summary for a unit's staff, as it was when the leader asked for it:
    the chosen areas and the measures with their status (JSON), so that the next one can say what
    has changed since, and the same summary can be given again in another language. Nothing about
    any person."""

    __tablename__ = "staff_summary"

    id: int | None = Field(default=None, primary_key=True)
    followup_id: int = Field(foreign_key="unit_followup.id", index=True)
    made_at: datetime = Field(default_factory=utcnow, sa_column=_utc_column())
    snapshot: str  # JSON, see bot/rules/staff_summary.py


class JobRun(SQLModel, table=True):
    """When a scheduled job last ran, so a bot that was down catches up at start."""

    __tablename__ = "job_run"

    name: str = Field(primary_key=True, max_length=40)
    last_day: date
    ran_at: datetime = Field(default_factory=utcnow, sa_column=_utc_column())
    figures: str = Field(default="")  # what the last run did, for `forbedring-bot status`


class Broadcast(SQLModel, table=True):
    """An announcement from programme staff or an admin.

    state: scheduled -> fanout (one outbox row per recipient being written) ->
    queued (the outbox delivers) -> done; or cancelled before fan-out."""

    id: int | None = Field(default=None, primary_key=True)
    author_id: int = Field(foreign_key="person.id")
    texts: str  # JSON {"nb": html, "nn": html, "en": html}; nb is always there
    attachment_kind: str | None = Field(default=None, max_length=10)
    attachment_file_id: str | None = Field(default=None, max_length=200)
    audience: str  # JSON, see bot/rules/audience.py
    recipients: int = Field(default=0)
    state: str = Field(default=BroadcastState.SCHEDULED, max_length=12, index=True)  # a BroadcastState
    send_at: datetime = Field(sa_column=_utc_column())
    created_at: datetime = Field(default_factory=utcnow, sa_column=_utc_column())
    finished_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
