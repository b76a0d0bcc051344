"""Privacy (issue 12): the notice, a person's own data, erasure through the chat and the
command line, and the audit of plan views; driven as people and admins would."""

from __future__ import annotations

import asyncio
import json
from datetime import date

import pytest
from sqlmodel import select

from bot.settings import load_settings
from storage.models import (
    AuditEntry,
    Confirmation,
    DialogState,
    Measure,
    MeasureEvent,
    Membership,
    OutboxMessage,
    Person,
    Reminder,
)
from storage.statements import StatementCounter
from tests.test_measures import register

CONTROLLER = "Helse Bergen HF"
CONTACT = "personvernombudet@helse-bergen.no"
BASIS = "Arbeidsmiljøloven § 3-1 og personvernforordningen art. 6 nr. 1 bokstav c"


@pytest.fixture
def settings(db_url, tmp_path):
    return load_settings(env={"DATABASE_URL": db_url, "DATA_DIR": str(tmp_path), "PRIVACY_CONTROLLER": CONTROLLER,
                              "PRIVACY_CONTACT": CONTACT, "PRIVACY_LEGAL_BASIS": BASIS}, env_file=None)


async def person(db, telegram_user_id: int) -> Person | None:
    async with db.session() as session:
        return (await session.exec(select(Person).where(Person.telegram_user_id == telegram_user_id))).first()


async def all_of(db, model, *where):
    async with db.session() as session:
        # In key order: PostgreSQL returns rows in no fixed order (an updated row moves to the end).
        query = select(model).where(*where).order_by(*model.__table__.primary_key.columns)
        return list((await session.exec(query)).all())


@pytest.fixture
async def team(harness):
    harness.set_today(date(2026, 6, 1))
    leader = await harness.member(601, "leader", "Kari")
    safety = await harness.member(602, "safety_rep", "Ola", language="Nynorsk")
    union = await harness.member(603, "union_rep", "Siri")
    return leader, safety, union


async def submitted_plan_with_an_objection(leader, safety):
    """Two measures (one with a status comment), the plan submitted, the safety rep objects."""
    await register(leader, "Tavlemøte", kind="Improve")
    await register(leader, "Fagdager", kind="Preserve", theme="Engagement")
    await leader.send("/measures")
    await leader.press("Tavlemøte")
    await leader.press("in progress")
    await leader.send("Startet i uke 23")
    await leader.send("/plan")
    await leader.press("Submit the plan")
    await leader.press("Submit anyway")  # past the warning about unmarked steps (issue 13)
    await safety.press(safety.last.buttons[1]["text"])  # Object, in Nynorsk
    await safety.send("Tiltaka vart ikkje drøfta med oss.")


# --- the notice ---

async def test_the_notice_is_there_for_anyone_at_any_time_and_on_joining(harness):
    stranger = harness.user(690, "Eve", language_code="en")
    text = (await stranger.send("/privacy"))[0].plain
    assert text.startswith("Privacy")
    assert f"{CONTROLLER} is responsible for what this bot stores (the data controller). Contact: {CONTACT}." in text
    assert BASIS in text
    assert "Holding the union representative role shows that you are a member of a union." in text
    assert "Leaders above the unit (clinic, trust, region) and administrators can open the unit's plan, a " \
           "representative's comments on it included" in text
    for kept in ("Failed invite codes: 30 days.", "messages the bot sent you: 90 days", "Unfinished drafts: 60 days.",
                 "or 365 days after your last role has ended"):
        assert kept in text, kept
    assert "/mydata" in text and "/deleteme" in text and "Datatilsynet" in text
    # In the person's language, by its Norwegian name too; the menu before joining names it.
    text = (await harness.user(691, "Åse", language_code="nb").send("/personvern"))[0].plain
    assert text.startswith("Personvern") and "Fagforeningsmedlemskap" in text and "30 dager" in text
    menus = {c.params.get("language_code"): [m["command"] for m in c.params["commands"]]
             for c in harness.telegram.calls_to("setMyCommands") if "scope" not in c.params}
    assert menus["nb"] == ["start", "hjelp", "personvern"] and menus["en"] == ["start", "help", "privacy"]
    # Joining shows the whole notice between the welcome and the menu.
    nils = harness.user(692, "Nils", language_code="nn")
    replies = await nils.send(f"/start {await harness.invite('leader')}")
    assert replies[1].plain.startswith("Personvern") and "Kor lenge" in replies[1].plain
    assert "Behandlingsansvarleg for opplysningane denne boten lagrar: Helse Bergen HF." in replies[1].plain
    assert "Ikkje skriv namn" in replies[1].plain


