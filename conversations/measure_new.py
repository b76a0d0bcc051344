"""Registering a measure (or a rep's proposal), one field at a time, as a dialog
spec (bot/dialogs): every screen, the idea list, the date picker and the field
chooser included, is a screen; ⬅ Back returns to the screen the person came
from; the draft is written before every answer. See measure_new.mmd (drawn
from SPEC)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from html import escape

from telegram import InlineKeyboardButton as Button
from telegram import InlineKeyboardMarkup as Keyboard
from telegram import Update

from bot import dialogs
from bot.dialogs import engine
from bot.dialogs.callbacks import Choice, Date, Int, Month, Word
from bot.dialogs.spec import END, Action, Btn, DialogSpec, Done, Go, Restart, Return, Screen, Stay, View
from bot.guards import members_only
from bot.i18n import N_, Translator
from bot.identity import BotContext
from bot.notify import notify
from bot.rules import idea_bank
from bot.rules.access import ROLE_NAMES, UNIT_PARTIES, is_leader_of, rep_role_at
from bot.rules.dates import DateParseError, month_days, months_between, parse_date
from bot.rules.labels import short_label
from bot.rules.measures import LIMITS, deadline_problem, text_problem, visible
from bot.rules.themes import KINDS, THEMES
from bot.services import measures as service
from bot.rules.errors import DraftGone, InvalidMeasure, NotAllowed
from bot.rules.vocabulary import MeasureKind, ProposalState, Role
from bot.services import followup as followup_service
from bot.services.followup import people_of_unit
from conversations import routes, units
from conversations.common import refuse

# Texts used inside f-strings, where Babel's extractor cannot see them.
L_PROPOSED_MEASURE = N_("Proposed measure")
L_NEW_MEASURE = N_("New measure")

log = logging.getLogger(__name__)

DIALOG = "measure"
FIELDS = ("theme", "kind", "title", "description", "responsible", "deadline")  # in the order they are asked
FIELD_LABELS = {
    "theme": N_("Theme"), "kind": N_("Preserve or improve"), "title": N_("Title"),
    "description": N_("What we will do"), "responsible": N_("Responsible"), "deadline": N_("Deadline"),
}


# --- entry points ---

@members_only
async def new_measure_command(update: Update, context: BotContext) -> None:
    await units.with_unit(update, context, "nm")


@members_only
async def propose_command(update: Update, context: BotContext) -> None:
    await units.with_unit(update, context, "pr")


@members_only
async def new_measure_button(update: Update, context: BotContext, press) -> None:
    """"Register a measure" from the follow-up or the measure list."""
    if not is_leader_of(context.memberships, press.unit):
        await refuse(update, context, f"register a measure with {update.callback_query.data!r}")
        return
    await context.answer_press(update)
    await start(update, context, press.unit)


async def start(update: Update, context: BotContext, unit_id: int, proposal: bool = False,
                method: str | None = None) -> None:
    """`method` "dst": a measure of phase 4 of Der skoen trykker (conversations/dst.py), marked as such."""
    allowed = rep_role_at(context.memberships, unit_id) if proposal else is_leader_of(context.memberships, unit_id)
    if not allowed:  # the unit may come from a button ("Start again"): checked here, not trusted
        await refuse(update, context, f"start a measure for unit {unit_id}")
        return
    existing = dialogs.current(context, DIALOG)
    if existing is None and (existing := dialogs.set_aside(context)) is not None:
        await dialogs.end(context)  # the dialog holding the draft ends; the draft is open again
    if existing is not None:
        existing.data["restart"] = {"unit": unit_id, "proposal": proposal} | ({"method": method} if method else {})
        await engine.visit(update, context, SPEC, existing, "resume")
        return
    data = {"unit": unit_id, "proposal": proposal} | ({"method": method} if method else {})
    await engine.begin(update, context, SPEC, await first_screen(context, unit_id, data), data)


async def start_proposal(update: Update, context: BotContext, unit_id: int) -> None:
    await start(update, context, unit_id, proposal=True)


# --- moving on ---

def next_screen(turn: engine.Turn) -> Go:
    """After a field is set: the next field, or back to the card when the person is changing one."""
    if turn.came_through("summary"):
        return Go("summary", unwind=True)
    return Go(FIELDS[FIELDS.index(turn.screen) + 1] if turn.screen != "deadline" else "summary")


def text_refusal(t: Translator, field: str, text: str) -> str | None:
    problem = text_problem(field, text)
    if problem is None:
        return None
    kind, limit = problem
    if kind == "empty":
        return t._("That was empty. Please write something.")
    return t.ngettext("That is {n} character; the limit is {limit}. Please shorten it – nothing was cut.",
                      "That is {n} characters; the limit is {limit}. Please shorten it – nothing was cut.",
                      len(visible(text)), limit=t.number(limit))


async def last_deadline(turn: engine.Turn) -> date:
    """The latest deadline a measure may have; looked up once per update (a refused day shows the days again)."""
    key = ("evaluation_deadline", turn.data["unit"], turn.today())
    found = turn.context.per_update
    if key not in found:
        found[key] = await service.evaluation_deadline(turn.context.db, turn.data["unit"], turn.today())
    return found[key]


async def take_deadline(turn: engine.Turn, deadline: date):
    """A typed or picked deadline: refused with the reason, or stored and on to the card."""
    t, last = turn.t, await last_deadline(turn)
    problem = deadline_problem(deadline, turn.today(), last)
    if problem == "past":
        return Stay(t._("{date} has already passed. Choose a date from today on.", date=t.date(deadline)))
    if problem == "after_evaluation":
        return Stay(t._("{date} is after this year's evaluation deadline ({last}). Choose an earlier date.",
                        date=t.date(deadline), last=t.date(last)))
    turn.data["deadline"] = deadline.isoformat()
    turn.data.pop("month", None)
    return Go("summary", unwind=turn.came_through("summary"))


# --- the screens: what each shows ---

def theme_rows(t: Translator) -> list[list[Btn]]:
    buttons = [Btn(t._(label), "theme", key) for key, label in THEMES.items()]
    return [buttons[i:i + 2] for i in range(0, len(buttons), 2)]


def show_resume(turn):
    title = escape(turn.data.get("title") or "…")
    return View(turn.t._("You have a measure you have not finished (“{title}”). Continue with it, or "
                         "start again?", title=title),
                [[Btn(turn.t._("Continue"), "continue"), Btn(turn.t._("Start again"), "restart")]])


def show_theme(turn):
    return View(turn.t._("Which theme is the measure about?"), theme_rows(turn.t))


def show_kind(turn):
    t = turn.t
    return View(t._("Is it about something to preserve or something to improve?"),
                [[Btn(t._("Preserve"), "kind", MeasureKind.PRESERVE), Btn(t._("Improve"), "kind", MeasureKind.IMPROVE)]])


def show_title(turn):
    t = turn.t
    return View(t.ngettext("Write a short title (at most {n} character).",
                           "Write a short title (at most {n} characters).", LIMITS["title"]),
                [[Btn(t._("💡 Ideas"), "ideas")]])


def show_ideas(turn):
    t = turn.t
    ideas = idea_bank.ideas_for(turn.data["theme"])
    text = "\n\n".join([t._("Ideas to start from – pick one and change what you like:")] +
                       [f"<b>{escape(t._(i.title))}</b>\n{escape(t._(i.description))}" for i in ideas])
    return View(text, [[Btn(short_label(t._(i.title), 60), "idea", i.key)] for i in ideas])


def show_description(turn):
    return View(turn.t.ngettext("What will you do, and how will you notice that it works? (at most {n} character)",
                                "What will you do, and how will you notice that it works? (at most {n} characters)",
                                LIMITS["description"]))


async def show_responsible(turn):
    t = turn.t
    members = [Btn(f"{p.name} ({t._(ROLE_NAMES[role])})", "member", p.id) for p, role in await unit_members(turn)]
    return View(t._("Who is responsible? Choose a member of the unit (they get the measure's reminders), or "
                    "write a name or a role – that person does not need to use the bot."),
                [members[i:i + 2] for i in range(0, len(members), 2)])


def show_deadline(turn):
    t = turn.t
    return View(t._("By when? Write a date (for example 15.03.2027), or pick one."),
                [[Btn(t._("📅 Pick a date"), "pick")]])


async def show_months(turn):
    today, last = turn.today(), await last_deadline(turn)
    buttons = [Btn(turn.t.month_year(year, month), "month", (year, month))
               for year, month in months_between(today, last)]
    return View(turn.t._("Choose the month:"), [buttons[i:i + 3] for i in range(0, len(buttons), 3)])


async def show_days(turn):
    today, last = turn.today(), await last_deadline(turn)
    year, month = turn.data["month"]
    days = [date(year, month, d) for d in range(1, month_days(year, month) + 1)]
    buttons = [Btn(str(d.day), "day", d) for d in days if today <= d <= last]
    return View(turn.t._("Choose the day:"), [buttons[i:i + 7] for i in range(0, len(buttons), 7)])


def summary_text(t: Translator, data: dict) -> str:
    lines = [f"<b>{t._(L_PROPOSED_MEASURE) if data.get('proposal') else t._(L_NEW_MEASURE)}</b>",
             f"{t._(FIELD_LABELS['theme'])}: {t._(THEMES[data['theme']])}",
             f"{t._(FIELD_LABELS['kind'])}: {t._(KINDS[data['kind']])}",
             f"{t._(FIELD_LABELS['title'])}: {escape(data['title'])}",
             f"{t._(FIELD_LABELS['description'])}: {escape(data['description'])}",
             f"{t._(FIELD_LABELS['responsible'])}: {escape(data['responsible'])}",
             f"{t._(FIELD_LABELS['deadline'])}: {t.date(date.fromisoformat(data['deadline']))}"]
    return "\n".join(lines)


def show_summary(turn):
    t = turn.t
    save_label = t._("Send to the leader") if turn.data.get("proposal") else t._("Save")
    return View(summary_text(t, turn.data), [[Btn(save_label, "save")], [Btn(t._("Change a field"), "edit")]])


def show_fields(turn):
    t = turn.t
    return View(t._("Which field do you want to change?"),
                [[Btn(t._(label), "field", key)] for key, label in FIELD_LABELS.items()])


# --- what each screen accepts ---

async def resume(turn, _):
    return Return()


async def restart(turn, _):
    again = turn.data.get("restart") or {"unit": turn.data["unit"], "proposal": turn.data.get("proposal", False)}
    context = turn.context
    allowed = (rep_role_at(context.memberships, again["unit"]) if again["proposal"]
               else is_leader_of(context.memberships, again["unit"]))
    if not allowed:
        await refuse(turn.update, context, f"start a measure for unit {again['unit']}")
        return Stay()
    data = {"unit": again["unit"], "proposal": bool(again["proposal"])}
    return Restart(await first_screen(context, again["unit"], data), data)


async def choose_theme(turn, theme):
    turn.data["theme"] = theme
    return next_screen(turn)


async def choose_kind(turn, kind):
    turn.data["kind"] = kind
    # A measure outside the areas the unit chose is allowed, after one question (issue 13).
    if not turn.came_through("summary") and not turn.data.get("outside") and \
            (areas := await unit_areas(turn)) and (kind, turn.data["theme"]) not in {(a.kind, a.theme) for a in areas}:
        return Go("outside")
    return next_screen(turn)


# --- the unit's chosen areas first, and the members as the responsible ---

async def first_screen(context: BotContext, unit_id: int, data: dict) -> str:
    """The areas the unit chose, when it has chosen any (kept in the draft: read once, not at every
    step, and never from a button); else the themes."""
    areas = await followup_service.areas_now(context.db, unit_id, context.clock.today())
    data["areas"] = [[a.id, a.kind, a.theme] for a in areas]
    return "area" if areas else "theme"


async def unit_areas(turn: engine.Turn):
    """The unit's areas this year, as read when the dialog began."""
    return [ChosenArea(*row) for row in turn.data.get("areas") or []]


