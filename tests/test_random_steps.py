"""Hypothesis feeds random text into every step of every dialog: no unhandled
error, and every answer is a clear one (a re-prompt or the next step)."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from storage import dialogs, people
from storage.models import Confirmation, DialogState, Measure
from tests.test_measures import register

NASTY = st.one_of(
    st.text(max_size=200),
    st.sampled_from(["", "   ", "\u202e\u0644\u0627 RTL", "<b>bold", "</i>", "&amp; &", "_*[`]~", "😀" * 300,
                     "\x00\x07\x1b[31m", "x" * 5000, "31.02.2027", "1.1.2020", "0", "100", "-5", "12,5",
                     "æøå ÆØÅ nynorsk", "<script>alert(1)</script>"]),
)

ERROR_TEXT = "something went wrong"


@pytest.fixture
async def world(harness, db):
    harness.set_today(date(2026, 6, 1))
    leader = await harness.member(601, "leader", "Kari")
    rep = await harness.member(602, "safety_rep", "Ola")
    staff = await harness.member(603, "programme_staff", "Priya", scope="national", place=None)
    await register(leader)
    await leader.send("/followup")
    await leader.press("Preparation")
    await leader.press("Mark as done")
    await leader.press("Today")
    await leader.press("Save")
    async with db.session() as session:
        measure = (await session.exec(select(Measure))).one()
        confirmation = (await session.exec(select(Confirmation))).one()
        leader_id = (await people.person_by_telegram_id(session, 601)).id
        rep_id = (await people.person_by_telegram_id(session, 602)).id
        staff_id = (await people.person_by_telegram_id(session, 603)).id
    unit = measure.unit_id
    draft = {"unit": unit, "proposal": False, "theme": "teamwork", "kind": "improve", "title": "t",
             "description": "d", "responsible": "r"}
    steps = [
        (leader, leader_id, "mark", "date", {"unit": unit, "step": "review", "parties": ["safety_rep"]}),
        (rep, rep_id, "comment", "text", {"confirmation": confirmation.id}),
        (leader, leader_id, "measure", "title", draft),
        (leader, leader_id, "measure", "description", draft),
        (leader, leader_id, "measure", "responsible", draft),
        (leader, leader_id, "measure", "deadline", draft),
        (leader, leader_id, "measure", "summary", {**draft, "deadline": "2026-12-01"}),
        (leader, leader_id, "measure_edit", "comment", {"measure": measure.id}),
        (leader, leader_id, "measure_edit", "responsible", {"measure": measure.id}),
        (leader, leader_id, "measure_edit", "deadline", {"measure": measure.id}),
        (leader, leader_id, "measure_edit", "why", {"measure": measure.id, "result": "yes"}),
        (leader, leader_id, "area", "why", {"unit": unit, "kind": "improve", "theme": "teamwork"}),
        (leader, leader_id, "scores", "engagement", {"unit": unit, "scores": {}}),
        # Steps answered with buttons: typed text gets a clear word, never an error.
        (leader, leader_id, "mark", "parties", {"unit": unit, "step": "review", "parties": [], "date": "2026-05-30"}),
        (leader, leader_id, "measure", "theme", {"unit": unit, "proposal": False}),
        (leader, leader_id, "measure", "kind", {"unit": unit, "proposal": False, "theme": "teamwork"}),
        (leader, leader_id, "area", "theme", {"unit": unit, "kind": "improve"}),
        (leader, leader_id, "measure_edit", "decline", {"measure": measure.id}),
        (staff, staff_id, "broadcast", "text", {"texts": {}, "roles": []}),
        (staff, staff_id, "broadcast", "place", {"texts": {"nb": "Hei"}, "roles": ["leader"], "scope": "trust"}),
        (staff, staff_id, "broadcast", "schedule", {"texts": {"nb": "Hei"}, "roles": ["leader"], "scope": "all",
                                                    "progress": ""}),
        (staff, staff_id, "broadcast", "roles", {"texts": {"nb": "Hei"}, "roles": []}),
    ]
    return steps


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(index=st.integers(min_value=0, max_value=21), text=NASTY)
async def test_random_text_in_every_step(harness, db, world, index, text):
    user, person_id, dialog, step, data = world[index]
    async with db.session() as session:
        await dialogs.put(session, person_id, dialog, step, "tok123", json.loads(json.dumps(data)),
                          datetime.now(timezone.utc))
    before = len(harness.telegram.calls)
    replies = await user.send(text) if text else []
    sent = [c.params.get("text", "") for c in harness.telegram.calls[before:] if c.method == "sendMessage"]
    assert not [s for s in sent if ERROR_TEXT in s], (dialog, step, text[:50])
    if text.strip():
        assert replies, (dialog, step, text[:50])
    # A text far over every limit is always refused: the dialog stays at its step.
    if len(text) >= 5000:
        async with db.session() as session:
            state = await session.get(DialogState, person_id)
        assert state is not None and state.step == step
