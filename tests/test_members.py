"""People and access (issue 12): seeing and ending memberships from the command line and in
/members, revoking an invite with its members, a leader's handover, and people marked
inactive staying so until /start."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import date, datetime, timezone

import pytest
from sqlmodel import select

from bot.rules.vocabulary import OutboxKind, OutboxState, ReminderState
from conversations import routes
from storage import people
from storage.models import AuditEntry, DialogState, Invite, Measure, Membership, OutboxMessage, Person, Reminder, Unit
from tests.test_followup import mark
from tests.test_measures import register


async def person_id(db, telegram_user_id: int) -> int:
    async with db.session() as session:
        return (await people.person_by_telegram_id(session, telegram_user_id)).id


async def memberships(db, telegram_user_id: int) -> list[Membership]:
    async with db.session() as session:
        pid = (await people.person_by_telegram_id(session, telegram_user_id)).id
        return list((await session.exec(select(Membership).where(Membership.person_id == pid))).all())


async def unit_id(db, code: str, trust_name: str = "Helse Bergen") -> int:
    from storage.models import HealthTrust

    async with db.session() as session:
        return (await session.exec(select(Unit.id).join(HealthTrust).where(
            Unit.code == code, HealthTrust.name == trust_name))).one()


async def run_cli(cli, *args):
    """The command line, as an admin runs it beside the running bot (its own event loop)."""
    return await asyncio.to_thread(cli, *args)


async def deliver(harness):
    """What the running bot's sender does with the outbox (the command line queued its notices at
    the real time, which may be after the test's day)."""
    await harness.application.bot_data["sender"].send_due(now=datetime.now(timezone.utc))


async def add_reminders(db, person: int, subjects: list[str]) -> None:
    async with db.session() as session:
        for subject in subjects:
            session.add(Reminder(key=f"test:{person}:{subject}", person_id=person, reason="test", subject=subject,
                                 period="2026", due_on=date(2026, 6, 1)))


async def reminder_states(db, person: int) -> dict[str, str]:
    async with db.session() as session:
        return {r.subject: r.state for r in (await session.exec(
            select(Reminder).where(Reminder.person_id == person))).all()}


# --- the command line ---

async def test_the_command_line_lists_and_ends_a_membership_and_the_person_is_told(harness, db, cli):
    harness.set_today(date(2026, 6, 1))
    kari = await harness.member(101, "leader", "Kari")
    ola = await harness.member(102, "safety_rep", "Ola", language="Nynorsk")
    await ola.send(f"/start {await harness.invite('safety_rep', place='MED1', trust='HB')}")
    ola_id = await person_id(db, 102)
    kirpol, med1 = await unit_id(db, "KIRPOL"), await unit_id(db, "MED1")

    # Ola has a proposal half-typed for the surgical outpatient clinic, and reminders about both units.
    await ola.send("/propose")
    await ola.press("Kirurgisk poliklinikk")
    async with db.session() as session:
        assert json.loads((await session.get(DialogState, ola_id)).data)["unit"] == kirpol
    await add_reminders(db, ola_id, [f"unit:{kirpol}", f"unit:{med1}"])

    code, out, err = await run_cli(cli, "member", "list", "--unit", "KIRPOL")
    assert code == 0, err
    lines = out.strip().splitlines()
    assert len(lines) == 2
    assert re.match(r"\s*\d+  Kari \(person \d+\)  leader  Kirurgisk poliklinikk, Helse Bergen$", lines[0])
    assert re.match(rf"\s*\d+  Ola \(person {ola_id}\)  safety_rep  Kirurgisk poliklinikk, Helse Bergen$", lines[1])
    code, out, _ = await run_cli(cli, "member", "list", "--trust", "HB")
    assert len(out.strip().splitlines()) == 3 and "Medisinsk sengepost 1, Helse Bergen" in out
    code, out, _ = await run_cli(cli, "member", "list", "--region", "helse-sor-ost")
    assert code == 0 and out.strip() == "no memberships at Helse Sør-Øst"
    code, _, err = await run_cli(cli, "member", "list", "--unit", "MED1")
    assert code == 1 and "exists in several trusts: add --in-trust CODE" in err

    membership = next(m for m in await memberships(db, 102) if m.unit_id == kirpol)
    code, out, err = await run_cli(cli, "member", "remove", str(membership.id))
    assert code == 0, err
    assert f"membership ended: {membership.id}  Ola (person {ola_id})  safety_rep  Kirurgisk poliklinikk" in out
    assert "1 membership(s) ended, 1 open dialog(s) closed, 1 pending reminder(s) dropped" in out

    assert [m.unit_id for m in await memberships(db, 102)] == [med1]
    async with db.session() as session:
        assert await session.get(DialogState, ola_id) is None
        entry = (await session.exec(select(AuditEntry).where(AuditEntry.action == "membership.end"))).one()
    assert (entry.actor, entry.subject) == ("cli", f"person:{ola_id}")
    assert f"membership={membership.id} role=safety_rep" in entry.detail
    assert await reminder_states(db, ola_id) == {f"unit:{kirpol}": ReminderState.DROPPED,
                                                 f"unit:{med1}": ReminderState.PENDING}

    # The bot tells him, in his language, and his other unit goes on.
    await deliver(harness)
    assert ola.last.plain.startswith("Rolla di som verneombod ved Kirurgisk poliklinikk, Helse Bergen er avslutta.")
    replies = await ola.send("/oppfylging")
    assert "Medisinsk sengepost 1" in replies[0].plain
    assert kari.last.plain != ola.last.plain  # nobody else was told

    code, _, err = await run_cli(cli, "member", "remove", str(membership.id))
    assert code == 1 and f"no membership with id {membership.id}" in err
    code, _, err = await run_cli(cli, "member", "remove")
    assert code == 1 and "give a MEMBERSHIP_ID" in err


