"""The audit log: who changed what."""

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import AuditEntry


def record(session: AsyncSession, actor: str, action: str, subject: str, detail: str = "") -> None:
    session.add(AuditEntry(actor=actor, action=action, subject=subject, detail=detail[:2000]))