# --- /mydata ---

async def test_mydata_sends_everything_stored_as_json_and_a_summary(harness, db, team):
    leader, safety, _ = team
    await submitted_plan_with_an_objection(leader, safety)
    kari = await person(db, 601)
    before = len(harness.telegram.files)
    with StatementCounter(db.engine) as counted:
        replies = await leader.send("/mydata")
    assert [r.kind for r in replies] == ["document", "text"]
    assert replies[0].plain == "Everything stored about you, as JSON."
    method, filename, content = harness.telegram.files[before]
    assert method == "sendDocument" and filename == "forbedring-my-data-2026-06-01.json"
    data = json.loads(content)
    assert data["profile"]["name"] == "Kari" and data["profile"]["telegram_user_id"] == 601
    assert data["memberships"] == [{"role": "leader", "scope": "unit", "place": "Kirurgisk poliklinikk, Helse Bergen"}]
    assert sorted(m["title"] for m in data["measures_created_or_proposed"]) == ["Fagdager", "Tavlemøte"]
    assert ("comment", "Startet i uke 23", "Tavlemøte") in [
        (e["field"], e["comment"], e["measure"]) for e in data["measure_changes"]]
    assert [p["unit"] for p in data["plans_submitted"]] == ["Kirurgisk poliklinikk"]
    assert {"join", "measure.create", "plan.submit"} <= {a["action"] for a in data["audit_log"]}
    assert all(a["actor"] == f"person:{kari.id}" or a["subject"] == f"person:{kari.id}" for a in data["audit_log"])
    # A notice the bot sent on its own (the rep's objection) is among the messages sent to her.
    assert any("objects to the plan" in m["text"] for m in data["messages_sent_to_you"])
    summary = replies[1].plain
    assert summary.startswith("What is stored about you\nName: Kari\nTelegram user id: 601\nLanguage: en")
    assert "• leader: Kirurgisk poliklinikk, Helse Bergen" in summary
    assert "• 2 measures you registered or proposed" in summary and "• 1 plan you submitted" in summary
    # A fixed number of statements, whatever is stored.
    assert counted.n <= 20

    # The rep's own: her answer with its comment, in Nynorsk.
    replies = await safety.send("/minedata")
    data = json.loads(harness.telegram.files[-1][2])
    assert [(a["subject"], a["answer"], a["comment"]) for a in data["answers"]] == [
        ("plan", "objected", "Tiltaka vart ikkje drøfta med oss.")]
    assert "Namn: Ola" in replies[1].plain
    assert "• 1 førespurnad til deg som verneombod eller tillitsvald" in replies[1].plain

    # Someone the bot does not know has nothing stored.
    replies = await harness.user(699, "Eve", language_code="en").send("/mydata")
    assert replies[0].plain.startswith("I have nothing stored about you.")


# --- /deleteme ---