async def test_member_remove_by_person_and_unit_and_a_person_left_without_roles(harness, db, cli):
    kari = await harness.member(101, "leader", "Kari")
    kari_id = await person_id(db, 101)
    await add_reminders(db, kari_id, [f"unit:{await unit_id(db, 'KIRPOL')}"])
    async with db.session() as session:  # a digest waiting in the outbox
        session.add(OutboxMessage(person_id=kari_id, chat_id=101, kind=OutboxKind.REMINDER, text="digest",
                                  not_before=datetime(2030, 1, 1, tzinfo=timezone.utc)))
    code, out, err = await run_cli(cli, "member", "remove", "--person", str(kari_id), "--unit", "KIRPOL")
    assert code == 0, err
    assert "1 membership(s) ended, 0 open dialog(s) closed, 1 pending reminder(s) dropped" in out
    assert await memberships(db, 101) == []
    async with db.session() as session:
        digest = (await session.exec(select(OutboxMessage).where(OutboxMessage.kind == OutboxKind.REMINDER))).one()
    assert (digest.state, digest.error) == (OutboxState.FAILED, "membership ended")
    await deliver(harness)
    assert kari.last.plain.startswith("Your role as leader at Kirurgisk poliklinikk, Helse Bergen has ended.")
    # Without a role she is a stranger again.
    replies = await kari.send("/followup")
    assert "invite link" in replies[0].plain
    code, _, err = await run_cli(cli, "member", "remove", "--person", str(kari_id), "--unit", "KIRPOL")
    assert code == 1 and "holds no role at Kirurgisk poliklinikk, Helse Bergen" in err


async def test_revoke_with_remove_members_ends_the_memberships_made_with_the_invite(harness, db, cli):
    kari = await harness.member(101, "leader", "Kari")
    code_text = await harness.invite("safety_rep", uses=2)
    ola, siri = harness.user(102, "Ola", "nn"), harness.user(103, "Siri", "en")
    await ola.send(f"/start {code_text}")
    await siri.send(f"/start {code_text}")
    async with db.session() as session:
        invite_id = (await session.exec(select(Invite.id).where(Invite.role == "safety_rep"))).one()
    code, out, err = await run_cli(cli, "invite", "revoke", str(invite_id), "--remove-members")
    assert code == 0, err
    assert f"invite {invite_id} revoked" in out and "2 membership(s) ended" in out
    assert await memberships(db, 102) == [] and await memberships(db, 103) == []
    assert len(await memberships(db, 101)) == 1  # Kari joined with another invite
    await deliver(harness)
    assert ola.last.plain.startswith("Rolla di som verneombod ved Kirurgisk poliklinikk")
    assert siri.last.plain.startswith("Your role as safety representative at Kirurgisk poliklinikk")
    assert not kari.last.plain.startswith("Your role")
    async with db.session() as session:
        ends = (await session.exec(select(AuditEntry).where(AuditEntry.action == "membership.end"))).all()
    assert len(ends) == 2 and all(f"reason=invite:{invite_id} revoked" in e.detail for e in ends)
    # Revoking alone ends nobody.
    other = await harness.invite("union_rep")
    await harness.user(104, "Per", "en").send(f"/start {other}")
    async with db.session() as session:
        other_id = (await session.exec(select(Invite.id).where(Invite.role == "union_rep"))).one()
    code, out, _ = await run_cli(cli, "invite", "revoke", str(other_id))
    assert code == 0 and "membership(s) ended" not in out
    assert len(await memberships(db, 104)) == 1


