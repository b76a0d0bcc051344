"""Where each person is in a multi-step dialog (see models.DialogState)."""

from __future__ import annotations

import json
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import DialogState


async def get(session: AsyncSession, person_id: int) -> DialogState | None:
    return await session.get(DialogState, person_id)


async def put(session: AsyncSession, person_id: int, dialog: str, step: str, token: str, data: dict,
              now: datetime) -> None:
    state = await session.get(DialogState, person_id)
    if state is None:
        session.add(DialogState(person_id=person_id, dialog=dialog, step=step, token=token,
                                data=json.dumps(data), updated_at=now))
    else:
        state.dialog, state.step, state.token, state.data, state.updated_at = dialog, step, token, json.dumps(data), now


async def clear(session: AsyncSession, person_id: int) -> bool:
    state = await session.get(DialogState, person_id)
    if state is None:
        return False
    await session.delete(state)
    return True
