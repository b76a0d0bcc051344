"""The words and buttons of the daily reminder digest. The sweep (bot/services/reminders.py)
says what is due as data; this turns it into the message: text, HTML and the buttons'
callback data, which the handlers of conversations/ answer."""

from __future__ import annotations

import json
from html import escape

from telegram import InlineKeyboardButton as Button
from telegram import InlineKeyboardMarkup as Keyboard

from bot.i18n import N_, Translator, translator
from bot.rules import nudges
from bot.rules.labels import short_label
from bot.rules.measures import QUICK_STATUS
from bot.rules.methods import FORBEDRING
from bot.rules.vocabulary import Answer
from bot.services.reminders import Action, Digest, Item
from conversations import routes

# The labels of the answers a rep may give from a digest.
ANSWER_LABELS = {
    Answer.ACKNOWLEDGED: N_("Acknowledge"),
    Answer.OBJECTED: N_("Object"),
    Answer.TOOK_PART: N_("I took part"),
    Answer.NOT_INVOLVED: N_("I was not involved"),
}


def digest_message(digest: Digest) -> tuple[str, str | None]:
    """The digest in its reader's language: the text and the reply markup as JSON (for the outbox).
    The sweep words thousands of digests at a time, so the buttons are written as Telegram's JSON
    directly: building PTB's objects for each button cost more than all the rest of the sweep."""
    text, rows = digest_parts(translator(digest.language), digest, _json_button)
    return text, json.dumps({"inline_keyboard": rows})


def render_digest(t: Translator, digest: Digest) -> tuple[str, Keyboard]:
    text, rows = digest_parts(t, digest, Button)
    return text, Keyboard(rows)


def digest_parts(t: Translator, digest: Digest, make) -> tuple[str, list[list]]:
    """The text and the rows of buttons, each button made by `make(text, callback_data=...)`."""
    lines = [f"<b>{t._(nudges.REMINDERS_TITLE)}</b>"]
    rows: list[list] = []
    for item in digest.items:
        lines += ["", f"<b>{t._(nudges.REASONS[item.reason][1])}</b>", item_text(t, item) if item.found else ""]
        rows += [[button(t, action, make) for action in row] for row in item.rows]
    rows += _footer(t, digest.rows, make)
    return "\n".join(lines), rows


_FOOTERS: dict[tuple, list[list]] = {}


def _footer(t: Translator, rows, make) -> list[list]:
    """The buttons under a digest, the same under every digest in a language: made once."""
    key = (t.language, rows, make)
    if key not in _FOOTERS:
        _FOOTERS[key] = [[button(t, action, make) for action in row] for row in rows]
    return _FOOTERS[key]


def _json_button(text: str, callback_data: str) -> dict:
    return {"callback_data": callback_data, "text": text}  # as PTB's to_dict() writes it


def item_text(t: Translator, item: Item) -> str:
    unit = escape(item.unit)
    if item.reason == "measure_due":
        return t._("“{title}” is due {date}.", title=escape(item.measure), date=t.date(item.on))
    if item.reason == "measure_overdue":
        return t._("“{title}” was due {date}. Update its status or its deadline.", title=escape(item.measure),
                   date=t.date(item.on))
    if item.reason == "confirm_pending":
        if item.about == "plan":
            what = t._("the action plan")
        else:
            step = FORBEDRING.step(item.about.split(":", 1)[1])
            what = t._(step.title) if step else item.about
        return t._("You were asked on {date} about “{what}” for {unit}. Please answer:",
                   date=t.date(item.on), what=what, unit=unit)
    if item.reason == "results":
        # It goes to the leader and the reps alike.
        return t._("{unit}: the leader, the safety rep and the union rep go through the results together before "
                   "the staff meeting.", unit=unit)
    if item.reason in ("review_late", "feedback_late"):
        return t._("{unit}: when it is done, mark the step done in the follow-up.", unit=unit)
    if item.reason in ("plan_14", "plan_3", "plan_overdue"):
        return t._("{unit}: the deadline is {date}. Add at least one measure to preserve and one to improve, "
                   "and submit the plan.", unit=unit, date=t.date(item.on))
    if item.reason == "plan_escalated":
        return t._("{unit} has not submitted its action plan (deadline {date}).", unit=unit, date=t.date(item.on))
    if item.reason == "status":
        text = t._("{unit}: give each open measure a short status – one tap each.", unit=unit)
        return text + " " + t._("The rest are in /measures.") if item.more else text
    return t._("{unit}: some measures are not evaluated yet; the deadline is {date}.", unit=unit,
               date=t.date(item.on))


def button(t: Translator, action: Action, make=Button):
    """One wanted button, worded, with the callback data its handler answers (a PTB button, or what
    `make` makes of its text and callback data)."""
    kind, target, value = action.kind, action.target, action.value
    if kind == "open_measure":
        return make(t._("Open the measure"), callback_data=routes.MEASURE.build(target))
    if kind == "measure_title":
        return make(short_label(value, 60), callback_data=routes.MEASURE.build(target))
    if kind == "quick_status":  # conversations/reminders.py quick_status_button
        return make(t._(QUICK_STATUS[value]), callback_data=routes.QUICK_STATUS_PRESS.build(target, value))
    if kind == "answer":  # conversations/followup.py
        return make(t._(ANSWER_LABELS[value]), callback_data=routes.CONFIRMATION.build(target, value))
    if kind == "open_followup":
        return make(t._("Open the follow-up"), callback_data=routes.FOLLOWUP.build(target))
    if kind == "open_step":
        return make(t._("Open the step"), callback_data=routes.FOLLOWUP_STEP.build(target, value))
    if kind == "open_plan":
        return make(t._("Open the plan"), callback_data=routes.PLAN.build(target))
    if kind == "remind_leader":  # conversations/reminders.py remind_leader_button
        return make(t._("Remind the leader of {unit}", unit=short_label(value, 40)), callback_data=routes.REMIND_LEADER.build(target))
    if kind == "list_measures":
        return make(t._("The measures"), callback_data=routes.MEASURE_LIST.build(target))
    if kind == "snooze":
        return make(t._("Remind me in a week"), callback_data=routes.SETTINGS.build("snooze"))
    if kind == "settings":
        return make(t._("Reminder settings"), callback_data=routes.SETTINGS.build("settings"))
    raise ValueError(f"no button for {kind!r}")