# --- /members in the chat ---

@pytest.fixture
async def trust_people(harness):
    harness.set_today(date(2026, 6, 1))
    anne = await harness.member(900, "admin", "Anne", scope="trust", place="HB")
    lars = await harness.member(901, "leader", "Lars", scope="trust", place="HB")
    kari = await harness.member(101, "leader", "Kari")
    ola = await harness.member(102, "safety_rep", "Ola", language="Nynorsk")
    per = await harness.member(103, "union_rep", "Per", place="AKUTT")
    return anne, lars, kari, ola, per


async def test_an_admin_ends_a_role_in_the_chat_and_the_person_is_told(harness, db, trust_people):
    anne, _, kari, ola, _ = trust_people
    ola_id = await person_id(db, 102)
    await ola.send("/foresla")
    await add_reminders(db, ola_id, [f"unit:{await unit_id(db, 'KIRPOL')}"])

    replies = await anne.send("/members")
    assert replies[0].plain == "Helse Bergen: choose a unit."
    assert [b["text"] for b in anne.last.buttons] == ["Kirurgisk poliklinikk", "Medisinsk sengepost 1"]
    replies = await anne.press("Kirurgisk poliklinikk")
    assert replies[0].plain == ("Kirurgisk poliklinikk, Helse Bergen\n• leader: Kari\n"
                                "• safety representative: Ola")
    await anne.press("End: Ola (safety representative)")
    assert anne.last.plain.startswith("End Ola's role as safety representative at Kirurgisk poliklinikk, "
                                      "Helse Bergen? They are told.")
    replies = await anne.press("Yes, end it")
    assert replies[0].plain == ("Done: Ola's role as safety representative at Kirurgisk poliklinikk, Helse Bergen "
                                "has ended. They are told.")
    assert ola.last.plain.startswith("Rolla di som verneombod ved Kirurgisk poliklinikk, Helse Bergen er avslutta.")
    assert await memberships(db, 102) == []
    async with db.session() as session:
        assert await session.get(DialogState, ola_id) is None
        entry = (await session.exec(select(AuditEntry).where(AuditEntry.action == "membership.end"))).one()
    assert (entry.actor, entry.subject) == (f"person:{await person_id(db, 900)}", f"person:{ola_id}")
    assert set((await reminder_states(db, ola_id)).values()) == {ReminderState.DROPPED}

    # Pressed again: nothing to end.
    await anne.press("Yes, end it", anne.messages[-2])
    assert anne.callback_answers()[-1]["text"] == "That role has already ended; nothing was changed."
    # The unit's list now has only Kari.
    replies = await anne.press("⬅ Back")
    assert replies[0].plain == "Kirurgisk poliklinikk, Helse Bergen\n• leader: Kari"


