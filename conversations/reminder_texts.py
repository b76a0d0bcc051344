"""The words and buttons of the daily reminder digest. The sweep (bot/services/reminders.py)
says what is due as data; this turns it into the message: text, HTML and the buttons'
callback data, which the handlers of conversations/ answer."""

from __future__ import annotations

import json
from functools import lru_cache
from html import escape
from typing import Callable

from telegram import InlineKeyboardButton as Button
from telegram import InlineKeyboardMarkup as Keyboard

from bot.i18n import N_, Translator, translator
from bot.rules import nudges
from bot.rules.labels import short_label
from bot.rules.measures import QUICK_STATUS
from bot.rules.dst import GATHERING_KINDS
from bot.rules.methods import DST, FORBEDRING
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


L_ABOUT_SURVEY = N_("About the survey")  # the survey-window reminders' link


def digest_message(digest: Digest) -> tuple[str, str | None]:
    """The digest in its reader's language: the text and the reply markup as JSON (for the outbox).
    The sweep words thousands of digests at a time (a status day: 9,000 digests, 280,000 buttons), so
    the JSON is put together from pieces made once per language and kind of button (`_Wording`): the
    same JSON as PTB's InlineKeyboardMarkup.to_json() (tests/test_reminder_texts.py compares them)."""
    wording = _wording(digest.language)
    t = wording.t
    lines = [wording.title]
    rows: list[str] = []
    previous, shown = None, set()
    for item in digest.items:
        if item.reason != previous or item.reason != "above_weekly":  # the week's units under one heading
            lines += ["", wording.reason(item.reason)]
        lines.append(item_text(t, item) if item.found else "")
        rows += map(wording.row, _item_rows(item, shown))
        previous = item.reason
    rows += wording.footer(digest.rows)
    return "\n".join(lines), '{"inline_keyboard": [' + ", ".join(rows) + "]}"


def render_digest(t: Translator, digest: Digest) -> tuple[str, Keyboard]:
    text, rows = digest_parts(t, digest, Button)
    return text, Keyboard(rows)


def digest_parts(t: Translator, digest: Digest, make) -> tuple[str, list[list]]:
    """The text and the rows of buttons, each button made by `make(text, callback_data=...)`."""
    lines = [f"<b>{t._(nudges.REMINDERS_TITLE)}</b>"]
    rows: list[list] = []
    previous, shown = None, set()
    for item in digest.items:
        if item.reason != previous or item.reason != "above_weekly":  # the week's units under one heading
            lines += ["", f"<b>{t._(nudges.REASONS[item.reason][1])}</b>"]
        lines.append(item_text(t, item) if item.found else "")
        rows += [[button(t, action, make) for action in row] for row in _item_rows(item, shown)]
        previous = item.reason
    rows += _footer(t, digest.rows, make)
    return "\n".join(lines), rows


_FOOTERS: dict[tuple, list[list]] = {}
_OPEN_RAISED = (Action("open_raised"),)


def _item_rows(item: Item, shown: set):
    """An item's rows of buttons; the weekly digest's "Problems raised to you" only once (`shown`:
    what this digest has shown so far)."""
    if item.reason != "above_weekly":
        return item.rows
    if _OPEN_RAISED in shown:
        return [row for row in item.rows if row != _OPEN_RAISED]
    if _OPEN_RAISED in item.rows:
        shown.add(_OPEN_RAISED)
    return item.rows


def _footer(t: Translator, rows, make) -> list[list]:
    """The buttons under a digest, the same under every digest in a language: made once."""
    key = (t.language, rows, make)
    if key not in _FOOTERS:
        _FOOTERS[key] = [[button(t, action, make) for action in row] for row in rows]
    return _FOOTERS[key]


@lru_cache(maxsize=4096)
def _date(language: str, day) -> str:
    """A date in a language, written once (Babel takes 20 µs a date; a sweep writes thousands of the same few)."""
    return translator(language).date(day)