async def test_deleteme_asks_twice_and_then_the_bot_no_longer_knows_them(harness, db, team):
    leader, safety, union = team
    await submitted_plan_with_an_objection(leader, safety)
    ola = await person(db, 602)

    # Cancel at the first question, and Back then Cancel at the second: nothing changes.
    replies = await safety.send("/slettmeg")
    assert replies[0].plain.startswith("Slette alt om deg?")
    replies = await safety.press("Avbryt")
    assert replies[0].plain == "Avbrote. Ingenting vart sletta."
    await safety.send("/deleteme")
    replies = await safety.press("Ja, slett alt om meg")
    assert replies[0].plain.startswith("Er du sikker?")
    replies = await safety.press("⬅ Tilbake")
    assert replies[0].plain.startswith("Slette alt om deg?")
    await safety.press("Ja, slett alt om meg")
    await safety.press("Avbryt")
    assert (await person(db, 602)).name == "Ola"

    await safety.send("/deleteme")
    await safety.press("Ja, slett alt om meg")
    replies = await safety.press("Slett det for godt")
    assert replies[-1].plain.startswith("Alt om deg er sletta.")
    # One last message, and the chat's own menu taken away.
    assert harness.telegram.calls_to("deleteMyCommands")[-1].params["scope"] == {"type": "chat", "chat_id": 602}

    async with db.session() as session:
        tomb = await session.get(Person, ola.id)
    assert (tomb.name, tomb.telegram_user_id, tomb.active, tomb.former_role) == ("", -ola.id, False, "safety_rep")
    assert tomb.erased_at is not None
    assert await all_of(db, Membership, Membership.person_id == ola.id) == []
    assert await all_of(db, DialogState, DialogState.person_id == ola.id) == []
    assert await all_of(db, Reminder, Reminder.person_id == ola.id) == []
    [answer] = await all_of(db, Confirmation, Confirmation.person_id == ola.id)
    assert (answer.answer, answer.comment) == ("objected", "(removed)")
    comments = await all_of(db, AuditEntry, AuditEntry.action == "confirmation.comment")
    assert [c.detail for c in comments] == ["(removed)"]
    assert [(e.actor, e.subject) for e in await all_of(db, AuditEntry, AuditEntry.action == "person.erase")] == [
        (f"person:{ola.id}", f"person:{ola.id}")]

    # The notices that told the leader of her objection no longer name her.
    async with db.session() as session:
        told = (await session.exec(select(OutboxMessage.text).where(OutboxMessage.chat_id == 601))).all()
    assert told and not any("Ola" in text or "drøfta" in text for text in told)
    # The unit's plan stays; she is a former safety rep there, her words removed.
    text = (await leader.send("/plan"))[0].plain
    assert "⚠ former safety representative: objects to the plan – «(removed)»" in text
    assert "Ola" not in text and "Tavlemøte" in text and "Fagdager" in text

    # The bot does not know her any more; a new invite makes a new person.
    replies = await safety.send("/start")
    assert "invitasjonslenkje" in replies[0].plain  # as to anyone unknown (in the language Telegram tells)
    replies = await safety.send("/mydata")
    assert replies[0].plain.startswith("Eg har ikkje lagra noko om deg.")
    await safety.send(f"/start {await harness.invite('safety_rep')}")
    again = await person(db, 602)
    assert again.id != ola.id and again.name == "Ola"


async def test_an_erased_leader_is_a_former_leader_in_history_and_their_reasons_are_removed(
        harness, db, team, cli):
    leader, safety, union = team
    await submitted_plan_with_an_objection(leader, safety)
    # A proposal the leader declines, with a reason.
    await union.send("/propose")
    await union.press("Engagement")
    await union.press("Preserve")
    await union.send("Fagdag hver måned")
    await union.send("Vi fortsetter med fagdagene.")
    await union.send("Tillitsvalgt")
    await union.send("1.11.2026")
    await union.press(union.last.buttons[0]["text"])
    await leader.press("Decline")
    await leader.send("Ikke budsjett i år.")
    kari = await person(db, 601)

    # The command line says who it is and changes nothing without --yes.
    code, out, err = await asyncio.to_thread(cli, "person", "erase", str(kari.id))
    assert code == 1 and f"person {kari.id}: Kari, 1 role(s). Nothing was changed; add --yes" in err
    assert (await person(db, 601)).name == "Kari"
    code, out, err = await asyncio.to_thread(cli, "person", "erase", "--telegram-id", "601", "--yes")
    assert code == 0 and out.startswith(f"person {kari.id} erased")
    code, out, _ = await asyncio.to_thread(cli, "person", "erase", str(kari.id), "--yes")
    assert code == 0 and "erased already" in out
    code, _, err = await asyncio.to_thread(cli, "person", "erase", "--telegram-id", "601")
    assert code == 1 and "no person with Telegram user id 601" in err

    events = await all_of(db, MeasureEvent, MeasureEvent.person_id == kari.id, MeasureEvent.comment.is_not(None))
    assert {e.comment for e in events} == {"(removed)"} and len(events) == 2  # the status comment, the reason
    [declined] = await all_of(db, Measure, Measure.proposal == "declined")
    assert declined.decline_reason == "(removed)" and declined.created_by == (await person(db, 603)).id
    assert len(await all_of(db, Measure)) == 3  # the unit's measures stay

    # The union rep sees the history with a former leader in it.
    await union.send("/measures")
    await union.press("Tavlemøte")
    text = (await union.press("History"))[0].plain
    assert "former leader · Status: in progress" in text and "former leader · Comment «(removed)»" in text
    assert "Kari" not in text and "Startet i uke 23" not in text
    # A leader gone: the leader's commands no longer answer in her chat.
    replies = await leader.send("/plan")
    assert "invite link" in replies[0].plain
    # The audit log names her by her former role only.
    code, out, _ = await asyncio.to_thread(cli, "audit", "--person", str(kari.id))
    assert code == 0 and "Kari" not in out
    assert f"person:{kari.id} (former leader)  plan.submit" in out and f"cli  person.erase  person:{kari.id}" in out