async def test_forged_and_out_of_scope_presses_are_refused_and_change_nothing(harness, db, trust_people):
    anne, lars, kari, _, per = trust_people
    per_membership = (await memberships(db, 103))[0].id
    anne_membership = (await memberships(db, 900))[0].id
    akutt = await unit_id(db, "AKUTT", "Oslo universitetssykehus")

    await anne.send("/members")
    for data in (routes.MEMBER_END_YES.build(per_membership), routes.MEMBER_END.build(per_membership),
                 routes.MEMBERS_UNIT.build(akutt), routes.HANDOVER.build(akutt, await person_id(db, 103))):
        await anne.press_data(data)
        assert anne.callback_answers()[-1]["text"] == "You cannot do that for this unit."
    await anne.press_data("mby:abc")
    assert anne.callback_answers()[-1]["text"] == "You cannot do that for this unit."
    assert len(await memberships(db, 103)) == 1

    # Her own admin role is not ended from the chat.
    await anne.press_data(routes.MEMBER_END_YES.build(anne_membership))
    assert anne.callback_answers()[-1]["text"].startswith("You cannot end your own administrator role here.")
    assert len(await memberships(db, 900)) == 1

    # The leader above the units ends the units' roles, not the admin's.
    replies = await lars.send("/medlemmer")
    assert replies[0].plain == "Helse Bergen: choose a unit."
    await lars.press_data(routes.MEMBER_END_YES.build(anne_membership))
    assert lars.callback_answers()[-1]["text"] == "You cannot do that for this unit."
    assert len(await memberships(db, 900)) == 1

    # A unit's own leader has no /members, and it is not in her menu or /help.
    replies = await kari.send("/members")
    assert replies[0].plain.startswith("Only administrators and the leaders above the units")
    await kari.press_data(routes.MEMBER_END_YES.build(per_membership))
    assert kari.callback_answers()[-1]["text"] == "You cannot do that for this unit."
    assert "/members" not in (await kari.send("/help"))[0].plain
    assert "/members – People's roles" in (await anne.send("/help"))[0].plain
    assert len(await memberships(db, 103)) == 1


# --- handover ---

async def test_handover_from_the_command_line_end_to_end(harness, db, cli):
    harness.set_today(date(2026, 6, 1))
    kari = await harness.member(101, "leader", "Kari")
    ola = await harness.member(102, "safety_rep", "Ola", language="Nynorsk")
    siri = await harness.member(103, "union_rep", "Siri")
    await register(kari)
    await kari.send("/followup")
    await mark(kari, "Review with the parties", "28.5")
    await ola.press(ola.last.buttons[1]["text"])  # "I was not involved", in Nynorsk
    await ola.send("Eg var på kurs.")
    kari_id, ola_id = await person_id(db, 101), await person_id(db, 102)

    # Only a leader of that unit can be replaced, and only by a leader invite for one unit.
    code, _, err = await run_cli(cli, "invite", "create", "--unit", "KIRPOL", "--role", "leader", "--replaces",
                                 str(ola_id), "--bot-username", "ForBedringBot")
    assert code == 1 and f"person {ola_id} is not a leader of that unit" in err
    code, _, err = await run_cli(cli, "invite", "create", "--unit", "KIRPOL", "--role", "safety_rep",
                                 "--replaces", str(kari_id), "--bot-username", "ForBedringBot")
    assert code == 1 and "--replaces is only for a leader invite for one unit" in err
    code, out, err = await run_cli(cli, "invite", "create", "--unit", "KIRPOL", "--role", "leader", "--replaces",
                                   str(kari_id), "--bot-username", "ForBedringBot")
    assert code == 0, err
    assert f"handover: person {kari_id}'s leader role there ends when the new leader joins" in out
    link = re.search(r"start=(\S+)", out).group(1)

    nina = harness.user(120, "Nina", "en")
    replies = await nina.send(f"/start {link}")
    assert replies[0].plain.startswith("Welcome! You are now registered as leader: Kirurgisk poliklinikk")
    summary = replies[-1].plain
    assert summary.startswith("Handover: Kirurgisk poliklinikk\nForBedring 2026: 1 of 9 steps done.\n")
    assert "Open steps\n⬜ 1. Preparation – by 1 February 2026\n⬜ 2. Survey – by 1 March 2026\n" \
           "⬜ 4. Feedback meeting – by 15 May 2026\n" in summary
    assert ("Open measures\n🗓 Tavlemøte – improve, Teamwork climate; by 1 December 2026; planned – "
            "last updated 1 June 2026") in summary
    assert ("Open objections\n⚠ safety representative Ola – Review with the parties: was not involved "
            "– «Eg var på kurs.»") in summary

    assert await memberships(db, 101) == []
    assert kari.last.plain.startswith("Your role as leader at Kirurgisk poliklinikk, Helse Bergen has ended. "
                                      "Nina has taken over as leader.")
    assert ola.last.plain == "Nina er no leiar for Kirurgisk poliklinikk og tek over etter Kari."
    assert siri.last.plain == "Nina is now the leader of Kirurgisk poliklinikk, taking over from Kari."

    # The plan, the measures and their history stay with the unit.
    replies = await nina.send("/measures")
    assert "Tavlemøte" in replies[0].plain
    async with db.session() as session:
        measure = (await session.exec(select(Measure))).one()
        actions = [e.action for e in (await session.exec(select(AuditEntry).order_by(AuditEntry.id))).all()]
    assert (measure.unit_id, measure.created_by) == (await unit_id(db, "KIRPOL"), kari_id)
    handover = actions.index("leader.handover")
    assert actions[handover - 2:handover + 1] == ["join", "membership.end", "leader.handover"]


