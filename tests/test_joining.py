"""Joining with an invite code, as a person would on Telegram."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest

from storage import people


async def member_roles(db, user_id):
    async with db.session() as session:
        person = await people.person_by_telegram_id(session, user_id)
        if person is None:
            return None
        return [(m.role, m.place) for m in await people.memberships_of(session, person.id)]


@pytest.mark.parametrize("role, scope, place, label_nb, expected_place", [
    ("leader", "unit", "KIRPOL", "leder", "Kirurgisk poliklinikk, Helse Bergen"),
    ("safety_rep", "unit", "KIRPOL", "verneombud", "Kirurgisk poliklinikk, Helse Bergen"),
    ("union_rep", "unit", "KIRPOL", "tillitsvalgt", "Kirurgisk poliklinikk, Helse Bergen"),
    ("programme_staff", "national", None, "programstab", None),
    ("admin", "national", None, "administrator", None),
    ("leader", "trust", "HB", "leder", "Helse Bergen"),
    ("admin", "region", "Helse Vest", "administrator", "Helse Vest"),
])
async def test_each_role_joins_in_one_step_in_the_language_telegram_tells(harness, db, role, scope, place,
                                                                          label_nb, expected_place):
    code = await harness.invite(role, scope=scope, place=place)
    kari = harness.user(501, "Kari", language_code="no")

    replies = await kari.send(f"/start {code}")

    # Telegram's "no" is Bokmål: the welcome comes at once in Bokmål, naming the role and
    # place, with a button to change the language; then the privacy notice and the menu.
    texts = [m.plain for m in replies]
    assert len(replies) == 3
    assert texts[0].startswith(f"Velkommen! Du er nå registrert som {label_nb}")
    assert "språk vil du" not in texts[0]
    assert [b["text"] for b in replies[0].buttons] == ["🌐 Bytt språk"]
    assert "Personvern" in texts[1] and "Ikke skriv navn eller helseopplysninger" in texts[1]
    assert texts[2].startswith("Hei, Kari!") and "Du er registrert som:" in texts[2]
    assert await member_roles(db, 501) == [(role, expected_place)]
    # A personal command menu in that language was set for this chat.
    menu = harness.telegram.calls_to("setMyCommands")[-1].params
    assert menu["scope"] == {"type": "chat", "chat_id": 501}
    assert "Bytt språk" in [c["description"] for c in menu["commands"]]
    # The language is kept: nothing asks for it later, also after a restart.
    async with db.session() as session:
        person = await people.person_by_telegram_id(session, 501)
    assert (person.language, person.language_chosen) == ("nb", True)
    await harness.restart()
    replies = await kari.send("/start")
    assert len(replies) == 1 and replies[0].plain.startswith("Hei, Kari!")


async def test_the_welcome_button_changes_the_language(harness, db):
    kari = harness.user(503, "Kari", language_code="nb")  # Telegram has no Nynorsk: she arrives as nb
    welcome, *_ = await kari.send(f"/start {await harness.invite('leader')}")

    replies = await kari.press("Bytt språk", welcome)
    assert [m.plain for m in replies] == ["Hvilket språk vil du at jeg skal bruke?"]
    assert [b["text"] for b in replies[0].buttons] == ["✓ Bokmål", "Nynorsk", "English"]

    # Chosen from the welcome: the privacy notice and the menu come again, in Nynorsk.
    replies = await kari.press("Nynorsk")
    texts = [m.plain for m in replies]
    assert texts[0] == "Språk: Nynorsk"
    assert "Personvern" in texts[1] and "Ikkje skriv namn eller helseopplysningar" in texts[1]
    assert texts[2].startswith("Hei, Kari!") and "• leiar: Kirurgisk poliklinikk" in texts[2]
    assert "Byt språk" in [c["description"] for c in harness.telegram.calls_to("setMyCommands")[-1].params["commands"]]
    async with db.session() as session:
        assert (await people.person_by_telegram_id(session, 503)).language == "nn"
    replies = await kari.send("/help")
    assert "Dette kan du gjere:" in replies[0].plain


@pytest.mark.parametrize("telegram_language, expected_welcome, question", [
    (None, "Velkommen! Du er nå registrert som leder", "Hvilket språk vil du at jeg skal bruke?"),
    ("de", "Welcome! You are now registered as leader", "Which language do you want me to use?"),
])
async def test_the_language_is_asked_first_when_telegram_does_not_tell_it(harness, db, telegram_language,
                                                                           expected_welcome, question):
    # No language from Telegram: the default (Bokmål); one we do not speak: English.
    ola = harness.user(504, "Ola", language_code=telegram_language)
    replies = await ola.send(f"/start {await harness.invite('leader')}")

    assert len(replies) == 1
    assert replies[0].plain.startswith(expected_welcome) and replies[0].plain.endswith(question)
    assert [b["text"].removeprefix("✓ ") for b in replies[0].buttons] == ["Bokmål", "Nynorsk", "English"]
    replies = await ola.press("Nynorsk")
    texts = [m.plain for m in replies]
    assert texts[0] == "Språk: Nynorsk"
    assert "Personvern" in texts[1]
    assert texts[2].startswith("Hei, Ola!")
    async with db.session() as session:
        person = await people.person_by_telegram_id(session, 504)
    assert (person.language, person.language_chosen) == ("nn", True)


async def test_english_speaker_is_answered_in_english(harness):
    code = await harness.invite("safety_rep")
    sam = harness.user(502, "Sam", language_code="en-GB")
    replies = await sam.send(f"/start {code}")
    assert "Welcome! You are now registered as safety representative: Kirurgisk poliklinikk" in replies[0].plain
    assert [b["text"] for b in replies[0].buttons] == ["🌐 Change language"]
    assert replies[1].plain.startswith("Privacy") and replies[2].plain.startswith("Hello, Sam!")


@pytest.mark.parametrize("problem, expected", [
    ("unknown", "Jeg kjenner ikke igjen den invitasjonskoden"),
    ("expired", "Den invitasjonslenken er utløpt"),
    ("revoked", "Den invitasjonslenken er trukket tilbake"),
    ("used_up", "Den invitasjonslenken er allerede brukt"),
    ("malformed", "Jeg kjenner ikke igjen den invitasjonskoden"),
])
async def test_bad_codes_get_a_clear_answer_and_change_nothing(harness, db, problem, expected):
    from bot.services.invites import list_invites, revoke_invite

    now = datetime.now(timezone.utc)
    if problem == "unknown":
        code = "A" * 32
    elif problem == "malformed":
        code = "<b>&nbsp;"
    elif problem == "expired":
        code = await harness.invite("leader", expires_in=timedelta(hours=1), now=now - timedelta(hours=2))
    elif problem == "revoked":
        code = await harness.invite("leader")
        invite_id = (await list_invites(db, include_inactive=False, now=now))[0].invite.id
        await revoke_invite(db, invite_id, "test", now)
    else:
        code = await harness.invite("leader")
        first = harness.user(600, "First")
        await first.send(f"/start {code}")

    ola = harness.user(601, "Ola")
    replies = await ola.send(f"/start {code}")

    assert len(replies) == 1 and expected in replies[0].plain
    assert await member_roles(db, 601) is None  # no person, no membership was made


async def test_used_invite_keeps_its_count_when_the_same_person_opens_it_again(harness, db):
    code = await harness.invite("leader", uses=2)
    kari = harness.user(610, "Kari")
    await kari.send(f"/start {code}")
    replies = await kari.send(f"/start {code}")
    assert "Du er allerede registrert som leder" in replies[0].plain
    # The second use is still there for someone else.
    other = harness.user(611, "Per")
    replies = await other.send(f"/start {code}")
    assert "Velkommen!" in replies[0].plain
    assert await member_roles(db, 610) == [("leader", "Kirurgisk poliklinikk, Helse Bergen")]


async def test_repeated_wrong_codes_are_slowed_down(harness, db):
    guesser = harness.user(620, "Guesser")
    for attempt in range(5):
        replies = await guesser.send(f"/start {'B' * 31}{attempt}")
        assert "kjenner ikke igjen" in replies[0].plain
    # Now even a valid code must wait, and it is not spent.
    code = await harness.invite("leader")
    replies = await guesser.send(f"/start {code}")
    assert "For mange feil koder. Vent 15 minutter" in replies[0].plain
    assert await member_roles(db, 620) is None
    honest = harness.user(621, "Honest")
    assert "Velkommen!" in (await honest.send(f"/start {code}"))[0].plain


async def test_start_without_code(harness):
    stranger = harness.user(630, "Stranger", language_code="en")
    replies = await stranger.send("/start")
    assert "you need an invite link" in replies[0].plain
    replies = await stranger.send("hello?")
    assert "you need an invite link" in replies[0].plain


async def test_known_person_gets_the_menu(harness):
    code = await harness.invite("leader")
    kari = harness.user(640, "Kari")
    await kari.send(f"/start {code}")
    replies = await kari.send("/start")
    assert replies[0].plain.startswith("Hei, Kari!")
    assert "• leder: Kirurgisk poliklinikk, Helse Bergen" in replies[0].plain
    assert "/sprak – Bytt språk" in replies[0].plain


async def test_one_person_can_hold_several_memberships(harness, db):
    kari = harness.user(650, "Kari")
    await kari.send(f"/start {await harness.invite('leader', place='KIRPOL')}")
    replies = await kari.send(f"/start {await harness.invite('safety_rep', place='AKUTT')}")
    assert replies[0].plain == "Velkommen! Du er nå registrert som verneombud: Akuttmottaket, Oslo universitetssykehus."
    menu = replies[-1].plain
    assert "• leder: Kirurgisk poliklinikk, Helse Bergen" in menu
    assert "• verneombud: Akuttmottaket, Oslo universitetssykehus" in menu


async def test_unit_code_shared_by_two_trusts_needs_the_trust(harness):
    from bot.rules.errors import InviteError

    with pytest.raises(InviteError, match="several trusts"):
        await harness.invite("leader", place="MED1")
    code = await harness.invite("leader", place="MED1", trust="HFD")
    replies = await harness.user(660, "Kari").send(f"/start {code}")
    assert "Medisinsk post Førde, Helse Førde" in replies[0].plain


async def test_two_people_at_once(harness, db):
    code = await harness.invite("leader", uses=1)
    a, b = harness.user(701, "A"), harness.user(702, "B")
    replies_a, replies_b = await asyncio.gather(a.send(f"/start {code}"), b.send(f"/start {code}"))
    texts = sorted([replies_a[0].plain[:10], replies_b[0].plain[:10]])
    # Exactly one of them got the single use.
    assert texts == sorted(["Velkommen!", "Den invita"])
    assert sum([await member_roles(db, 701) is not None, await member_roles(db, 702) is not None]) == 1
