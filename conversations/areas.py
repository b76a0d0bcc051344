"""Choosing areas to preserve and improve, and the optional theme scores that
suggest them, as two dialog specs (bot/dialogs). Started from the "Choose
areas" step of /followup:

- "area" (AREA, drawn in areas.mmd): Add an area to preserve / improve → which
  theme → why (typed); a suggested area from the scores starts at "why".
- "scores" (SCORES, drawn in areas_scores.mmd): one theme at a time, a whole
  number 0–100 or Skip, then the suggestions (buttons that add an area).

Remove: <theme> is a plain button (routes.REMOVE_AREA)."""

from __future__ import annotations

from telegram import InlineKeyboardButton as Button
from telegram import InlineKeyboardMarkup as Keyboard
from telegram import Update

from bot import dialogs
from bot.dialogs import engine
from bot.dialogs.callbacks import Choice
from bot.dialogs.spec import END, Action, Btn, DialogSpec, Done, Go, Screen, Stay, View
from bot.guards import members_only
from bot.i18n import N_, Translator
from bot.identity import BotContext
from bot.replies import reply
from bot.rules.access import is_leader_of
from bot.rules.errors import NotAllowed
from bot.rules.measures import LIMITS
from bot.rules.themes import KINDS, THEMES, suggest_areas
from bot.rules.vocabulary import MeasureKind
from bot.services import followup as service
from conversations import routes
from conversations.common import refuse
from conversations.followup import show_step
from conversations.measure_new import text_refusal

THEME_KEYS = list(THEMES)


# --- the plain buttons of the "Choose areas" step ---

@members_only
async def add_area_button(update: Update, context: BotContext, press) -> None:
    """Add an area to preserve / improve, or a suggested area (its theme given)."""
    if not is_leader_of(context.memberships, press.unit):
        await refuse(update, context, f"add an area with {update.callback_query.data!r}")
        return
    await context.answer_press(update)
    data = {"unit": press.unit, "kind": press.kind}
    if press.theme is not None:
        await engine.begin(update, context, AREA, "why", {**data, "theme": press.theme})
    else:
        await engine.begin(update, context, AREA, "theme", data)


@members_only
async def remove_area_button(update: Update, context: BotContext, press) -> None:
    try:
        unit_id = await service.remove_area(context.db, context.memberships, context.person.id, press.area,
                                            context.clock.today())
    except NotAllowed:
        await refuse(update, context, f"remove an area with {update.callback_query.data!r}")
        return
    await context.answer_press(update, context.t._("Removed."))
    await show_step(update, context, unit_id, "areas")


@members_only
async def scores_button(update: Update, context: BotContext, press) -> None:
    if not is_leader_of(context.memberships, press.unit):
        await refuse(update, context, f"enter scores with {update.callback_query.data!r}")
        return
    await context.answer_press(update)
    await engine.begin(update, context, SCORES, THEME_KEYS[0], {"unit": press.unit, "scores": {}})


# --- dialog "area": which theme, then why ---

def show_theme(turn):
    t = turn.t
    buttons = [Btn(t._(label), "theme", key) for key, label in THEMES.items()]
    return View(t._("Which theme is the area to {kind} about?", kind=t._(KINDS[turn.data["kind"]])),
                [buttons[i:i + 2] for i in range(0, len(buttons), 2)])


def show_why(turn):
    t = turn.t
    return View(t._("{theme}: why this area? Write a short reason (at most 1000 characters).",
                    theme=t._(THEMES[turn.data["theme"]])))


async def choose_theme(turn, theme):
    turn.data["theme"] = theme
    return Go("why")


async def take_why(turn, message):
    update, context, t, data = turn.update, turn.context, turn.t, turn.data
    if refusal := text_refusal(t, "why", message.text):
        return Stay(refusal)
    try:
        await service.add_area(context.db, context.memberships, context.person.id, data["unit"], data["kind"],
                               data["theme"], message.text.strip(), context.clock.now(), turn.today())
    except NotAllowed:
        await dialogs.end(context)
        await refuse(update, context, f"add an area to unit {data['unit']}")
        return Done(closed=True)
    await dialogs.end(context)
    await turn.say(t._("Saved: an area to {kind} – {theme}.", kind=t._(KINDS[data["kind"]]),
                       theme=t._(THEMES[data["theme"]])),
                   reply_markup=Keyboard([[Button(t._("See the step"),
                                                  callback_data=routes.FOLLOWUP_STEP.build(data["unit"], "areas"))]]))
    return Done(closed=True)


