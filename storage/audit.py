"""The audit log: who changed what."""

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import AuditEntry


def record(session: AsyncSession, actor: str, action: str, subject: str, detail: str = "") -> None:
    session.add(AuditEntry(actor=actor, action=action, subject=subject, detail=detail[:2000]))


_INSERT = AuditEntry.__table__.insert()


async def insert(session: AsyncSession, actor: str, action: str, subject: str, detail: str = "") -> None:
    """`record` as a plain INSERT at once (no flush of the session's unit of work at the commit)."""
    from storage.models import utcnow

    await (await session.connection()).execute(_INSERT, {"at": utcnow(), "actor": actor, "action": action,
                                                         "subject": subject, "detail": detail[:2000]})


async def record_many(session: AsyncSession, entries: list[tuple[str, str, str, str]]) -> None:
    """Several entries (actor, action, subject, detail) in one statement, whatever their number."""
    if not entries:
        return
    from sqlalchemy import insert

    from storage.models import utcnow

    now = utcnow()
    await (await session.connection()).execute(insert(AuditEntry), [
        {"at": now, "actor": actor, "action": action, "subject": subject, "detail": detail[:2000]}
        for actor, action, subject, detail in entries])