def item_text(t: Translator, item: Item) -> str:
    unit, day = escape(item.unit), _date(t.language, item.on) if item.on else ""
    if item.reason == "measure_due":
        return t._("“{title}” is due {date}.", title=escape(item.measure), date=day)
    if item.reason == "status_own":
        return t._("“{title}”: you are responsible for it. Give it a short status – one tap.",
                   title=escape(item.measure))
    if item.reason == "carry_over":
        return t._("{unit}: a new survey year has begun. For each of last year's open measures: carry it on, "
                   "or close it with its evaluation – one tap each.", unit=unit)
    if item.reason == "measure_overdue":
        return t._("“{title}” was due {date}. Update its status or its deadline.", title=escape(item.measure),
                   date=day)
    if item.reason == "confirm_pending":
        if item.about == "plan":
            what = t._("the action plan")
        else:
            key = item.about.split(":", 1)[1]
            step = FORBEDRING.step(key) or DST.step(key)  # a ForBedring step or a Der skoen trykker phase
            what = t._(step.title) if step else item.about
        return t._("You were asked on {date} about “{what}” for {unit}. Please answer:",
                   date=day, what=what, unit=unit)
    if item.reason == "survey_open":  # to the leader and the reps alike
        return t._("{unit}: the ForBedring survey is open until {date}. The target is that at least {target} % "
                   "answer: encourage everyone at meetings and on the notice board, and give time to answer at "
                   "work. Never chase individuals.", unit=unit, date=day,
                   target=nudges.RESPONSE_TARGET)
    if item.reason == "survey_halfway":
        return t._("{unit}: the survey is halfway and closes {date}. Remind everyone once more that the target "
                   "is {target} %, and give time to answer at work. Never chase individuals.", unit=unit,
                   date=day, target=nudges.RESPONSE_TARGET)
    if item.reason in ("dst_stalled", "dst_gathering", "ttp"):
        return programme_text(t, item)
    if item.reason == "results":
        # It goes to the leader and the reps alike.
        return t._("{unit}: the leader, the safety rep and the union rep go through the results together before "
                   "the staff meeting.", unit=unit)
    if item.reason in ("review_late", "feedback_late"):
        return t._("{unit}: when it is done, mark the step done in the follow-up.", unit=unit)
    if item.reason in ("plan_14", "plan_3", "plan_overdue"):
        return t._("{unit}: the deadline is {date}. Add at least one measure to preserve and one to improve, "
                   "and submit the plan.", unit=unit, date=day)
    if item.reason == "above_weekly":
        raised, stuck = item.counts
        what = ([t._("the action plan is not submitted (deadline {date})", date=_date(t.language, item.on))]
                if item.on else [])
        if raised:
            what.append(t.ngettext("{n} problem raised to you, not answered",
                                   "{n} problems raised to you, not answered", raised))
        if stuck:
            what.append(t.ngettext("{n} measure stuck for a quarter or more",
                                   "{n} measures stuck for a quarter or more", stuck))
        return f"{unit}: " + "; ".join(what)
    if item.reason == "status":
        text = t._("{unit}: give each open measure a short status – one tap each.", unit=unit)
        return text + " " + t._("The rest are in /measures.") if item.more else text
    return t._("{unit}: some measures are not evaluated yet; the deadline is {date}.", unit=unit,
               date=day)


L_MATERIAL = N_("The method's material")


def programme_text(t: Translator, item: Item) -> str:
    """Der skoen trykker and Tidlig og tett på (bot/services/programme.py)."""
    if item.reason == "dst_stalled":
        step = DST.step(item.about)
        return t._("{unit}: the phase “{phase}” of Der skoen trykker is past its target date. What is in the "
                   "way, and who can help?", unit=escape(item.unit), phase=t._(step.title) if step else item.about)
    if item.reason == "dst_gathering":
        return t._("{region}: {kind} of Der skoen trykker on {date}, {place}. The working group takes part.",
                   region=escape(item.unit), kind=t._(GATHERING_KINDS.get(item.about, item.about)).capitalize(),
                   date=t.date(item.on), place=escape(item.measure))
    return t._("{trust}: time to go through the overview of frequent sick leave in the trust's HR system and "
               "plan the talks, as Tidlig og tett på describes. Keep it there: never write anything about a "
               "person's health or absence here.", trust=escape(item.unit))