@dataclass(frozen=True)
class ChosenArea:
    id: int
    kind: str
    theme: str


async def show_area(turn):
    t, areas = turn.t, await unit_areas(turn)
    rows = [[Btn(f"{t._(KINDS[a.kind]).capitalize()}: {t._(THEMES[a.theme])}", "area", a.id)] for a in areas]
    return View(t._("Which of your areas is the measure for?"), rows + [[Btn(t._("Another theme"), "other")]])


async def choose_area(turn, area_id):
    """An area of this unit's year (checked, whatever the button says): its theme and kind."""
    area = next((a for a in await unit_areas(turn) if a.id == area_id), None)
    if area is None:
        return Stay(turn.t._("That area is no longer in the plan. Choose one of these."))
    turn.data["theme"], turn.data["kind"] = area.theme, area.kind
    turn.data.pop("outside", None)
    return Go("summary", unwind=True) if turn.came_through("summary") else Go("title")


def show_outside(turn):
    t = turn.t
    return View(t._("{kind}: {theme} is not one of the areas you chose. Register the measure anyway?",
                    kind=t._(KINDS[turn.data["kind"]]).capitalize(), theme=t._(THEMES[turn.data["theme"]])),
                [[Btn(t._("Yes, register it"), "yes")], [Btn(t._("Choose one of our areas"), "areas")]])


