"""The domain's words: who someone is, where, and the states things are in.

StrEnum members equal their strings, so they are stored, compared, logged and put
in callback data as those strings; the database keeps the same values. Translated
labels for them live with the rules that show them (access.py, measures.py, ...),
keyed by these members.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    LEADER = "leader"
    SAFETY_REP = "safety_rep"
    UNION_REP = "union_rep"
    PROGRAMME_STAFF = "programme_staff"
    ADMIN = "admin"


class Scope(StrEnum):
    """The place a membership or an invite covers."""

    UNIT = "unit"
    TRUST = "trust"
    REGION = "region"
    NATIONAL = "national"
