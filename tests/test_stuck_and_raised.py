"""A stuck measure: its own status, what is stuck, raised to the leader group above (the nearest
leader-group unit, or the trust's leaders), answered there or taken on as their own measure."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, time

import pytest
from sqlmodel import select

from bot.jobs import sweep_if_due
from conversations import routes
from storage import raised as raised_store
from storage.models import Measure, MeasureEvent, RaisedProblem, Unit
from tests.test_measures import register

# The organisation file with a clinic-level leader group for Kirurgisk klinikk (Helse Bergen).
GROUPS_CSV = """region;trust_code;trust_name;unit_code;unit_name;clinic;department;leader_group
Helse Vest;HB;Helse Bergen;KIRPOL;Kirurgisk poliklinikk;Kirurgisk klinikk;;
Helse Vest;HB;Helse Bergen;KIRLED;Ledergruppen Kirurgisk klinikk;Kirurgisk klinikk;;clinic
Helse Vest;HB;Helse Bergen;MED1;Medisinsk sengepost 1;Medisinsk klinikk;Sengeposter;
"""


@pytest.fixture
async def line(harness, tmp_path):
    await harness.import_org(tmp_path, GROUPS_CSV)
    harness.set_today(date(2026, 6, 1))
    people = {
        "leader": await harness.member(301, "leader", "Kari"),
        "rep": await harness.member(302, "safety_rep", "Ola", language="Nynorsk"),
        "group": await harness.member(310, "leader", "Gro", place="KIRLED", trust="HB"),
        "trust": await harness.member(320, "leader", "Trude", scope="trust", place="HB"),
        "other": await harness.member(330, "leader", "Per", place="MED1", trust="HB"),
    }
    await register(people["leader"])
    return people


async def the(db, model, **where):
    async with db.session() as session:
        query = select(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return list((await session.exec(query.order_by(model.id))).all())


async def test_stuck_is_a_status_asked_what_and_raised_to_the_nearest_leader_group(harness, db, line):
    leader, rep, group, trust = line["leader"], line["rep"], line["group"], line["trust"]
    await leader.send("/measures")
    await leader.press("Tavlemøte")
    replies = await leader.press("stuck")
    assert replies[-1].plain == "Status saved: stuck. What is stuck? Write one line, or press Skip."
    replies = await leader.send("Vi mangler vikarbudsjett til tavlemøtene.")
    assert "Raise it to the leader group above?" in replies[-1].plain
    trust_before = len(trust.messages)
    replies = await leader.press("Raise to the leader group above")
    assert "Raised to Ledergruppen Kirurgisk klinikk. You and the reps will see their answer." in replies[0].plain
    # The nearest leader group hears of it; the trust's leaders see it in /raised, without a message.
    assert "Kirurgisk poliklinikk has raised a stuck measure to you: “Tavlemøte”." in group.last.plain
    assert "«Vi mangler vikarbudsjett til tavlemøtene.»" in group.last.plain
    assert len(trust.messages) == trust_before
    measure = (await the(db, Measure))[0]
    assert measure.status == "stuck" and measure.stuck_since is not None
    (problem,) = await the(db, RaisedProblem)
    kirled = (await the(db, Unit, code="KIRLED"))[0]
    assert (problem.group_unit_id, problem.what) == (kirled.id, "Vi mangler vikarbudsjett til tavlemøtene.")

    # The status shows in /measures and /plan, and the card says where it went.
    replies = await leader.send("/measures")
    assert "⛔ <b>Tavlemøte</b>" in replies[0].text
    replies = await leader.press("Tavlemøte")
    assert "Status: ⛔ stuck" in replies[0].plain and "Not answered yet." in replies[0].plain
    replies = await rep.send("/handlingsplan")
    assert "⛔" in replies[0].plain and "Tavlemøte" in replies[0].plain
    # ... in the export and in /progress.
    await trust.send("/export csv")
    measures_csv = harness.telegram.files[-1][2].decode("utf-8-sig").splitlines()
    row = dict(zip(measures_csv[0].split(";"), measures_csv[1].split(";")))
    assert (row["title"], row["status"]) == ("Tavlemøte", "stuck")
    replies = await trust.send("/progress")
    assert "1 measure stuck" in replies[0].plain

    # The leaders above: /raised and /overdue.
    for above in (group, trust):
        replies = await above.send("/raised")
        assert "1. Tavlemøte – Kirurgisk poliklinikk" in replies[0].plain
        assert "Not answered yet." in replies[0].plain
        replies = await above.send("/overdue")
        assert "1 raised problem waits for your answer (/raised)" in replies[0].plain
        assert "Kirurgisk poliklinikk: Tavlemøte" in replies[0].plain

    # The group answers: the unit's leader and reps are told, and the card shows it.
    await group.send("/raised")
    await group.press("1. Answer")
    replies = await group.send("Vi tar det opp i budsjettmøtet i august.")
    assert replies[-1].plain == "Saved. 2 people in the unit are told."
    assert "The leader group above has answered about “Tavlemøte”: Vi tar det opp i budsjettmøtet i august." \
        in leader.last.plain
    assert "Vi tar det opp i budsjettmøtet i august." in rep.last.plain
    replies = await leader.press("Tavlemøte", (await leader.send("/measures"))[0])
    assert "Their answer: Vi tar det opp i budsjettmøtet i august." in replies[0].plain
    replies = await trust.send("/overdue")
    assert "raised problem" not in replies[0].plain

    # ... and takes it on as a measure of its own plan.
    await group.send("/raised")
    replies = await group.press("1. Take it on")
    assert "is now a measure in your leader group's plan" in replies[0].plain
    taken = (await the(db, Measure, unit_id=kirled.id))[0]
    assert (taken.title, taken.theme, taken.kind, taken.responsible) == ("Tavlemøte", "teamwork", "improve", "Gro")
    assert taken.description == "Kirurgisk poliklinikk: Vi mangler vikarbudsjett til tavlemøtene."
    assert (await the(db, RaisedProblem))[0].taken_measure_id == taken.id
    assert "has taken on “Tavlemøte” as a measure of its own" in leader.last.plain
    replies = await group.send("/raised")
    assert "Taken on as a measure of the leader group." in replies[0].plain
    assert "1. Take it on" not in [b["text"] for b in replies[0].buttons]


async def test_only_the_leaders_above_may_answer_or_take_on_and_only_the_units_leader_may_raise(harness, db, line):
    leader, rep, group, other = line["leader"], line["rep"], line["group"], line["other"]
    await leader.send("/measures")
    await leader.press("Tavlemøte")
    await leader.press("stuck")
    await leader.press("Skip")
    await leader.press("Raise to the leader group above")
    (problem,) = await the(db, RaisedProblem)
    assert problem.what == ""
    for user in (leader, rep, other):
        for forged in (routes.RAISED_ANSWER.build(problem.id), routes.RAISED_TAKE_ON.build(problem.id)):
            await user.press_data(forged)
            assert user.callback_answers()[-1]["text"] in ("You cannot do that for this unit.",
                                                            "Du kan ikkje gjere det for denne eininga.")
    replies = await other.send("/raised")
    assert "You are not one of them." in replies[0].plain
    await group.press_data(routes.RAISED_ANSWER.build(problem.id + 99))
    assert group.callback_answers()[-1]["text"] == "You cannot do that for this unit."
    assert (await the(db, RaisedProblem))[0].answer is None
    assert len(await the(db, Measure)) == 1
    # Raising again while it is unanswered tells nobody twice.
    before = len(group.messages)
    await leader.send("/measures")
    await leader.press("Tavlemøte")
    await leader.press("in progress")
    await leader.press("Skip")
    await leader.press("stuck")
    await leader.press("Skip")
    await leader.press("Raise to the leader group above")
    assert len(await the(db, RaisedProblem)) == 1 and len(group.messages) == before
    # A measure that is no longer stuck cannot be raised (a stale dialog's button).
    await leader.send("/measures")
    await leader.press("Tavlemøte")
    await leader.press("in progress")
    await leader.press("Skip")
    await leader.press("stuck")
    await leader.press("Skip")
    measure = (await the(db, Measure))[0]
    async with db.session() as session:
        fresh = await session.get(Measure, measure.id)
        fresh.status = "in_progress"
    replies = await leader.press("Raise to the leader group above")
    assert "You cannot do that for this unit." in [r.plain for r in replies] + \
        [a.get("text") for a in leader.callback_answers()[-1:]]
    assert len(await the(db, RaisedProblem)) == 1


async def test_without_a_leader_group_the_trusts_leaders_hear_and_only_a_group_can_take_it_on(harness, db, tmp_path):
    harness.set_today(date(2026, 6, 1))
    leader = await harness.member(401, "leader", "Aud", language="Bokmål", place="AKUTT")
    trust = await harness.member(402, "leader", "Tor", language="Nynorsk", scope="trust", place="OUS")
    await leader.send("/nyttiltak")
    await leader.press(leader.last.buttons[1]["text"])  # a theme
    await leader.press(leader.last.buttons[1]["text"])  # improve
    await leader.send("Skjermede pauser")
    await leader.send("Pauserom uten forstyrrelser.")
    await leader.send("Leder")
    await leader.send("1.12.2026")
    await leader.press("Lagre")
    await leader.send("/tiltak")
    await leader.press("Skjermede pauser")
    replies = await leader.press("står fast")
    assert replies[-1].plain == "Status lagret: står fast. Hva står fast? Skriv én linje, eller trykk Hopp over."
    await leader.send("Ingen ledige rom.")
    replies = await leader.press("Løft til ledergruppen over")
    assert "Løftet til lederne i helseforetaket." in replies[0].plain
    assert "Akuttmottaket har lyfta eit tiltak som står fast, til deg: «Skjermede pauser»." in trust.last.plain
    assert "Svar, eller ta det på dykk, i /lyfta." in trust.last.plain
    replies = await trust.send("/lyfta")
    assert replies[0].plain.startswith("Lyfta til deg\n\n1. Skjermede pauser – Akuttmottaket")
    await trust.press("1. Ta det på oss")
    assert trust.callback_answers()[-1]["text"].startswith("Berre leiarane i ei leiargruppe kan ta det på seg")
    assert len(await the(db, Measure)) == 1


async def test_stuck_in_the_quarterly_one_tap_asks_what_and_offers_the_raise(harness, db, line):
    leader, group = line["leader"], line["group"]
    harness.application.bot_data["sender"].per_chat = 0
    tz = harness.settings.bot_timezone
    await sweep_if_due(harness.application, datetime.combine(date(2026, 9, 15), time(9), tz))
    digest = leader.last
    assert "Quarterly status for the measures" in digest.plain
    replies = await leader.press("Stuck", digest)
    assert replies[-1].plain == "Status saved: stuck. What is stuck? Write one line, or press Skip."
    measure = (await the(db, Measure))[0]
    assert measure.status == "stuck"
    await leader.send("Turnusen gir ikke rom for møtet.")
    before = len(group.messages)
    replies = await leader.press("Not now")
    assert "Status: ⛔ stuck" in replies[-1].plain
    assert await the(db, RaisedProblem) == [] and len(group.messages) == before
    events = [(e.field, e.new, e.comment) for e in await the(db, MeasureEvent)]
    assert events[1:] == [("quarterly", "stuck", None), ("status", "stuck", None),
                          ("comment", None, "Turnusen gir ikke rom for møtet.")]


async def raise_it(leader, what: str = "Vi mangler vikarbudsjett.") -> None:
    await leader.send("/measures")
    await leader.press("Tavlemøte")
    await leader.press("stuck")
    await leader.send(what)
    await leader.press("Raise to the leader group above")


async def test_two_leaders_taking_it_on_at_the_same_moment_make_one_measure(harness, db, line):
    harness.telegram.network_turns = 5  # the presses interleave (tests/test_concurrency.py)
    leader, group = line["leader"], line["group"]
    second = await harness.member(311, "leader", "Geir", place="KIRLED", trust="HB")
    await raise_it(leader)
    lists = [(await group.send("/raised"))[0], (await second.send("/raised"))[0]]
    presses = []
    for user, shown in zip((group, second), lists):
        _, button = user.find_button("1. Take it on", shown)
        presses.append(user.press_data(button["callback_data"], shown))
    await asyncio.gather(*presses)
    kirled = (await the(db, Unit, code="KIRLED"))[0]
    taken = await the(db, Measure, unit_id=kirled.id)
    assert len(taken) == 1
    assert (await the(db, RaisedProblem))[0].taken_measure_id == taken[0].id
    answers = [a.get("text") or "" for user in (group, second) for a in user.callback_answers()]
    assert sum(a.startswith("It has been taken on already") for a in answers) == 1
    assert sum("has taken on “Tavlemøte” as a measure of its own" in m.plain for m in leader.messages) == 1
    # Pressed again later: the same clear answer, nothing made.
    await group.press_data(routes.RAISED_TAKE_ON.build((await the(db, RaisedProblem))[0].id))
    assert group.callback_answers()[-1]["text"].startswith("It has been taken on already")
    assert len(await the(db, Measure, unit_id=kirled.id)) == 1


async def test_two_leaders_raising_it_at_the_same_moment_raise_it_once(harness, db, line, monkeypatch):
    harness.telegram.network_turns = 5
    leader, group = line["leader"], line["group"]
    place_of = raised_store.place_of

    async def slow_place_of(session, unit_id):  # both presses have read before either writes
        found = await place_of(session, unit_id)
        await asyncio.sleep(0.2)
        return found

    monkeypatch.setattr(raised_store, "place_of", slow_place_of)
    second = await harness.member(303, "leader", "Kjell")
    cards = []
    for user in (leader, second):
        await user.send("/measures")
        cards.append((await user.press("Tavlemøte"))[0])
    screens = []
    for user, card in zip((leader, second), cards):
        await user.press("stuck", card)
        screens.append((await user.press("Skip"))[-1])
    before = len(group.messages)
    presses = []
    for user, screen in zip((leader, second), screens):
        _, button = user.find_button("Raise to the leader group above", screen)
        presses.append(user.press_data(button["callback_data"], screen))
    await asyncio.gather(*presses)
    assert len(await the(db, RaisedProblem)) == 1
    told = [m for m in group.messages[before:] if "has raised a stuck measure to you" in m.plain]
    assert len(told) == 1


async def test_a_raised_problem_is_answered_once_and_the_answer_never_replaced(harness, db, line):
    leader, group, trust = line["leader"], line["group"], line["trust"]
    await raise_it(leader)
    # Both leaders above begin an answer; the first saved stands.
    for above in (group, trust):
        await above.send("/raised")
        await above.press("1. Answer")
    await group.send("Vi tar det opp i budsjettmøtet.")
    replies = await trust.send("Dette må klinikken løse selv.")
    assert replies[-1].plain == ("Someone above answered it meanwhile, so your answer was not saved (an answer is "
                                 "never replaced). See theirs in /raised.")
    (problem,) = await the(db, RaisedProblem)
    assert problem.answer == "Vi tar det opp i budsjettmøtet."
    told = [m.plain for m in leader.messages if "has answered about" in m.plain]
    assert len(told) == 1 and "Vi tar det opp i budsjettmøtet." in told[0]
    # The list offers no Answer any more; a stale or forged press is refused and changes nothing.
    replies = await trust.send("/raised")
    assert "Answered: Vi tar det opp i budsjettmøtet." in replies[0].plain
    assert "1. Answer" not in [b["text"] for b in replies[0].buttons]
    await trust.press_data(routes.RAISED_ANSWER.build(problem.id))
    assert trust.callback_answers()[-1]["text"] == \
        "It has been answered already, and an answer is never replaced. See it in /raised."
    assert (await the(db, RaisedProblem))[0].answer == "Vi tar det opp i budsjettmøtet."
    # It can still be taken on.
    await group.send("/raised")
    replies = await group.press("1. Take it on")
    assert "is now a measure in your leader group's plan" in replies[0].plain


async def test_with_nobody_above_in_the_bot_the_leader_is_told_so_and_the_problem_waits(harness, db):
    harness.set_today(date(2026, 6, 1))
    leader = await harness.member(401, "leader", "Aud", place="AKUTT")  # no leader group, no trust leader
    await register(leader, title="Skjermede pauser")
    await leader.send("/measures")
    await leader.press("Skjermede pauser")
    await leader.press("stuck")
    await leader.send("Ingen ledige rom.")
    replies = await leader.press("Raise to the leader group above")
    assert ("Raised to the leaders of the health trust, but nobody could be told: no leader there uses the bot "
            "yet. The problem is kept, and the leaders see it in /raised when they join.") in replies[0].plain
    assert "You and the reps will see their answer." not in replies[0].plain
    assert len(await the(db, RaisedProblem)) == 1
    # A leader of the trust who joins later finds it waiting.
    trust = await harness.member(402, "leader", "Tor", scope="trust", place="OUS")
    replies = await trust.send("/raised")
    assert "1. Skjermede pauser – Akuttmottaket" in replies[0].plain and "Not answered yet." in replies[0].plain


async def test_raised_is_in_the_menu_of_the_leaders_of_a_leader_group_unit_and_above(harness, db, line):
    def menu(chat_id: int) -> list[str]:
        calls = [c.params for c in harness.telegram.calls_to("setMyCommands")
                 if c.params.get("scope") == {"type": "chat", "chat_id": chat_id}]
        return [c["command"] for c in calls[-1]["commands"]]

    assert "raised" in menu(310)  # Gro, leader of the leader-group unit KIRLED
    assert "raised" in menu(320)  # Trude, a leader of the trust
    assert "raised" not in menu(301) and "raised" not in menu(330)  # leaders of ordinary units
    assert "members" not in menu(310)  # the other commands for leaders above units stay theirs
    replies = await line["group"].send("/help")
    assert "/raised" in replies[0].plain
