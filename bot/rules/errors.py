"""The domain's errors, in one place: what a rule or a use case refuses, and why.

Plain exceptions with no Telegram and no storage, so rules, services, conversations
and the command line can all raise and catch them. Each is a business case the
caller answers in its own words; none is used for a programming error.
"""

from __future__ import annotations

from dataclasses import dataclass


class NotAllowed(Exception):
    """The person may not do this to this unit or object; logged by the caller."""


class YearChanged(NotAllowed):
    """A dialog begun in one survey year was finished after the next one began."""


class InvalidMeasure(Exception):
    """A measure's draft or change is not complete or not valid any more (e.g. its deadline
    passed); `problems` names the fields (see bot/rules/measures.py draft_problems)."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(", ".join(problems))


class AlreadySettled(Exception):
    """A raised problem was taken on (or answered) by someone else first."""


class DraftGone(Exception):
    """The draft was saved or cancelled already."""


class PlanIncomplete(Exception):
    """The action plan cannot be submitted yet: `missing` names the kinds of measure it
    still needs ("preserve", "improve")."""

    def __init__(self, missing: list[str]):
        self.missing = missing
        super().__init__(f"the plan needs a measure to {' and to '.join(missing)}")


class DateParseError(ValueError):
    """reason is "format" (not a date at all) or "no_such_day" (e.g. 31.02)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class InviteError(Exception):
    """A clear reason why the invite cannot be made (also a malformed --expires)."""


class CycleFileError(Exception):
    """A cycle file (the survey year's dates per trust) that cannot be used; `errors` lists why."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("\n".join(errors))


@dataclass(frozen=True)
class RowError:
    """One problem in an organisation file, at a line."""

    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


class OrgFileError(Exception):
    """An organisation file that cannot be imported; nothing was written."""

    def __init__(self, errors: list[RowError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


class MemberError(Exception):
    """A clear reason why memberships cannot be listed or ended (an unknown place or id)."""


class PlanWarnings(Exception):
    """The plan can be submitted, but the leader should know first (one tap to go on): `warnings`
    names what is missing ("review", "feedback": the step is not marked done; "objection": a rep
    has an objection the leader has not answered)."""

    def __init__(self, warnings: list[str]):
        self.warnings = warnings
        super().__init__(f"before submitting: {', '.join(warnings)}")
