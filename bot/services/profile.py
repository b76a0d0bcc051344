"""A person's own settings."""

from storage import audit, people
from storage.database import Database


async def choose_language(db: Database, person_id: int, language: str) -> None:
    async with db.session() as session:
        await people.set_language(session, person_id, language)
        audit.record(session, f"person:{person_id}", "language", f"person:{person_id}", language)


async def set_reminders(db: Database, person_id: int, **changes) -> None:
    """snoozed_until=<date|None> and/or muted=<comma-separated groups>."""
    async with db.session() as session:
        person = await people.get_person(session, person_id)
        if "snoozed_until" in changes:
            person.snoozed_until = changes["snoozed_until"]
        if "muted" in changes:
            person.muted_reminders = changes["muted"]
        audit.record(session, f"person:{person_id}", "reminders", f"person:{person_id}",
                     ", ".join(f"{k}={v}" for k, v in changes.items()))