async def accept_outside(turn, _):
    turn.data["outside"] = True
    return Go("title")


async def unit_members(turn: engine.Turn):
    key = ("members", turn.data["unit"])
    found = turn.context.per_update
    if key not in found:
        found[key] = await followup_service.members_of_unit(turn.context.db, turn.data["unit"])
    return found[key]


async def choose_member(turn, person_id):
    """A member of the unit as the responsible (checked against the unit's people now)."""
    person = next((p for p, _ in await unit_members(turn) if p.id == person_id), None)
    if person is None:
        return Stay(turn.t._("That person is not a member of the unit. Choose one of these, or write a name."))
    turn.data["responsible"], turn.data["responsible_person"] = person.name, person.id
    return next_screen(turn)


async def take_responsible(turn, message):
    """A name or a role typed: free text, nobody in the bot gets the measure's reminders for it."""
    refusal = text_refusal(turn.t, "responsible", message.text)
    if refusal:
        return Stay(refusal)
    turn.data["responsible"] = message.text.strip()
    turn.data.pop("responsible_person", None)
    return next_screen(turn)


def typed_field(field: str):
    async def take(turn, message):
        refusal = text_refusal(turn.t, field, message.text)
        if refusal:
            return Stay(refusal)
        turn.data[field] = message.text.strip()
        return await ahead(turn, next_screen(turn))
    return take