# What each kind of wanted button says and does: its label from (t, value) and its callback data
# from (target, value). For the kinds in FREE_TEXT the value is free text (a title, a unit's name)
# that goes into the label only; for the others it is one of a few codes.
_KINDS: dict[str, tuple[Callable[[Translator, str], str], Callable[[int, str], str]]] = {
    "open_measure": (lambda t, value: t._("Open the measure"), lambda target, value: routes.MEASURE.build(target)),
    "measure_title": (lambda t, value: short_label(value, 60), lambda target, value: routes.MEASURE.build(target)),
    "quick_status": (lambda t, value: t._(QUICK_STATUS[value]),  # conversations/reminders.py quick_status_button
                     lambda target, value: routes.QUICK_STATUS_PRESS.build(target, value)),
    "answer": (lambda t, value: t._(ANSWER_LABELS[value]),  # conversations/followup.py
               lambda target, value: routes.CONFIRMATION.build(target, value)),
    "open_followup": (lambda t, value: t._("Open the follow-up"), lambda target, value: routes.FOLLOWUP.build(target)),
    "open_step": (lambda t, value: t._("Open the step"),
                  lambda target, value: routes.FOLLOWUP_STEP.build(target, value)),
    "open_plan": (lambda t, value: t._("Open the plan"), lambda target, value: routes.PLAN.build(target)),
    "remind_leader": (lambda t, value: t._("Remind the leader of {unit}", unit=short_label(value, 40)),
                      lambda target, value: routes.REMIND_LEADER.build(target)),  # conversations/reminders.py
    "open_raised": (lambda t, value: t._("Problems raised to you"),  # conversations/raised.py
                    lambda target, value: routes.RAISED_LIST.build()),
    "list_measures": (lambda t, value: t._("The measures"), lambda target, value: routes.MEASURE_LIST.build(target)),
    "carry_over": (lambda t, value: t._("Last year's open measures"),  # conversations/years.py
                   lambda target, value: routes.CARRY_LIST.build(target)),
    "open_dst": (lambda t, value: t._("Open Der skoen trykker"), lambda target, value: routes.DST.build(target)),
    "snooze": (lambda t, value: t._("Remind me in a week"), lambda target, value: routes.SETTINGS.build("snooze")),
    "settings": (lambda t, value: t._("Reminder settings"), lambda target, value: routes.SETTINGS.build("settings")),
}
FREE_TEXT = frozenset({"measure_title", "remind_leader"})


def button(t: Translator, action: Action, make=Button):
    """One wanted button, worded, with the callback data its handler answers (a PTB button, or what
    `make` makes of its text and callback data)."""
    if action.kind == "open_url":  # a link from the resources file (bot/resources.py)
        return make(t._(L_ABOUT_SURVEY), url=action.value)
    if action.kind == "material":  # the DST or TTP material (bot/rules/dst.py MATERIAL)
        return make(t._(L_MATERIAL), url=action.value)
    if action.kind not in _KINDS:
        raise ValueError(f"no button for {action.kind!r}")
    label, data = _KINDS[action.kind]
    return make(label(t, action.value), callback_data=data(action.target, action.value))


# The longest target a button may hold: callback data is parsed back with at most 18 digits
# (bot/dialogs/callbacks.py IntKind). A button's data is made once with it, which checks that any
# target fits Telegram's 64 bytes, and then cut where the target goes.
_WIDEST = 10 ** 17 * 9 + 87654321
_DIGITS = len(str(_WIDEST))


_TARGETS = 10 ** _DIGITS  # a target below this (and not below 0) fits where the widest went