async def test_someone_without_a_role_can_still_see_and_erase_their_data(harness, db, team):
    leader, _, _ = team
    kari = await person(db, 601)
    async with db.session() as session:
        for m in (await session.exec(select(Membership).where(Membership.person_id == kari.id))).all():
            await session.delete(m)
    # Their data is theirs to see still.
    replies = await leader.send("/mydata")
    assert "Roles: none" in replies[1].plain
    # And to erase (GDPR art. 17): the dialog is open to anyone the bot knows, not only members.
    replies = await leader.send("/deleteme")
    assert replies[0].plain.startswith("Delete everything about you?")
    await leader.press("Yes, delete everything about me")
    replies = await leader.press("Delete it for good")
    assert replies[-1].plain.startswith("Everything about you is deleted.")
    tomb = await person_by_id(db, kari.id)
    assert tomb.name == "" and tomb.erased_at is not None
    # A stranger (never known) is told there is nothing stored.
    stranger = harness.user(699, "Nobody", "en")
    assert (await stranger.send("/deleteme"))[0].plain.startswith("I have nothing stored about you.")


async def person_by_id(db, person_id):
    async with db.session() as session:
        return await session.get(Person, person_id)


# --- the audit of plan views ---

async def test_opening_a_plan_from_outside_the_unit_is_audited_and_printed(harness, db, team, cli):
    leader, safety, _ = team
    await register(leader)
    await leader.send("/plan")
    await safety.send("/plan")
    admin = await harness.member(610, "admin", "Anne", scope="national", place=None)
    trust_leader = await harness.member(611, "leader", "Tor", scope="trust", place="HB")
    await admin.send("/plan HB KIRPOL")
    await trust_leader.send("/plan HB KIRPOL")
    outsider = await harness.member(612, "leader", "Per", place="AKUTT")
    await outsider.send("/plan HB KIRPOL")  # refused: nothing to audit
    views = await all_of(db, AuditEntry, AuditEntry.action == "plan_viewed")
    anne, tor = await person(db, 610), await person(db, 611)
    unit_id = (await all_of(db, Measure))[0].unit_id
    assert [(v.actor, v.subject) for v in views] == [(f"person:{anne.id}", f"unit:{unit_id}"),
                                                     (f"person:{tor.id}", f"unit:{unit_id}")]

    code, out, _ = await asyncio.to_thread(cli, "audit", "--unit", "KIRPOL")
    lines = out.splitlines()
    assert code == 0
    actions = [line.split("  ")[2] for line in lines]
    assert actions.count("invite.create") == actions.count("join") == 3  # the unit's three invites, used
    assert actions[-3:] == ["measure.create", "plan_viewed", "plan_viewed"]
    assert f"person:{anne.id} (Anne)  plan_viewed  unit:{unit_id}" in lines[-2]
    code, out, err = await asyncio.to_thread(cli, "audit", "--unit", "MED1")
    assert code == 1 and "2 units have the code 'MED1': add --in-trust CODE" in err
    code, out, _ = await asyncio.to_thread(cli, "audit", "--unit", "MED1", "--in-trust", "HB")
    assert code == 0 and out == "no entries\n"
    code, out, _ = await asyncio.to_thread(cli, "audit", "--person", str(tor.id))
    assert [line.split("  ")[2] for line in out.splitlines()] == ["join", "language", "plan_viewed"]
    code, out, _ = await asyncio.to_thread(cli, "audit", "--since", "2099-01-01")
    assert out == "no entries\n"
    code, out, _ = await asyncio.to_thread(cli, "audit", "--since", "1.1.2026")
    assert code == 1