async def test_handover_from_members_in_the_chat(harness, db, trust_people):
    anne, _, kari, ola, _ = trust_people
    await anne.send("/members")
    await anne.press("Kirurgisk poliklinikk")
    replies = await anne.press("New leader in place of Kari")
    assert replies[0].plain.startswith("Send this link to the new leader of Kirurgisk poliklinikk.")
    link = re.search(r"start=(\S+)", replies[1].plain).group(1)
    async with db.session() as session:
        invite = (await session.exec(select(Invite).where(Invite.replaces_person_id.is_not(None)))).one()
    assert (invite.role, invite.created_by) == ("leader", f"person:{await person_id(db, 900)}")

    nina = harness.user(120, "Nina", "en")
    replies = await nina.send(f"/start {link}")
    assert replies[-1].plain.startswith("Handover: Kirurgisk poliklinikk")
    assert await memberships(db, 101) == []
    assert ola.last.plain == "Nina er no leiar for Kirurgisk poliklinikk og tek over etter Kari."
    assert kari.last.plain.startswith("Your role as leader at Kirurgisk poliklinikk, Helse Bergen has ended.")
    # Kari is no leader there any more: a second handover invite for her is not made.
    await anne.press_data(routes.HANDOVER.build(await unit_id(db, "KIRPOL"), await person_id(db, 101)))
    assert anne.callback_answers()[-1]["text"].startswith("That person is not a leader of this unit any more")


# --- inactive people ---

async def test_an_inactive_person_stays_inactive_until_they_send_start(harness, db):
    kari = await harness.member(101, "leader", "Kari")
    kari_id = await person_id(db, 101)
    async with db.session() as session:
        await people.set_active(session, kari_id, False)

    replies = await kari.send("hello")
    assert [r.plain for r in replies] == [
        "You are marked as inactive, so I send you nothing. Send /start to use the bot again."]
    replies = await kari.send("/followup")
    assert len(replies) == 1 and replies[0].plain.startswith("You are marked as inactive")
    await kari.press_data(routes.FOLLOWUP.build(await unit_id(db, "KIRPOL")))
    assert kari.callback_answers()[-1]["text"].startswith("You are marked as inactive")
    async with db.session() as session:
        assert (await session.get(Person, kari_id)).active is False

    replies = await kari.send("/start")
    assert replies[0].plain.startswith("Hello, Kari!")
    async with db.session() as session:
        assert (await session.get(Person, kari_id)).active is True
    replies = await kari.send("/followup")
    assert replies[0].plain.startswith("ForBedring")


async def test_a_national_admin_and_a_region_leader_walk_down_to_a_unit(harness, db, monkeypatch):
    from conversations import members as members_conversation

    nils = await harness.member(910, "admin", "Nils", scope="national", place=None)
    rita = await harness.member(911, "leader", "Rita", scope="region", place="Helse Vest")
    await harness.member(104, "leader", "Frode", place="MED1", trust="HFD")
    replies = await nils.send("/members")
    assert replies[0].plain == "Whose roles? Choose a region."
    assert [b["text"] for b in nils.last.buttons] == ["Helse Sør-Øst", "Helse Vest"]
    replies = await nils.press("Helse Vest")
    assert replies[0].plain == "Helse Vest: choose a health trust."
    assert [b["text"] for b in nils.last.buttons] == ["Helse Bergen", "Helse Førde"]
    await nils.press("Helse Førde")
    replies = await nils.press("Medisinsk post Førde")
    assert replies[0].plain == "Medisinsk post Førde, Helse Førde\n• leader: Frode"

    # The region's leader starts at the region, and sees nothing outside it.
    replies = await rita.send("/members")
    assert replies[0].plain == "Helse Vest: choose a health trust."
    async with db.session() as session:
        from storage.models import HealthTrust, Region

        south_east = (await session.exec(select(Region.id).where(Region.code == "helse-sor-ost"))).one()
        ous = (await session.exec(select(HealthTrust.id).where(HealthTrust.code == "OUS"))).one()
    for data in (routes.MEMBERS_REGION.build(south_east), routes.MEMBERS_TRUST.build(ous)):
        await rita.press_data(data)
        assert rita.callback_answers()[-1]["text"] == "You cannot do that for this unit."

    # A trust's units come a page at a time.
    monkeypatch.setattr(members_conversation, "PAGE", 1)
    await rita.press("Helse Bergen")
    assert [b["text"] for b in rita.last.buttons] == ["Kirurgisk poliklinikk", "Next ➡"]
    await rita.press("Next ➡")
    assert [b["text"] for b in rita.last.buttons] == ["Medisinsk sengepost 1", "⬅ Previous"]


