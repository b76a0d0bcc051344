"""A person's own settings."""

from storage import audit, people
from storage.database import Database


async def choose_language(db: Database, person_id: int, language: str) -> None:
    async with db.session() as session:
        await people.set_language(session, person_id, language)
        audit.record(session, f"person:{person_id}", "language", f"person:{person_id}", language)
