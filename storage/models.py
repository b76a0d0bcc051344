"""The tables. Timestamps are timezone-aware UTC; the screen shows Europe/Oslo."""

from __future__ import annotations

from datetime import datetime, timezone
from enum import StrEnum

from sqlalchemy import BigInteger, Column, DateTime, UniqueConstraint
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


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


class Role(StrEnum):
    LEADER = "leader"
    SAFETY_REP = "safety_rep"
    UNION_REP = "union_rep"
    PROGRAMME_STAFF = "programme_staff"
    ADMIN = "admin"


class Scope(StrEnum):
    UNIT = "unit"
    TRUST = "trust"
    REGION = "region"
    NATIONAL = "national"


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


# --- people and what they may do ---

class Person(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    telegram_user_id: int = Field(sa_column=Column(BigInteger, unique=True, nullable=False))
    name: str = Field(max_length=200)
    language: str = Field(default="nb", max_length=5)
    # False until the person has picked a language themselves; until then it is a guess.
    language_chosen: bool = Field(default=False)
    active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_utc_column())


class Membership(SQLModel, table=True):
    """A person's role at one place in the organisation. Exactly one of the
    scope columns is set, or none for a national membership."""

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    role: str = Field(max_length=20)  # a Role value
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
