"""The words and buttons of the daily reminder digest. The sweep (bot/services/reminders.py)
says what is due as data; this turns it into the message: text, HTML and the buttons'
callback data, which the handlers of conversations/ answer."""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardButton as Button
from telegram import InlineKeyboardMarkup as Keyboard

from bot.i18n import N_, Translator, translator
from bot.outbox import markup_json
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
    """The digest in its reader's language: the text and the reply markup as JSON (for the outbox)."""
    text, keyboard = render_digest(translator(digest.language), digest)
    return text, markup_json(keyboard)


def render_digest(t: Translator, digest: Digest) -> tuple[str, Keyboard]:
    lines = [f"<b>{t._(nudges.REMINDERS_TITLE)}</b>"]
    rows: list[list[Button]] = []
    for item in digest.items:
        lines += ["", f"<b>{t._(nudges.REASONS[item.reason][1])}</b>", item_text(t, item) if item.found else ""]
        rows += [[button(t, action) for action in row] for row in item.rows]
    rows += [[button(t, action) for action in row] for row in digest.rows]
    return "\n".join(lines), Keyboard(rows)


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


def button(t: Translator, action: Action) -> Button:
    """One wanted button, worded, with the callback data its handler answers."""
    kind, target, value = action.kind, action.target, action.value
    if kind == "open_measure":
        return Button(t._("Open the measure"), callback_data=f"me:{target}")
    if kind == "measure_title":
        return Button(short_label(value, 60), callback_data=f"me:{target}")
    if kind == "quick_status":  # conversations/reminders.py quick_status_button
        return Button(t._(QUICK_STATUS[value]), callback_data=f"qs:{target}:{value}")
    if kind == "answer":  # conversations/followup.py
        return Button(t._(ANSWER_LABELS[value]), callback_data=routes.CONFIRMATION.build(target, value))
    if kind == "open_followup":
        return Button(t._("Open the follow-up"), callback_data=routes.FOLLOWUP.build(target))
    if kind == "open_step":
        return Button(t._("Open the step"), callback_data=routes.FOLLOWUP_STEP.build(target, value))
    if kind == "open_plan":
        return Button(t._("Open the plan"), callback_data=f"pl:{target}")
    if kind == "remind_leader":  # conversations/reminders.py remind_leader_button
        return Button(t._("Remind the leader of {unit}", unit=short_label(value, 40)), callback_data=f"ra:{target}")
    if kind == "list_measures":
        return Button(t._("The measures"), callback_data=f"ml:{target}")
    if kind == "snooze":
        return Button(t._("Remind me in a week"), callback_data="nz:snooze")
    if kind == "settings":
        return Button(t._("Reminder settings"), callback_data="nz:settings")
    raise ValueError(f"no button for {kind!r}")