async def test_someone_with_two_trusts_chooses_first(harness):
    anne = await harness.member(900, "admin", "Anne", scope="trust", place="HB")
    await anne.send(f"/start {await harness.invite('leader', scope='trust', place='HFD')}")
    replies = await anne.send("/members")
    assert replies[0].plain == "Whose roles? Choose a region or a health trust."
    assert [b["text"] for b in anne.last.buttons] == ["Helse Bergen", "Helse Førde"]
    replies = await anne.press("Helse Førde")
    assert replies[0].plain == "Helse Førde: choose a unit."


async def test_a_handover_invite_is_for_one_person(harness, db, cli):
    await harness.member(101, "leader", "Kari")
    code, _, err = await run_cli(cli, "invite", "create", "--unit", "KIRPOL", "--role", "leader", "--uses", "2",
                                 "--replaces", str(await person_id(db, 101)), "--bot-username", "ForBedringBot")
    assert code == 1 and "a handover invite is for one person" in err
    async with db.session() as session:
        assert (await session.exec(select(Invite).where(Invite.replaces_person_id.is_not(None)))).first() is None


async def test_two_managers_ending_the_same_role_at_once_end_it_once(harness, db, trust_people):
    anne, lars, _, ola, _ = trust_people
    membership = (await memberships(db, 102))[0].id
    await anne.send("/members")
    await lars.send("/members")
    told_before = len(ola.messages)
    await asyncio.gather(anne.press_data(routes.MEMBER_END_YES.build(membership)),
                         lars.press_data(routes.MEMBER_END_YES.build(membership)))
    assert await memberships(db, 102) == []
    async with db.session() as session:
        ends = (await session.exec(select(AuditEntry).where(AuditEntry.action == "membership.end"))).all()
        notices = (await session.exec(select(OutboxMessage).where(OutboxMessage.person_id == await person_id(db, 102),
                                                                  OutboxMessage.kind == OutboxKind.NOTICE))).all()
    assert len(ends) == 1 and len(notices) == 1
    assert len(ola.messages) == told_before + 1
    answers = [m.plain for m in anne.messages[-1:] + lars.messages[-1:]] + \
        [a.get("text") for a in anne.callback_answers() + lars.callback_answers() if a.get("text")]
    assert sum(a.startswith("Done: Ola's role") for a in answers) == 1
    assert sum(a == "That role has already ended; nothing was changed." for a in answers) == 1


async def test_a_national_role_ended_from_the_command_line(harness, db, cli):
    nils = await harness.member(910, "admin", "Nils", scope="national", place=None, language="Bokmål")
    code, out, _ = await run_cli(cli, "member", "list")
    assert re.match(r"\s*\d+  Nils \(person \d+\)  admin  national$", out.strip())
    membership = (await memberships(db, 910))[0].id
    code, out, err = await run_cli(cli, "member", "remove", str(membership))
    assert code == 0, err
    await deliver(harness)
    assert nils.last.plain.startswith("Den nasjonale rollen din som administrator er avsluttet.")


