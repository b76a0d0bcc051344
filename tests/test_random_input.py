"""Random text anywhere gets a clear answer, never an error."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

NASTY = st.one_of(
    st.text(max_size=300),
    st.sampled_from(["", " ", "\u202e\u0644\u0627", "<b>", "&", "_*[`", "😀" * 50, "\x00\x07", "x" * 5000]),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=NASTY, text=NASTY)
async def test_random_start_payloads_and_text(harness, payload, text):
    user = harness.user(990, "Fuzz", language_code="nb")
    before = len(harness.telegram.calls)
    replies = await user.send(f"/start {payload}".strip() if payload.strip() else "/start")
    replies += await user.send(text) if text.strip() else []
    # Every answer arrived (the fake Bot API refuses bad HTML) and is one of the clear ones.
    assert replies
    assert not [c for c in harness.telegram.calls[before:] if c.method == "sendMessage" and "Beklager" in c.params["text"]]
    for reply in replies:
        assert any(phrase in reply.plain for phrase in (
            "invitasjonskoden", "invitasjonslenke", "For mange feil koder"))