async def ahead(turn: engine.Turn, outcome):
    """Before going to "Who is responsible?": its members are read now, in the step's own transaction
    (the screen is drawn after the step's write)."""
    if isinstance(outcome, Go) and outcome.screen == "responsible":
        await unit_members(turn)
    return outcome


async def take_typed_deadline(turn, message):
    t = turn.t
    try:
        deadline = parse_date(message.text, turn.today())
    except DateParseError as error:
        return Stay(t._("There is no such day.") if error.reason == "no_such_day"
                    else t._("I could not read that as a date."))
    return await take_deadline(turn, deadline)


async def take_idea(turn, key):
    idea = idea_bank.idea_by_key(key)
    if idea is None or idea.theme != turn.data.get("theme"):
        return Stay()
    t = turn.t
    turn.data["title"], turn.data["description"] = t._(idea.title), t._(idea.description)
    await turn.say(t._("Taken from the idea bank. You can change the title and text on the summary card."))
    return Go("summary", unwind=True) if turn.came_through("summary") else await ahead(turn, Go("responsible"))


async def choose_month(turn, year_month):
    turn.data["month"] = list(year_month)
    return Go("days")


async def choose_day(turn, day):
    return await take_deadline(turn, day)


async def choose_field(turn, field):
    return await ahead(turn, Go(field))


def to(screen: str):
    async def run(turn, _):
        return Go(screen)
    return run


async def save(turn, _):
    update, context, data, t = turn.update, turn.context, turn.data, turn.t
    try:
        measure = await service.create(context.db, context.memberships, context.person.id, data["unit"], data,
                                       bool(data.get("proposal")), context.clock.now(), turn.today(),
                                       draft_token=turn.dialog.token)
    except DraftGone:
        await engine.old_dialog_button(update, context)
        return Done(closed=True)
    except NotAllowed:
        await refuse(update, context, f"save a measure for unit {data.get('unit')}")
        return Done()
    except InvalidMeasure as invalid:
        # Something changed since it was typed (e.g. the deadline passed): that field again, then the card.
        await turn.say(t._("This needs to be changed before the measure can be saved."))
        return Go(next(f for f in FIELDS if f in invalid.problems))
    if measure.proposal == ProposalState.PENDING:
        await turn.say(t._("Your proposal is sent to the leader. You will hear what they decide."))
        await send_proposal_to_leaders(context, measure)
    else:
        await turn.say(t._("Saved: “{title}”. /measures shows the unit's measures.", title=escape(measure.title)),
                       reply_markup=Keyboard([[Button(t._("Register another"),
                                                      callback_data=routes.NEW_MEASURE.build(measure.unit_id))]]))
    return Done(closed=True)  # the draft was closed with the save, in the same transaction


async def send_proposal_to_leaders(context: BotContext, measure) -> None:
    role = rep_role_at(context.memberships, measure.unit_id)
    name = escape(context.person.name)
    data = {"theme": measure.theme, "kind": measure.kind, "title": measure.title, "description": measure.description,
            "responsible": measure.responsible, "deadline": measure.deadline.isoformat(), "proposal": True}
    for leader, _ in await people_of_unit(context.db, measure.unit_id, (Role.LEADER,)):
        await notify(
            context, leader,
            lambda rt: rt._("{role} {name} proposes a measure:", role=rt._(ROLE_NAMES[role]).capitalize(), name=name)
            + "\n\n" + summary_text(rt, data),
            lambda rt: Keyboard([[
                Button(rt._("Accept"), callback_data=routes.PROPOSAL_ANSWER.build(measure.id, "accept")),
                Button(rt._("Decline"), callback_data=routes.PROPOSAL_ANSWER.build(measure.id, "decline"))]]),
        )