async def test_only_what_concerns_units_no_longer_reached_is_dropped(harness, db, cli):
    from storage.models import Confirmation

    harness.set_today(date(2026, 6, 1))
    kari = await harness.member(101, "leader", "Kari")
    ola = await harness.member(102, "safety_rep", "Ola", language="Nynorsk")
    await ola.send(f"/start {await harness.invite('safety_rep', place='MED1', trust='HB')}")
    await harness.member(901, "leader", "Lars", scope="trust", place="HB")
    await register(kari)
    await kari.send("/followup")
    await mark(kari, "Review with the parties", "28.5")
    ola_id, lars_id = await person_id(db, 102), await person_id(db, 901)
    kirpol, med1 = await unit_id(db, "KIRPOL"), await unit_id(db, "MED1")
    async with db.session() as session:
        measure = (await session.exec(select(Measure.id))).one()
        confirmation = (await session.exec(select(Confirmation.id).where(Confirmation.person_id == ola_id))).one()
    await add_reminders(db, ola_id, [f"measure:{measure}", f"confirmation:{confirmation}", f"unit:{med1}"])
    await add_reminders(db, lars_id, [f"unit:{kirpol}", f"measure:{measure}"])
    # Ola's open dialog is about his other unit: it stays.
    await ola.send("/foresla")
    await ola.press("Medisinsk sengepost 1")

    membership = next(m for m in await memberships(db, 102) if m.unit_id == kirpol)
    code, out, _ = await run_cli(cli, "member", "remove", str(membership.id))
    assert "1 membership(s) ended, 0 open dialog(s) closed, 2 pending reminder(s) dropped" in out
    assert await reminder_states(db, ola_id) == {
        f"measure:{measure}": ReminderState.DROPPED, f"confirmation:{confirmation}": ReminderState.DROPPED,
        f"unit:{med1}": ReminderState.PENDING}
    async with db.session() as session:
        assert json.loads((await session.get(DialogState, ola_id)).data)["unit"] == med1

    # The leader above the units: ending the trust role drops the reminders about its units.
    code, out, _ = await run_cli(cli, "member", "remove", str((await memberships(db, 901))[0].id))
    assert "2 pending reminder(s) dropped" in out
    assert set((await reminder_states(db, lars_id)).values()) == {ReminderState.DROPPED}


async def test_ending_many_memberships_takes_as_many_statements_as_ending_one(harness, db):
    """Set-based: revoking an invite with its members costs the same whatever their number."""
    from bot.services.invites import revoke_invite
    from storage.statements import StatementCounter

    async def revoke_with(n: int, role: str) -> int:
        code_text = await harness.invite(role, uses=n)
        for i in range(n):
            user = harness.user(2000 + 100 * n + i, f"P{i}", "en")
            await user.send(f"/start {code_text}")
            await user.send("/propose" if role != "leader" else "/newmeasure")  # an open dialog each
            await add_reminders(db, await person_id(db, user.user_id), [f"unit:{await unit_id(db, 'KIRPOL')}"])
        async with db.session() as session:
            invite_id = (await session.exec(select(Invite.id).where(Invite.role == role))).one()
        with StatementCounter(db.engine) as counted:
            ending = await revoke_invite(db, invite_id, "test", datetime.now(timezone.utc), remove_members=True)
        assert (len(ending.ended), ending.dialogs_closed, ending.reminders_dropped) == (n, n, n)
        return counted.n

    assert await revoke_with(1, "safety_rep") == await revoke_with(6, "union_rep")


async def test_a_handover_summary_shows_an_erased_rep_as_a_former_rep(harness, db, cli):
    harness.set_today(date(2026, 6, 1))
    kari = await harness.member(101, "leader", "Kari")
    ola = await harness.member(102, "safety_rep", "Ola")
    await kari.send("/followup")
    await mark(kari, "Review with the parties", "28.5")
    await ola.press(ola.last.buttons[1]["text"])  # "I was not involved"
    await ola.send("I was away.")
    ola_id, kari_id = await person_id(db, 102), await person_id(db, 101)
    code, _, err = await run_cli(cli, "person", "erase", str(ola_id), "--yes")
    assert code == 0, err
    code, out, err = await run_cli(cli, "invite", "create", "--unit", "KIRPOL", "--role", "leader", "--replaces",
                                   str(kari_id), "--bot-username", "ForBedringBot")
    assert code == 0, err
    nina = harness.user(120, "Nina", "en")
    link = re.search(r"start=(\S+)", out).group(1)
    summary = (await nina.send(f"/start {link}"))[-1].plain
    assert ("Open objections\n⚠ former safety representative – Review with the parties: was not involved "
            "– «(removed)»") in summary
