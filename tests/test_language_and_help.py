"""Language choice, /help and the menus."""

from __future__ import annotations

from storage import people


async def joined(harness, user_id, role="leader", language="Bokmål", first_name="Test"):
    """Joined in one step: Telegram told the language."""
    return await harness.member(user_id, role, first_name, language=language)


async def test_language_choice_survives_a_restart(harness, db):
    ola = await joined(harness, 801, first_name="Ola", language="Nynorsk")
    await harness.restart()
    replies = await ola.send("/help")
    assert "• leiar: Kirurgisk poliklinikk" in replies[0].plain
    assert "/sprak – Byt språk" in replies[0].plain

    await ola.send("/language")
    replies = await ola.press("English")
    assert replies[0].plain == "Language: English"
    await harness.restart()
    replies = await ola.send("/start")
    assert replies[0].plain.startswith("Hello, Ola!")
    async with db.session() as session:
        person = await people.person_by_telegram_id(session, 801)
    assert (person.language, person.language_chosen) == ("en", True)


async def test_changing_language_later_shows_no_privacy_notice_again(harness):
    kari = await joined(harness, 802, first_name="Kari")
    await kari.send("/sprak")
    assert [b["text"] for b in kari.last.buttons] == ["✓ Bokmål", "Nynorsk", "English"]
    replies = await kari.press("Nynorsk")
    assert [m.plain for m in replies] == ["Språk: Nynorsk"]


async def test_help_lists_what_the_role_can_do_in_three_languages(harness):
    for user_id, language, expected in [
        (803, "Bokmål", "Dette kan du gjøre:\n/start – Menyen din\n/oppfolging – Hvor enheten din står i året\n"
                        "/tiltak – Enhetens tiltak\n/foresla – Foreslå et tiltak\n/handlingsplan – Enhetens handlingsplan\n"
                        "/framdrift – Hvordan enhetene ligger an\n/forsinket – Enheter med forsinkede steg eller tiltak\n"
                        "/eksport – Eksporter tiltak og framdrift (XLSX; /eksport csv)\n"
                        "/diagram – Diagram over stegene (/diagram uker)\n"
                        "/innstillinger – Påminnelsene dine\n/avbryt – Avbryt det du holder på med\n"
                        "/hjelp – Hva du kan gjøre\n/sprak – Bytt språk\n"
                        "/personvern – Personvern: hva som lagres, hvem som ser det, hvor lenge\n"
                        "/minedata – Alt som er lagret om deg, som fil\n/slettmeg – Slett alt om deg"),
        (804, "Nynorsk", "Dette kan du gjere:\n/start – Menyen din\n/oppfolging – Kvar eininga di står i året\n"
                         "/tiltak – Tiltaka til eininga\n/foresla – Føreslå eit tiltak\n"
                         "/handlingsplan – Handlingsplanen til eininga\n/framdrift – Korleis einingane ligg an\n"
                         "/forseinka – Einingar med forseinka steg eller tiltak\n"
                         "/eksport – Eksporter tiltak og framdrift (XLSX; /eksport csv)\n"
                         "/diagram – Diagram over stega (/diagram veker)\n/innstillingar – Påminningane dine\n"
                         "/avbryt – Avbryt det du held på med\n/hjelp – Kva du kan gjere\n/sprak – Byt språk\n"
                         "/personvern – Personvern: kva som blir lagra, kven som ser det, kor lenge\n"
                         "/minedata – Alt som er lagra om deg, som fil\n/slettmeg – Slett alt om deg"),
        (805, "English", "What you can do:\n/start – Your menu\n/followup – Where your unit stands in the year\n"
                         "/measures – The unit's measures\n/propose – Propose a measure\n/plan – The unit's action plan\n"
                         "/progress – How the units are doing\n/overdue – Units with overdue steps or measures\n"
                         "/export – Export measures and progress (XLSX; /export csv)\n"
                         "/chart – Chart of step completion (/chart weeks)\n"
                         "/settings – Your reminders\n/cancel – Stop what you are doing\n/help – What you can do\n/language – Change language\n"
                         "/privacy – Privacy: what is stored, who sees it, how long\n"
                         "/mydata – Everything stored about you, as a file\n/deleteme – Delete everything about you"),
    ]:
        user = await joined(harness, user_id, role="union_rep", language=language)
        replies = await user.send("/help")
        assert replies[0].plain.endswith(expected)


async def test_default_menus_are_set_per_language_at_start(harness):
    menus = {c.params.get("language_code"): c.params["commands"]
             for c in harness.telegram.calls_to("setMyCommands") if "scope" not in c.params}
    assert set(menus) == {None, "nb", "nn", "en", "no"}
    assert menus["en"] == [{"command": "start", "description": "Your menu"},
                           {"command": "help", "description": "What you can do"},
                           {"command": "privacy", "description": "Privacy: what is stored, who sees it, how long"}]
    assert menus["no"] == menus["nb"] == menus[None]


async def test_strangers_cannot_use_member_commands_or_buttons(harness, db):
    stranger = harness.user(806, "Stranger", language_code="nb")
    replies = await stranger.send("/language")
    assert "Jeg kjenner deg ikke ennå" in replies[0].plain
    # A forged language button from someone the bot does not know changes nothing.
    kari = await joined(harness, 807, first_name="Kari")
    await kari.send("/language")
    await stranger.press_data("lang:en", kari.last)
    answer = stranger.callback_answers()[-1]
    assert answer["show_alert"] and "Jeg kjenner deg ikke ennå" in answer["text"]
    async with db.session() as session:
        assert await people.person_by_telegram_id(session, 806) is None


async def test_forged_language_value_is_refused(harness, db):
    kari = await joined(harness, 808, first_name="Kari")
    await kari.send("/language")
    await kari.press_data("lang:de")
    assert kari.callback_answers()[-1]["text"] == "Det valget finnes ikke."
    await kari.press_data("lang:nn:elsewhere")
    assert kari.callback_answers()[-1]["text"] == "Det valget finnes ikke."
    await kari.press_data("lang")
    assert kari.callback_answers()[-1]["text"] == "Det valget finnes ikke."
    async with db.session() as session:
        assert (await people.person_by_telegram_id(session, 808)).language == "nb"


async def test_old_unknown_button_says_so(harness):
    kari = await joined(harness, 809, first_name="Kari")
    await kari.press_data("m:st:99999:done")
    assert "Den knappen er ikke i bruk lenger" in kari.callback_answers()[-1]["text"]


async def test_member_typing_free_text_gets_pointed_to_help(harness):
    kari = await joined(harness, 810, first_name="Kari", language="English")
    replies = await kari.send("what now?")
    assert replies[0].plain == "I didn't understand that. /help shows what you can do."


async def test_names_with_markup_are_shown_safely(harness):
    user = harness.user(811, first_name="<b>Bob & 'Ærlig' Øyvind 😀</b>")
    replies = await user.send(f"/start {await harness.invite('leader')}")
    assert replies[-1].plain.startswith("Hei, <b>Bob & 'Ærlig' Øyvind 😀</b>!")


async def test_a_blocked_person_who_writes_again_is_active_again(harness, db):
    kari = await joined(harness, 812, first_name="Kari")
    async with db.session() as session:
        person = await people.person_by_telegram_id(session, 812)
        await people.set_active(session, person.id, False)
    await kari.send("/start")
    async with db.session() as session:
        assert (await people.person_by_telegram_id(session, 812)).active is True