# --- the dialog as data ---

FIELD_SCREENS = FIELDS + ("summary",)

SPEC = DialogSpec(
    name=DIALOG, prefix="ms", module="measure_new",
    title="Registering a measure or a rep's proposal",
    cancelled=N_("Cancelled. The measure was not saved."),
    entries=(("/newmeasure (leader), /propose (rep), Register a measure: the unit has chosen areas", "area"),
             ("the same, no areas chosen yet", "theme"),
             ("the same, with an unfinished draft", "resume")),
    screens=(
        Screen("resume", "Unfinished measure (continue or start again?)", show_resume,
               note="Continue returns to the screen the draft was saved at", buttons={
            "continue": Action(resume, label="Continue (back at the saved screen)"),
            "restart": Action(restart, returns=("area", "theme"), label="Start again"),
        }),
        Screen("area", "Which of your areas? (the unit's chosen areas, when it has any)", show_area, cancel=True,
               note="an area gives the theme and preserve/improve", buttons={
            "area": Action(choose_area, goes=("title",), returns=("summary",), label="an area of this year", value=Int),
            "other": Action(to("theme"), goes=("theme",), label="Another theme"),
        }),
        Screen("outside", "Not one of the chosen areas: register anyway?", show_outside, back=True, buttons={
            "yes": Action(accept_outside, goes=("title",), label="Yes, register it"),
            "areas": Action(to("area"), goes=("area",), label="Choose one of our areas"),
        }),
        Screen("theme", "Which theme?", show_theme, back=True, cancel=True, buttons={
            "theme": Action(choose_theme, goes=("kind",), returns=("summary",), label="a theme", value=Choice(THEMES)),
        }),
        Screen("kind", "Preserve or improve?", show_kind, back=True, buttons={
            "kind": Action(choose_kind, goes=("title", "outside"), returns=("summary",),
                           label="Preserve / Improve (outside the chosen areas: one question)", value=Choice(KINDS)),
        }),
        Screen("title", "Title", show_title, back=True, buttons={
            "ideas": Action(to("ideas"), goes=("ideas",), label="💡 Ideas"),
        }, text=Action(typed_field("title"), goes=("description",), returns=("summary",), label=f"typed (≤ {LIMITS['title']})")),
        Screen("ideas", "Ideas from the idea bank", show_ideas, back=True, buttons={
            "idea": Action(take_idea, goes=("responsible",), returns=("summary",), label="an idea (title and text filled in)",
                           value=Word()),
        }),
        Screen("description", "What we will do", show_description, back=True,
               text=Action(typed_field("description"), goes=("responsible",), returns=("summary",),
                           label=f"typed (≤ {LIMITS['description']})")),
        Screen("responsible", "Who is responsible?", show_responsible, back=True, buttons={
            "member": Action(choose_member, goes=("deadline",), returns=("summary",),
                             label="a member of the unit (gets the measure's reminders)", value=Int),
        }, text=Action(take_responsible, goes=("deadline",), returns=("summary",),
                       label=f"typed name or role (≤ {LIMITS['responsible']})")),
        Screen("deadline", "By when?", show_deadline, back=True, buttons={
            "pick": Action(to("months"), goes=("months",), label="📅 Pick a date"),
        }, text=Action(take_typed_deadline, goes=("summary",), returns=("summary",),
                       label="a typed date, not past, not after the evaluation deadline")),
        Screen("months", "Date picker (the month)", show_months, back=True, buttons={
            "month": Action(choose_month, goes=("days",), label="a month", value=Month),
        }),
        Screen("days", "Date picker (the day)", show_days, back=True, buttons={
            "day": Action(choose_day, goes=("summary",), returns=("summary",), label="a day", value=Date),
        }),
        Screen("summary", "The summary card", show_summary, cancel=True, buttons={
            "save": Action(save, goes=FIELDS + (END,), label="Save / Send to the leader (or a field no longer valid)"),
            "edit": Action(to("fields"), goes=("fields",), label="Change a field"),
        }),
        Screen("fields", "Which field to change?", show_fields, back=True, buttons={
            "field": Action(choose_field, goes=FIELDS, label="a field", value=Choice(FIELD_LABELS)),
        }),
    ),
)

units.register("nm", (Role.LEADER,), start)
units.register("pr", (Role.SAFETY_REP, Role.UNION_REP), start_proposal)