AREA = DialogSpec(
    name="area", prefix="ad", module="areas",
    title="Choosing an area to preserve or improve",
    cancelled=N_("Cancelled. Nothing was changed."),
    entries=(("Add an area to preserve / improve (the Choose areas step, leader)", "theme"),
             ("a suggested area, after the theme scores", "why")),
    screens=(
        Screen("theme", "Which theme?", show_theme, buttons={
            "theme": Action(choose_theme, goes=("why",), label="a theme", value=Choice(THEMES)),
        }),
        Screen("why", "Why this area?", show_why, back=True,
               text=Action(take_why, goes=(END,), label=f"typed reason (≤ {LIMITS['why']}); saved")),
    ),
)


# --- dialog "scores": one screen per theme, then the suggestions ---

def show_score(turn):
    t = turn.t
    return View(t._("The unit's score for {theme} (0–100)? Write the number, or Skip.",
                    theme=t._(THEMES[turn.screen])),
                [[Btn(t._("Skip"), "skip")]])


def typed_score(text: str) -> int | None:
    """A whole number from 0 to 100 ("72", "72,0"), or None."""
    try:
        score = float(text.strip().replace(",", "."))
    except ValueError:
        return None
    return int(score) if 0 <= score <= 100 and score == int(score) else None


async def next_theme(turn):
    """The next theme's screen, or after the last one the suggestions, and the dialog ends."""
    index = THEME_KEYS.index(turn.screen)
    if index + 1 < len(THEME_KEYS):
        return Go(THEME_KEYS[index + 1])
    await dialogs.end(turn.context)
    await show_suggestions(turn.update, turn.context, turn.data["unit"], turn.data["scores"])
    return Done(closed=True)


async def take_score(turn, message):
    update, context, data = turn.update, turn.context, turn.data
    score = typed_score(message.text)
    if score is None:
        return Stay(turn.t._("Please write a whole number from 0 to 100."))
    try:
        await service.save_score(context.db, context.memberships, context.person.id, data["unit"], turn.screen,
                                 score, turn.today())
    except NotAllowed:
        await dialogs.end(context)
        await refuse(update, context, f"save scores for unit {data['unit']}")
        return Done(closed=True)
    data["scores"][turn.screen] = score
    return await next_theme(turn)


async def skip(turn, _):
    return await next_theme(turn)


def suggestion_rows(t: Translator, unit_id: int, improve: list[str], preserve: list[str]) -> list[list[Button]]:
    return [[Button(f"{t._(KINDS[kind])}: {t._(THEMES[theme])}",
                    callback_data=routes.ADD_AREA.build(unit_id, kind, theme))]
            for kind, themes in ((MeasureKind.IMPROVE, improve), (MeasureKind.PRESERVE, preserve)) for theme in themes]


async def show_suggestions(update: Update, context: BotContext, unit_id: int, scores: dict[str, int]) -> None:
    t = context.t
    if len(scores) < 2:
        await reply(update, t._("Thank you. With fewer than two scores I cannot suggest areas."))
        return
    preserve, improve = suggest_areas(scores)

    def named(themes):
        return ", ".join(f"{t._(THEMES[k])} ({scores[k]})" for k in themes)
    text = "\n".join([t._("Thank you. From the scores:"),
                      t._("Suggested to improve (lowest): {themes}", themes=named(improve)),
                      t._("Suggested to preserve (highest): {themes}", themes=named(preserve)),
                      t._("Discuss them with the staff; choose an area below to give the reason.")])
    await reply(update, text, reply_markup=Keyboard(suggestion_rows(t, unit_id, improve, preserve)))


def score_screen(index: int) -> Screen:
    theme = THEME_KEYS[index]
    following = (THEME_KEYS[index + 1],) if index + 1 < len(THEME_KEYS) else (END,)
    last = "; then the suggestions" if following == (END,) else ""
    note = ("Cancel keeps the scores entered so far" if index == 0 else
            "the suggestions are buttons that add an area (areas.mmd, at why)" if last else "")
    return Screen(theme, f"Score: {THEMES[theme]}", show_score, cancel=True, note=note, buttons={
        "skip": Action(skip, goes=following, label=f"Skip{last}"),
    }, text=Action(take_score, goes=following, label=f"a whole number 0–100, saved{last}"))


SCORES = DialogSpec(
    name="scores", prefix="sd", module="areas", diagram="areas_scores",
    title="Theme scores suggesting areas",
    cancelled=N_("Stopped. The scores you entered are kept."),
    entries=(("Enter theme scores (the Choose areas step, leader)", THEME_KEYS[0]),),
    screens=tuple(score_screen(i) for i in range(len(THEME_KEYS))),
)
