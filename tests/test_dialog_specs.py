"""The dialog layer: specs are sound, diagrams are drawn from them, the callback
codec builds and parses every button, and ⬅ Back returns where the person came from."""

from __future__ import annotations

from datetime import date

import pytest

from bot.app import DIALOGS
from bot.dialogs import engine
from bot.dialogs.callbacks import MAX_BYTES, CallbackTooLong, Choice, Date, Int, Month, Optional, Route, Word
from bot.dialogs.diagrams import mermaid, path_of
from bot.dialogs.spec import Action, DialogSpec, Go, Screen, View
from conversations.routes import all_routes
from tests.test_measure_new import begin_draft, leader  # noqa: F401  (the fixture)


@pytest.mark.parametrize("spec", DIALOGS, ids=lambda s: s.name)
def test_each_committed_diagram_is_the_one_drawn_from_its_spec(spec):
    committed = path_of(spec).read_text(encoding="utf-8")
    assert committed == mermaid(spec), (f"{path_of(spec).name} differs from its spec: "
                                        "run `python -m bot.dialogs.diagrams` and commit the result")


def test_every_button_prefix_is_used_once():
    prefixes = [r.prefix for r in all_routes().values()] + [s.prefix for s in DIALOGS]
    assert len(prefixes) == len(set(prefixes)), sorted(p for p in prefixes if prefixes.count(p) > 1)
    names = [s.name for s in DIALOGS]
    assert len(names) == len(set(names))


def test_the_codec_builds_and_parses_typed_fields():
    route = Route("zz", unit=Int, day=Date, kind=Choice(("preserve", "improve")), month=Optional(Month))
    data = route.build(812, date(2027, 3, 14), "improve")
    assert data == "zz:812:20270314:improve"
    press = route.parse(data)
    assert (press.unit, press.day, press.kind, press.month) == (812, date(2027, 3, 14), "improve", None)
    assert route.parse(route.build(1, date(2027, 1, 1), "preserve", (2027, 2))).month == (2027, 2)
    for forged in ("zz", "zz:x:20270314:improve", "zz:1:20270231:improve", "zz:1:20270314:other",
                   "zz:1:20270314:improve:202713", "zz:1:20270314:improve:202702:extra", "zy:1:20270314:improve",
                   "zz:-1:20270314:improve", "", None, "zz:1:20270314:improve:2027020"):
        assert route.parse(forged) is None, forged


def test_the_codec_refuses_what_telegram_would_not_take():
    route = Route("zz", a=Word(), b=Word())
    with pytest.raises(CallbackTooLong):
        route.build("x" * 32, "y" * 32)
    assert len(route.build("x" * 30, "y" * 30).encode()) <= MAX_BYTES
    with pytest.raises(ValueError):
        route.build("has:colon", "b")
    with pytest.raises(ValueError):
        Route("toolong", a=Int)


def test_a_spec_that_leads_to_an_undrawn_screen_is_refused():
    async def go_nowhere(turn, _):
        return Go("two")

    with pytest.raises(AssertionError):
        DialogSpec(name="x", prefix="x", title="x", module="x", cancelled="x", entries=(("start", "one"),),
                   screens=(Screen("one", "One", lambda turn: View("one"), buttons={
                       "go": Action(go_nowhere, goes=("three",))}),))


async def test_an_action_whose_outcome_is_not_drawn_fails_loudly():
    async def go_elsewhere(turn, _):
        return Go("two")

    spec = DialogSpec(name="x", prefix="x", title="x", module="x", cancelled="x", entries=(("start", "one"),),
                      screens=(Screen("one", "One", lambda turn: View("one"), buttons={
                          "go": Action(go_elsewhere, goes=())}), Screen("two", "Two", lambda turn: View("two"))))

    class FakeTurn:
        dialog = type("D", (), {"data": {}, "step": "one"})()

    turn = FakeTurn()
    turn.spec, turn.context = spec, None
    with pytest.raises(RuntimeError, match="does not draw"):
        await engine._apply(turn, spec.screen("one"), spec.screen("one").buttons["go"], Go("two"), "")


# --- ⬅ Back returns to the screen the person came from (it used to go to the previous field) ---

async def to_summary(leader):
    await begin_draft(leader, "Avviksgjennomgang")
    await leader.send("Vi går gjennom avvik hver uke.")
    await leader.send("Leder")
    return await leader.send("15. januar")


async def test_back_on_the_field_chooser_returns_to_the_summary_card(harness, leader):
    await to_summary(leader)
    await leader.press("Change a field")
    assert leader.last.plain == "Which field do you want to change?"
    replies = await leader.press("⬅ Back")
    assert replies[0].plain.startswith("New measure") and "Title: Avviksgjennomgang" in replies[0].plain


async def test_back_on_a_field_being_changed_returns_to_the_field_chooser(harness, leader):
    await to_summary(leader)
    await leader.press("Change a field")
    await leader.press("Deadline")
    replies = await leader.press("⬅ Back")
    assert replies[0].plain == "Which field do you want to change?"


async def test_back_on_the_idea_list_returns_to_the_title(harness, leader):
    await leader.send("/newmeasure")
    await leader.press("Leadership behaviour")
    await leader.press("Improve")
    await leader.press("💡 Ideas")
    replies = await leader.press("⬅ Back")
    assert replies[0].plain.startswith("Write a short title")


async def test_back_in_the_date_picker_goes_one_picker_screen_back(harness, leader):
    await begin_draft(leader)
    await leader.send("Vi prøver.")
    await leader.send("Leder")
    await leader.press("📅 Pick a date")
    await leader.press("December 2026")
    replies = await leader.press("⬅ Back")
    assert replies[0].plain == "Choose the month:"
    replies = await leader.press("⬅ Back")
    assert replies[0].plain.startswith("By when?")


async def test_continue_resumes_at_the_saved_screen_not_at_the_summary(harness, leader):
    await begin_draft(leader)
    await leader.send("/newmeasure")
    replies = await leader.press("Continue")
    assert replies[0].plain.startswith("What will you do")
    replies = await leader.press("⬅ Back")
    assert replies[0].plain.startswith("Write a short title")


async def test_a_field_no_longer_valid_at_save_is_asked_again_then_back_to_the_card(harness, db, leader):
    """The deadline passed between typing it and pressing Save: that field again, then the card."""
    await begin_draft(leader)
    await leader.send("Vi prøver.")
    await leader.send("Leder")
    await leader.send("21.05.2026")  # tomorrow
    harness.set_today(date(2026, 5, 25))
    replies = await leader.press("Save")
    assert replies[0].plain == "This needs to be changed before the measure can be saved."
    assert replies[1].plain.startswith("By when?")
    replies = await leader.send("1.6.2026")
    assert replies[0].plain.startswith("New measure") and "Deadline: 1 June 2026" in replies[0].plain
    replies = await leader.press("Save")
    assert replies[0].plain.startswith("Saved:")


async def test_forged_data_for_every_route_and_dialog_is_refused_without_an_error(harness, db, leader, caplog):
    """Whatever a client sends as callback data, every route answers it clearly and nothing fails."""
    forged = [f"{route.prefix}:x:99999999999999999999:zz:zz:zz" for route in all_routes().values()]
    forged += [f"{spec.prefix}:nosuchtoken:save" for spec in DIALOGS] + [f"{spec.prefix}" for spec in DIALOGS]
    for data in forged:
        before = len(leader.callback_answers())
        await leader.press_data(data)
        answers = leader.callback_answers()[before:]
        assert len(answers) == 1 and answers[0].get("text"), data
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