async def test_problems_one_raised_or_answered_are_in_mydata_and_removed_on_erasure(harness, db, team, cli):
    """What a leader raised to the level above and what a leader above answered are their own
    words: in /mydata, and "(removed)" once they are erased."""
    from storage.models import RaisedProblem, Unit

    leader, _, _ = team
    await register(leader, "Tavlemøte", kind="Improve")
    boss = await harness.member(604, "leader", "Berit", scope="trust", place="HB")
    kari, berit = await person(db, 601), await person(db, 604)
    async with db.session() as session:
        measure = (await session.exec(select(Measure))).one()
        unit = await session.get(Unit, measure.unit_id)
        session.add(RaisedProblem(measure_id=measure.id, unit_id=unit.id, trust_id=unit.trust_id,
                                  what="Vi mangler vikarer", raised_by=kari.id, answer="Vi ser på budsjettet",
                                  answered_by=berit.id))
    await leader.send("/mydata")
    data = json.loads(harness.telegram.files[-1][2])
    assert [(p["what"], p["raised_by_you"], p["answered_by_you"]) for p in data["problems_raised_or_answered"]] \
        == [("Vi mangler vikarer", True, False)]
    assert "• 1 problem you raised to the leaders above or answered" in leader.last.plain
    await boss.send("/mydata")
    data = json.loads(harness.telegram.files[-1][2])
    assert [(p["answer"], p["answered_by_you"]) for p in data["problems_raised_or_answered"]] \
        == [("Vi ser på budsjettet", True)]

    code, _, err = await asyncio.to_thread(cli, "person", "erase", str(kari.id), "--yes")
    assert code == 0, err
    problem = (await all_of(db, RaisedProblem))[0]
    assert (problem.what, problem.answer) == ("(removed)", "Vi ser på budsjettet")
    code, _, err = await asyncio.to_thread(cli, "person", "erase", str(berit.id), "--yes")
    assert code == 0, err
    assert (await all_of(db, RaisedProblem))[0].answer == "(removed)"


async def test_a_leaders_answer_to_an_objection_is_theirs_in_mydata_and_removed_on_erasure(harness, db, team, cli):
    leader, safety, _ = team
    await submitted_plan_with_an_objection(leader, safety)
    await leader.send("/plan")
    await leader.press("Answer Ola's objection")
    await leader.send("Vi tar et nytt møte med dere.")
    await leader.send("/mydata")
    data = json.loads(harness.telegram.files[-1][2])
    assert [(a["subject"], a["leader_reply"]) for a in data["your_answers_to_objections"]] == [
        ("plan", "Vi tar et nytt møte med dere.")]
    assert "• 1 answer of yours to a representative's objection" in leader.last.plain
    kari = await person(db, 601)
    code, _, err = await asyncio.to_thread(cli, "person", "erase", str(kari.id), "--yes")
    assert code == 0, err
    confirmation = (await all_of(db, Confirmation))[0]
    assert confirmation.leader_reply == "(removed)" and confirmation.comment == "Tiltaka vart ikkje drøfta med oss."


# --- a member named responsible for a measure ---