class _Wording:
    """A language's pieces of a digest's JSON, each made once through `button`: a button is
    head + its target + tail. Only a target that is not a non-negative number of at most 18 digits
    (never, from the database) goes the slow way, through the route, which refuses it."""

    def __init__(self, language: str):
        self.t = t = translator(language)
        self.title = f"<b>{t._(nudges.REMINDERS_TITLE)}</b>"
        self._reasons = {reason: f"<b>{t._(title)}</b>" for reason, (_, title) in nudges.REASONS.items()}
        # (kind, value) -> (head, tail) of a kind whose label is fixed by its value; a free-text kind's
        # (head, tail) by kind alone (its label is each button's own).
        self._fixed: dict[tuple[str, str], tuple[str, str | None]] = {}
        self._free: dict[str, tuple[str, str | None]] = {}
        self._footers: dict[tuple, list[str]] = {}

    def reason(self, reason: str) -> str:
        return self._reasons[reason]

    def _piece(self, kind: str, value: str) -> tuple[str, str | None]:
        """(head, tail): the JSON of a button of this kind, cut where its target goes (tail None: its
        data holds no target); the label is in the tail, or left to each button of a free-text kind."""
        free = kind in FREE_TEXT
        made = button(self.t, Action(kind, _WIDEST, "" if free else value), _json_button)
        data, text = made["callback_data"], "" if free else ', "text": ' + json.dumps(made["text"]) + "}"
        head, target, tail = data.partition(str(_WIDEST))
        if not target:
            return '{"callback_data": ' + json.dumps(data) + text, None
        return '{"callback_data": ' + json.dumps(head)[:-1], json.dumps(tail)[1:] + text

    def button(self, action: Action) -> str:
        """The button's JSON, as json.dumps writes what PTB's to_dict() gives. (The common case first:
        a kind whose label its value fixes, made before, and a number for a target.)"""
        kind, target, value = action
        piece = self._fixed.get((kind, value))
        if piece is None:
            return self._other(action)
        head, tail = piece
        if tail is None:
            return head
        if type(target) is int and 0 <= target < _TARGETS:
            return f"{head}{target}{tail}"
        return self._with_target(action, head, tail)

    def _other(self, action: Action) -> str:
        """A link, a free-text kind, or the first button of its kind and value."""
        kind, target, value = action
        if kind == "open_url":  # a link: no callback data (as PTB's to_json() writes it)
            return json.dumps({"text": self.t._(L_ABOUT_SURVEY), "url": value})
        if kind == "material":
            return json.dumps({"text": self.t._(L_MATERIAL), "url": value})
        if kind in FREE_TEXT:
            if (piece := self._free.get(kind)) is None:
                piece = self._free[kind] = self._piece(kind, value)
            head, tail = piece
            if tail is not None:
                number = str(target)
                if len(number) > _DIGITS or not number.isdigit():
                    return json.dumps(button(self.t, action, _json_button))  # the route refuses it
                head = head + number + tail
            return head + ', "text": ' + _quoted(_KINDS[kind][0](self.t, value)) + "}"
        self._fixed[kind, value] = self._piece(kind, value)
        return self.button(action)

    def _with_target(self, action: Action, head: str, tail: str) -> str:
        """A target that is not an int (True, a string): as before, its digits, or the slow way."""
        number = str(action.target)
        if len(number) > _DIGITS or not number.isdigit():
            return json.dumps(button(self.t, action, _json_button))  # the route refuses it
        return head + number + tail

    def row(self, row) -> str:
        return "[" + ", ".join(map(self.button, row)) + "]"

    def footer(self, rows) -> list[str]:
        """The buttons under a digest, the same under every digest in a language: made once."""
        if (made := self._footers.get(rows)) is None:
            made = self._footers[rows] = [self.row(row) for row in rows]
        return made


# A string as json.dumps writes it (json.dumps itself costs three times as much, for a title).
_quoted = json.encoder.encode_basestring_ascii


@lru_cache(maxsize=None)
def _wording(language: str) -> _Wording:
    return _Wording(language)


def _json_button(text: str, callback_data: str) -> dict:
    return {"callback_data": callback_data, "text": text}  # as PTB's to_dict() writes it
