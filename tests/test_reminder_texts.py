"""The digest's reply markup is put together from pieces made once per language and kind of button
(conversations/reminder_texts.py): it must be exactly what PTB's InlineKeyboardMarkup writes for
the same buttons, made one by one through their routes, and a button whose data would not fit
Telegram's 64 bytes is refused as before."""

from __future__ import annotations

import json
from datetime import date

import pytest

from bot.dialogs.callbacks import CallbackTooLong
from bot.i18n import LANGUAGES, Translator
from bot.rules.measures import QUICK_STATUS
from bot.rules.vocabulary import Answer
from bot.services.reminders import Action, Digest, Item
from conversations import routes
from conversations.reminder_texts import digest_message, render_digest


def every_kind() -> tuple[Item, ...]:
    """One item of every reason, with every kind of button, names that need escaping in HTML and
    JSON, a long title and a long unit name, and one item whose subject is gone."""
    long_name = "Klinikk for psykisk helse og rusbehandling, sengepost 3 – «Øst» & \"Vest\""
    status_rows = []
    for measure_id, title in ((7, "Faste møter <hver> måned"), (123456789012, "Fast månedlig møte mellom leder, "
                                                                         "verneombud og tillitsvalgt om tiltakene")):
        status_rows.append((Action("measure_title", measure_id, title),))
        status_rows.append(tuple(Action("quick_status", measure_id, key) for key in QUICK_STATUS))
    return (
        Item("results", unit="Kirurgisk poliklinikk & co", rows=((Action("open_followup", 11),),)),
        Item("review_late", unit="A", rows=((Action("open_step", 11, "review"),),)),
        Item("feedback_late", unit="A", rows=((Action("open_step", 12, "feedback"),),)),
        Item("plan_3", unit="B", on=date(2027, 6, 20), rows=((Action("open_plan", 13),),)),
        Item("plan_overdue", unit=long_name, on=date(2027, 6, 20),
             rows=((Action("remind_leader", 14, long_name),),)),
        Item("confirm_pending", unit="C", on=date(2027, 5, 2), about="plan",
             rows=((Action("answer", 15, Answer.ACKNOWLEDGED), Action("answer", 15, Answer.OBJECTED)),)),
        Item("confirm_pending", unit="C", on=date(2027, 5, 2), about="step:review",
             rows=((Action("answer", 16, Answer.TOOK_PART), Action("answer", 16, Answer.NOT_INVOLVED)),)),
        Item("status", unit="D", more=True, rows=tuple(status_rows)),
        Item("measure_due", measure="Tittel med \"sitat\"", on=date(2027, 3, 14), rows=((Action("open_measure", 0),),)),
        Item("measure_overdue", found=False),
        Item("evaluation", unit="E", on=date(2027, 12, 1), rows=((Action("list_measures", 17),),)),
        # The survey window: a link (no callback data) beside a button (issue 14).
        Item("survey_open", unit="F & co", on=date(2027, 3, 3),
             rows=((Action("open_url", 0, "https://www.sammenomforbedring.no/?a=1&b=\"2\""),
                    Action("open_step", 18, "survey")),)),
        Item("survey_halfway", unit="F", on=date(2027, 3, 3), rows=((Action("open_step", 18, "survey"),),)),
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_digest_json_is_what_ptb_writes_for_the_same_buttons(language):
    digest = Digest(5, language, every_kind())
    text, markup = digest_message(digest)
    expected_text, keyboard = render_digest(Translator(language), digest)
    assert text == expected_text
    assert markup == keyboard.to_json()
    rows = json.loads(markup)["inline_keyboard"]
    footer = keyboard.inline_keyboard[-1]
    assert rows[-1] == [{"callback_data": routes.SETTINGS.build("snooze"), "text": footer[0].text},
                        {"callback_data": routes.SETTINGS.build("settings"), "text": footer[1].text}]
    # Made again (the pieces are in the cache now), the same.
    assert digest_message(digest) == (text, markup)
    # The presses parse back to what they are about.
    data = [button["callback_data"] for row in rows for button in row if "url" not in button]
    assert routes.QUICK_STATUS_PRESS.parse(f"qs:123456789012:{list(QUICK_STATUS)[0]}").measure == 123456789012
    assert f"qs:123456789012:{list(QUICK_STATUS)[-1]}" in data
    assert routes.REMIND_LEADER.build(14) in data and routes.MEASURE.build(0) in data


def test_an_empty_digest_has_only_the_footer():
    text, markup = digest_message(Digest(5, "nn", ()))
    assert markup == render_digest(Translator("nn"), Digest(5, "nn", ()))[1].to_json()
    assert len(json.loads(markup)["inline_keyboard"]) == 1


@pytest.mark.parametrize("target", [10 ** 70, -3, "12:ab", True])
def test_a_target_that_cannot_be_callback_data_is_refused_as_before(target):
    digest = Digest(5, "nb", (Item("results", unit="A", rows=((Action("open_followup", target),),)),))
    with pytest.raises((CallbackTooLong, ValueError)):
        render_digest(Translator("nb"), digest)
    with pytest.raises((CallbackTooLong, ValueError)):
        digest_message(digest)


def test_an_unknown_kind_of_button_is_refused():
    with pytest.raises(ValueError):
        digest_message(Digest(5, "nb", (Item("results", unit="A", rows=((Action("teleport", 1),),)),)))