async def test_an_erased_member_named_responsible_becomes_a_former_role_on_the_card_and_removed_in_history(
        harness, db, team, cli):
    """Picked from the unit's members, a name stands in `measure.responsible` and in the history of
    who was responsible: erasure leaves "former safety representative" (in the reader's language)
    on the card and "(removed)" in the history; a typed name of someone else stays."""
    from tests.test_responsible import register_for

    leader, safety, union = team
    await register_for(leader, "Tavlemøte", "Ola (safety representative)", "1.12.2026")
    await register_for(leader, "Fagdag", "Avdelingssjefen", "1.12.2026", typed=True)
    await leader.send("/measures")
    await leader.press("Fagdag")
    await leader.press("Responsible")
    await leader.press("Ola (safety representative)")
    await leader.send("/measures")
    await leader.press("Fagdag")
    await leader.press("Responsible")
    await leader.press("Siri (union representative)")
    ola = await person(db, 602)
    measures = {m.title: m for m in await all_of(db, Measure)}
    assert (measures["Tavlemøte"].responsible, measures["Tavlemøte"].responsible_person_id) == ("Ola", ola.id)

    code, _, err = await asyncio.to_thread(cli, "person", "erase", str(ola.id), "--yes")
    assert code == 0, err
    measures = {m.title: m for m in await all_of(db, Measure)}
    assert measures["Tavlemøte"].responsible == "former safety representative"
    assert measures["Fagdag"].responsible == "Siri"  # someone else's name stays
    changes = [(e.old, e.new) for e in await all_of(db, MeasureEvent, MeasureEvent.field == "responsible")]
    assert changes == [("Avdelingssjefen", "(removed)"), ("(removed)", "Siri")]

    # The card, in the reader's language: a former safety rep, and no name anywhere.
    await leader.send("/measures")
    text = (await leader.press("Tavlemøte"))[0].plain
    assert "Responsible: former safety representative" in text and "Ola" not in text
    await leader.send("/measures")
    await leader.press("Fagdag")
    text = (await leader.press("History"))[0].plain
    assert "Responsible: (removed)" in text and "Responsible: Siri" in text and "Ola" not in text
    new_rep = await harness.member(605, "safety_rep", "Åse", language="Bokmål")
    await new_rep.send("/tiltak")
    text = (await new_rep.press("Tavlemøte"))[0].plain
    assert "Ansvarlig: tidligere verneombud" in text


async def test_a_leader_above_who_took_on_a_raised_problem_is_named_responsible_and_erased_from_it(
        harness, db, tmp_path, cli):
    from tests.test_stuck_and_raised import GROUPS_CSV, raise_it

    await harness.import_org(tmp_path, GROUPS_CSV)
    harness.set_today(date(2026, 6, 1))
    leader = await harness.member(301, "leader", "Kari")
    group = await harness.member(310, "leader", "Gro", place="KIRLED", trust="HB")
    await register(leader)
    await raise_it(leader)
    await group.send("/raised")
    await group.press("1. Take it on")
    gro = await person(db, 310)
    [taken] = [m for m in await all_of(db, Measure) if m.created_by == gro.id]
    assert (taken.responsible, taken.responsible_person_id) == ("Gro", gro.id)
    code, _, err = await asyncio.to_thread(cli, "person", "erase", str(gro.id), "--yes")
    assert code == 0, err
    [taken] = await all_of(db, Measure, Measure.id == taken.id)
    assert taken.responsible == "former leader"


# --- /mydata: what one is named responsible for, and units one enrolled in Der skoen trykker ---

async def test_mydata_has_the_measures_one_is_responsible_for_and_the_dst_enrolments_one_made(harness, db, team):
    from tests.test_responsible import register_for

    leader, safety, _ = team
    await register_for(leader, "Tavlemøte", "Ola (safety representative)", "1.12.2026")
    replies = await safety.send("/minedata")
    data = json.loads(harness.telegram.files[-1][2])
    assert [(m["title"], m["responsible"]) for m in data["measures_you_are_responsible_for"]] == [("Tavlemøte", "Ola")]
    assert data["measures_created_or_proposed"] == []
    assert "• 1 tiltak du er ført opp som ansvarleg for" in replies[1].plain
    await leader.send("/mydata")
    data = json.loads(harness.telegram.files[-1][2])
    assert [m["title"] for m in data["measures_created_or_proposed"]] == ["Tavlemøte"]
    assert data["measures_you_are_responsible_for"] == []

    staff = await harness.member(620, "programme_staff", "Priya", scope="national", place=None)
    await staff.send("/dst")
    await staff.press("Enrol a unit")
    await staff.send("HB/KIRPOL")
    await staff.press("Today")
    for _ in range(3):
        await staff.press("Yes")
        await staff.press("Skip")
    await staff.press("Enrol")
    with StatementCounter(db.engine) as counted:
        replies = await staff.send("/mydata")
    data = json.loads(harness.telegram.files[-1][2])
    assert [(e["unit"], e["started_on"], e["potential"]) for e in data["dst_enrolments_you_made"]] == [
        ("Kirurgisk poliklinikk", "2026-06-01", True)]
    assert "• 1 unit you enrolled in Der skoen trykker" in replies[1].plain
    assert counted.n <= 20
