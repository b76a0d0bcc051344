"""/followup: where the unit stands in the year, step by step, marking a step
done, and the reps' answers.

The overview and the steps are plain buttons (conversations/routes.py):

    /followup (/oppfolging) ── several units? "Which unit?" (u:fu) ──> the overview
    the overview ── a step (FOLLOWUP_STEP) ──> the step ── ⬅ Back (FOLLOWUP) ──> the overview
    the overview ── Prepare ForBedring <next year> (FOLLOWUP with a year, December–January) ──>
        next year's overview (its first step only)
    a step marked by hand ── Mark as done / Change date or parties (MARK_STEP, leader) ──> dialog "mark"
    Choose areas ── areas.py (dialogs "area" and "scores");  Measures ── measure_new.py, measures.py
    the reps asked ── I took part / I was not involved, Acknowledge / Object (CONFIRMATION) ──>
        saved; an objection tells the leaders and opens dialog "comment"

Two dialogs, as specs (bot/dialogs), each with its generated diagram:
- "mark" (MARK, followup_mark.mmd): when did it happen, then who took part, then Save;
- "comment" (COMMENT, followup_comment.mmd): a rep's optional comment after objecting."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from html import escape

from telegram import InlineKeyboardButton as Button
from telegram import InlineKeyboardMarkup as Keyboard
from telegram import Update

from bot import dialogs
from bot.dialogs import engine
from bot.dialogs.callbacks import Choice, Date
from bot.dialogs.spec import END, Action, Btn, DialogSpec, Done, Go, Screen, Stay, View
from bot.guards import members_only
from bot.i18n import N_, Translator
from bot.identity import BotContext
from bot.notify import held_notice, notify, release
from bot.replies import reply
from bot.rules.access import ROLE_NAMES, UNIT_PARTIES, is_leader_of
from bot.rules.dates import parse_date
from bot.rules.errors import DateParseError, NotAllowed, YearChanged
from bot.rules.measures import EVALUATIONS, LIMITS, STATUS_ICONS
from bot.rules.methods import OBJECTIONS, REPS
from bot.rules.privacy import former_name
from bot.rules.survey_results import NO_OWN_REPORT_NOTE, level_above_guidance
from bot.rules.themes import KINDS, THEMES
from bot.rules.vocabulary import Answer, Completion, MeasureKind, Role
from bot.services import followup as service
from bot.services.followup import Overview
from conversations import routes, units, years
from conversations.common import refuse
from conversations.measure_new import text_refusal

# Texts used inside f-strings, where Babel's extractor cannot see them.
L_FORBEDRING_YEAR = N_("ForBedring {year}")
L_EARLIER_ANSWER = N_("before the leader changed it: {answer}")
L_PREPARE_NEXT = N_("Prepare ForBedring {year}")
L_BY_DATE = N_("by {date}")
L_LEADERS_ANSWER = N_("the leader's answer: «{answer}»")
L_STAFF_SUMMARY = N_("Summary for the staff")
L_LAST_YEAR = N_("Last year's measures ({year})")
L_OVERDUE_SINCE = N_("overdue since {date}")
L_BEFORE_JOINING = N_("before the unit started with the bot; can still be marked")


log = logging.getLogger(__name__)

ANSWER_TEXT = {
    Answer.TOOK_PART: "✔",
    Answer.NOT_INVOLVED: "⚠",
    Answer.ACKNOWLEDGED: "✔",
    Answer.OBJECTED: "⚠",
}


def answer_label(t: Translator, answer: str | None) -> str:
    return {
        None: t._("not answered yet"),
        Answer.TOOK_PART: t._("took part"),
        Answer.NOT_INVOLVED: t._("was not involved"),
        Answer.ACKNOWLEDGED: t._("acknowledged the plan"),
        Answer.OBJECTED: t._("objects to the plan"),
    }[answer]


def answer_lines(t: Translator, answers) -> list[str]:
    """The reps' answers, objections included, never hidden."""
    lines = []
    for confirmation, name in answers:
        mark = ANSWER_TEXT.get(confirmation.answer, "…")
        who = f"{t._(ROLE_NAMES[confirmation.role])} {escape(name)}" if name else \
            t._(former_name(confirmation.role))  # erased (conversations/privacy.py)
        line = f"   {mark} {who}: {answer_label(t, confirmation.answer)}"
        if confirmation.comment:
            line += f" – «{escape(confirmation.comment)}»"
        leaders_answer = "\n      ↳ " + t._(L_LEADERS_ANSWER, answer=escape(confirmation.leader_reply)) \
            if confirmation.leader_reply else ""
        if confirmation.earlier_answer:
            earlier = answer_label(t, confirmation.earlier_answer)
            if confirmation.earlier_comment:
                earlier += f" – «{escape(confirmation.earlier_comment)}»"
            line += "\n      ⚠ " + t._(L_EARLIER_ANSWER, answer=earlier) + leaders_answer  # it answers that one
        else:
            line += leaders_answer
        lines.append(line)
    return lines


def overview_text(t: Translator, ov: Overview) -> str:
    lines = [f"<b>{t._(L_FORBEDRING_YEAR, year=ov.year)} · {escape(ov.unit.name)}</b>"]
    if ov.early:
        lines.append(t._("Next year's preparation can be recorded now; the rest of {year} starts when this "
                         "year's follow-up ends.", year=ov.year))
    if (waiting := years.carry_over_row(t, ov.unit.id, ov.carry_waiting)) is not None:
        lines.append(waiting[0])
    if ov.no_own_report and not ov.early:
        lines.append("ℹ️ " + t._(NO_OWN_REPORT_NOTE))
    for number, state in enumerate(ov.open_states, 1):
        title = t._(state.step.title)
        if state.done:
            when = f" – {t.date(state.done_on)}" if state.done_on else ""
            lines.append(f"✅ {number}. {title}{when}")
        else:
            lines.append(step_line(t, ov, state, number))
        lines += answer_lines(t, ov.answers_for(f"step:{state.step.key}"))
    following = ov.next
    lines.append("")
    if ov.early:
        return "\n".join(lines)
    if following is None:
        lines.append(t._("Every step is done. Well done!") if all(s.done for s in ov.states)
                     else t._("Nothing is pressing now."))
    elif ov.overdue(following):
        lines.append(t._("Next: {step}, overdue since {date}.", step=t._(following.step.title),
                         date=t.date(following.due)))
    else:
        lines.append(t._("Next: {step}, by {date}.", step=t._(following.step.title), date=t.date(following.due)))
    if ov.prepare_next_due and ov.preparing:  # both years are worked on in December and January
        lines.append(t._("Also now: {step} for ForBedring {year}, by {date}.", step=t._(ov.method.steps[0].title),
                         year=ov.preparing, date=t.date(ov.prepare_next_due)))
    return "\n".join(lines)


def step_line(t: Translator, ov: Overview, state, number: int) -> str:
    """An open step: by its date, overdue (⚠), or due before the unit started (not asked, can be marked)."""
    title = t._(state.step.title)
    if ov.overdue(state):
        return f"⚠️ {number}. {title} – {t._(L_OVERDUE_SINCE, date=t.date(state.due))}"
    line = f"⬜ {number}. {title} – {t._(L_BY_DATE, date=t.date(state.due))}"
    if ov.before_joining(state):
        line += " · " + t._(L_BEFORE_JOINING)
    return line


def year_of(ov: Overview) -> int | None:
    """Buttons about the next year's preparation carry that year; the working year's need none."""
    return ov.year if ov.early else None


def localized_overview_keyboard(t: Translator, ov: Overview) -> Keyboard:
    buttons = [Button(f"{'✅' if s.done else '⬜'} {t._(s.step.title)}",
                      callback_data=routes.FOLLOWUP_STEP.build(ov.unit.id, s.step.key, year_of(ov)))
               for s in ov.open_states]
    rows = [buttons[i:i + 2] for i in range(0, len(buttons), 2)]
    if (waiting := years.carry_over_row(t, ov.unit.id, ov.carry_waiting)) is not None:
        rows.append(waiting[1])
    if ov.preparing:
        rows.append([Button(t._(L_PREPARE_NEXT, year=ov.preparing),
                            callback_data=routes.FOLLOWUP.build(ov.unit.id, ov.preparing))])
    if ov.early:
        rows.append([Button(t._("⬅ Back"), callback_data=routes.FOLLOWUP.build(ov.unit.id))])
    return Keyboard(rows)


async def load_overview(update: Update, context: BotContext, unit_id: int,
                        year: int | None = None) -> Overview | None:
    try:
        return await service.overview(context.db, context.memberships, unit_id, context.clock.today(),
                                      context.settings.bot_timezone, year)
    except NotAllowed:
        await refuse(update, context, f"view unit {unit_id}")
        return None


async def show_followup(update: Update, context: BotContext, unit_id: int, year: int | None = None) -> None:
    ov = await load_overview(update, context, unit_id, year)
    if ov is not None:
        await answer_query(update, context)
        text, keyboard = overview_text(context.t, ov), localized_overview_keyboard(context.t, ov)
        for extra in EXTRA_OVERVIEWS:  # another method the unit follows (conversations/dst.py): both shown
            if not ov.early and (found := await extra(context, unit_id)) is not None:
                text += "\n\n" + found[0]
                keyboard = Keyboard([*keyboard.inline_keyboard, [found[1]]])
        await reply(update, text, reply_markup=keyboard)


# Other methods a unit may follow besides ForBedring, registered by bot/app.py (register_methods):
# what /followup adds for them, (context, unit) -> (a line, a button) or None, and how dialog "mark"
# saves one of their steps, (turn) -> Done, by the method's key in the dialog's data.
EXTRA_OVERVIEWS: list = []
OTHER_METHODS: dict = {}


@members_only
async def followup_command(update: Update, context: BotContext) -> None:
    await units.with_unit(update, context, "fu")


async def answer_query(update: Update, context: BotContext) -> None:
    if update.callback_query and not context.press_answered:
        await context.answer_press(update)


@members_only
async def followup_button(update: Update, context: BotContext, press) -> None:
    """The overview; a year is given only for the next year's preparation, and checked like everything else."""
    await show_followup(update, context, press.unit, press.year)


@members_only
async def step_button(update: Update, context: BotContext, press) -> None:
    ov = await load_overview(update, context, press.unit, press.year)
    if ov is not None:
        await show_step(update, context, press.unit, press.step, ov)


async def show_step(update: Update, context: BotContext, unit_id: int, step_key: str,
                    ov: Overview | None = None) -> None:
    ov = ov or await load_overview(update, context, unit_id)
    if ov is None:
        return
    state = next((s for s in ov.open_states if s.step.key == step_key), None)
    if state is None:
        await refuse(update, context, f"open step {step_key!r}")
        return
    await answer_query(update, context)
    await reply(update, step_text(context.t, ov, state), reply_markup=step_keyboard(context, ov, state))


def step_text(t: Translator, ov: Overview, state) -> str:
    step = state.step
    number = ov.method.number(step.key)
    lines = [f"<b>{number}. {t._(step.title)}</b>", t._(step.guidance), ""]
    if ov.no_own_report and (instead := level_above_guidance(ov.method.key, step.key)):
        lines[2:2] = ["", "ℹ️ " + t._(instead)]  # fewer than 5 answers: how to go on with the level above's results
    if state.done:
        lines.append(t._("Done: {date}", date=t.date(state.done_on)) if state.done_on else t._("Done"))
        record = ov.records.get(step.key)
        if record and record.parties:
            lines.append(t._("Took part: {parties}",
                             parties=", ".join(t._(ROLE_NAMES[r]) for r in record.parties.split(","))))
    else:
        lines.append(t._("Not done yet – overdue since {date}", date=t.date(state.due)) if ov.overdue(state)
                     else t._("Not done yet – by {date}", date=t.date(state.due)))
    lines += answer_lines(t, ov.answers_for(f"step:{step.key}"))
    if step.key == "prepare":
        lines += last_year_lines(t, ov)
    if step.completion == Completion.AREAS:
        for area in ov.areas:
            lines.append(f"• {t._(KINDS[area.kind])}: {t._(THEMES[area.theme])} – {escape(area.why)}")
    return "\n".join(lines)


def last_year_lines(t: Translator, ov: Overview) -> list[str]:
    """The Prepare step looks back: last year's measures, their status and evaluation."""
    lines = ["", f"<b>{t._(L_LAST_YEAR, year=ov.year - 1)}</b>"]
    if not ov.last_year:
        return lines + [t._("No measures were registered in {year}.", year=ov.year - 1)]
    for m in ov.last_year:
        line = f"{STATUS_ICONS.get(m.status, '🔄')} {escape(m.title)} – {t._(THEMES[m.theme])}"
        if m.year != ov.year - 1:
            line += f" ({t._(years.L_CARRIED, year=ov.year - 1)})"
        if m.evaluation:
            line += f"; {t._(EVALUATIONS[m.evaluation])}"
            if m.evaluation_why:
                line += f" – «{escape(m.evaluation_why)}»"
        lines.append(line)
    return lines


def step_keyboard(context: BotContext, ov: Overview, state) -> Keyboard:
    t, unit_id, step = context.t, ov.unit.id, state.step
    rows = []
    if is_leader_of(context.memberships, unit_id):
        if step.completion == Completion.MARKED:
            label = (t._("Mark as done") if not state.done else
                     t._("Change date or parties") if step.meeting else t._("Change the date"))
            rows.append([Button(label, callback_data=routes.MARK_STEP.build(unit_id, step.key, year_of(ov)))])
        elif step.completion == Completion.AREAS:
            rows.append([Button(t._("Add an area to preserve"), callback_data=routes.ADD_AREA.build(unit_id, MeasureKind.PRESERVE)),
                         Button(t._("Add an area to improve"), callback_data=routes.ADD_AREA.build(unit_id, MeasureKind.IMPROVE))])
            rows.append([Button(t._("Enter theme scores"), callback_data=routes.SCORES.build(unit_id))])
            rows += [[Button(t._("Remove: {theme}", theme=t._(THEMES[area.theme])),
                             callback_data=routes.REMOVE_AREA.build(area.id))]
                     for area in ov.areas]
        elif step.completion in (Completion.MEASURES, Completion.STATUS, Completion.EVALUATION):
            rows.append([Button(t._("Register a measure"), callback_data=routes.NEW_MEASURE.build(unit_id)),
                         Button(t._("The measures"), callback_data=routes.MEASURE_LIST.build(unit_id))])
        elif step.completion == Completion.PLAN:
            rows.append([Button(t._("Show the plan"), callback_data=routes.PLAN.build(unit_id))])
    rows += more_step_rows(context, ov, state)
    rows.append([Button(t._("⬅ Back"), callback_data=routes.FOLLOWUP.build(unit_id, year_of(ov)))])
    return Keyboard(rows)


def more_step_rows(context: BotContext, ov: Overview, state) -> list[list[Button]]:
    """Under a step: for the leader, the mark "fewer than 5 answers" (on the review with the parties,
    when the results come) and, once the plan is submitted, the summary for the staff (on the plan
    and the quarterly status); for everyone, the step's links from the resources file (bot/resources.py,
    by method and step, so a Der skoen trykker phase gets its own)."""
    t, unit_id, step, rows = context.t, ov.unit.id, state.step, []
    if is_leader_of(context.memberships, unit_id) and not ov.early:
        if step.key == "review" and ov.method.key == "forbedring":
            rows.append([Button(t._("Undo: we got our own report") if ov.no_own_report else
                                t._("Fewer than 5 answers: no report of our own"),
                                callback_data=routes.NO_OWN_REPORT.build(unit_id, "off" if ov.no_own_report else "on"))])
        if step.completion in (Completion.PLAN, Completion.STATUS) and ov.plan_submitted_at:
            rows.append([Button(t._(L_STAFF_SUMMARY), callback_data=routes.STAFF_SUMMARY.build(unit_id))])
    rows += [[Button(link.label(t.language), url=link.url)]
             for link in context.settings.resources.for_step(ov.method.key, step.key)]
    return rows


@members_only
async def no_own_report_button(update: Update, context: BotContext, press) -> None:
    """Fewer than 5 answers (routes.NO_OWN_REPORT), or undone: the leader of the unit only."""
    on = press.mark == "on"
    try:
        await service.set_no_own_report(context.db, context.memberships, context.person.id, press.unit, on,
                                        context.clock.today())
    except NotAllowed:
        await refuse(update, context, f"mark no own report with {update.callback_query.data!r}")
        return
    t = context.t
    await context.answer_press(update, t._("Noted: the follow-up goes on with the results of the level above; the "
                                           "steps say how.") if on else t._("Noted: the unit has its own report."))
    await show_step(update, context, press.unit, "review")


# --- dialog "mark": marking a step done (the date, then who took part) ---

@members_only
async def mark_button(update: Update, context: BotContext, press) -> None:
    """Mark as done / Change date or parties: checked against the unit's open steps, whatever the button says."""
    if not is_leader_of(context.memberships, press.unit):
        await refuse(update, context, f"mark a step with {update.callback_query.data!r}")
        return
    ov = await load_overview(update, context, press.unit, press.year)
    if ov is None:
        return
    step = next((s.step for s in ov.open_states if s.step.key == press.step), None)
    if step is None or step.completion != Completion.MARKED:
        await refuse(update, context, f"mark step {press.step!r}")
        return
    await answer_query(update, context)
    # The year is kept: a step begun on 31 January is not saved into the year that begins on 1 February.
    # Only a meeting asks who took part; the survey is no meeting.
    data = {"unit": press.unit, "step": press.step, "parties": list(REPS) if step.meeting else [],
            "meeting": step.meeting, "year": ov.year}
    await engine.begin(update, context, MARK, "date", data)


def check_done_date(t: Translator, day: date, today: date) -> str | None:
    if day > today:
        return t._("That date is in the future. A step is marked done after it has happened.")
    if day.year < today.year - 1:
        return t._("That date is too long ago for this year's follow-up.")
    return None


def show_date(turn):
    t, today = turn.t, turn.today()
    return View(t._("When did it happen? Write the date (for example 14.03.2027) or choose:"),
                [[Btn(t._("Today"), "day", today), Btn(t._("Yesterday"), "day", today - timedelta(days=1))]])


def show_parties(turn):
    t, chosen = turn.t, turn.data["parties"]
    return View(t._("Date: {date}. Who took part besides you? Tap to change, then Save.",
                    date=t.date(date.fromisoformat(turn.data["date"]))),
                [[Btn(("☑ " if role in chosen else "☐ ") + t._(ROLE_NAMES[role]), "party", role)] for role in REPS]
                + [[Btn(t._("Save"), "save")]])


async def take_day(turn, day: date):
    """A date not in the future: who took part, or for a step that is no meeting, saved at once."""
    problem = check_done_date(turn.t, day, turn.today())
    if problem:
        return Stay(problem)
    if turn.data.get("start") and day < date.fromisoformat(turn.data["start"]):  # a DST phase
        return Stay(turn.t._("That is before the unit started ({date}).",
                             date=turn.t.date(date.fromisoformat(turn.data["start"]))))
    turn.data["date"] = day.isoformat()
    return Go("parties") if turn.data.get("meeting", True) else await save_mark(turn, None)


async def take_typed_day(turn, message):
    try:
        day = parse_date(message.text, turn.today(), past=True)
    except DateParseError:
        return Stay(turn.t._("I could not read that as a date."))
    return await take_day(turn, day)


async def toggle_party(turn, role):
    parties = turn.data["parties"]
    parties.remove(role) if role in parties else parties.append(role)
    return Stay(edit=True)


async def save_mark(turn, _):
    update, context, t, data = turn.update, turn.context, turn.t, turn.data
    if (other := OTHER_METHODS.get(data.get("method"))) is not None:
        return await other(turn)
    unit_id, step_key, day = data["unit"], data["step"], date.fromisoformat(data["date"])
    parties = [Role.LEADER] + [p for p in REPS if p in data["parties"]] if data.get("meeting", True) else []
    try:
        to_ask = await service.mark_step(context.db, context.memberships, context.person.id, unit_id, step_key,
                                         day, parties, context.clock.now(), turn.today(), data.get("year"))
    except YearChanged:
        await dialogs.end(context)
        await turn.say(t._("A new survey year has begun since you started; nothing was saved. "
                           "Open /followup to see the new year."))
        return Done(closed=True)
    except NotAllowed:
        await dialogs.end(context)
        await refuse(update, context, f"mark step {step_key} on unit {unit_id}")
        return Done(closed=True)
    await dialogs.end(context)
    ov = await load_overview(update, context, unit_id, data.get("year"))
    if ov is not None:
        await tell_marked(turn, ov, step_key, day, to_ask)
    return Done(closed=True)


async def tell_marked(turn, ov: Overview, step_key: str, day: date, to_ask) -> None:
    """The reps are asked whether they took part; the leader sees it saved, and the overview."""
    context, t = turn.context, turn.t
    step = ov.method.step(step_key)
    await ask_reps(turn, ov.unit.name, step, day, to_ask)
    saved = t._("Saved: “{step}” done {date}.", step=t._(step.title), date=t.date(day))
    if to_ask:
        saved += " " + t.ngettext("{n} representative is asked to confirm.",
                                  "{n} representatives are asked to confirm.", len(to_ask))
    await turn.say(saved)
    await turn.say(overview_text(t, ov), reply_markup=localized_overview_keyboard(t, ov))


async def ask_reps(turn, unit_name: str, step, day: date, to_ask) -> None:
    """Each rep asked whether they took part in a marked step (or a DST phase), in their language."""
    leader = escape(turn.context.person.name)
    for rep, _, confirmation_id in to_ask:
        await notify(
            turn.context, rep,
            lambda rt: rt._(
                "{leader} has marked “{step}” as done ({date}) for {unit}. Did you take part?",
                leader=leader, step=rt._(step.title), date=rt.date(day), unit=escape(unit_name)),
            lambda rt, cid=confirmation_id: Keyboard([[
                Button(rt._("I took part"), callback_data=routes.CONFIRMATION.build(cid, Answer.TOOK_PART)),
                Button(rt._("I was not involved"), callback_data=routes.CONFIRMATION.build(cid, Answer.NOT_INVOLVED)),
            ]]),
        )


MARK = DialogSpec(
    name="mark", prefix="mk", module="followup", diagram="followup_mark",
    title="Marking a step done (/followup, a step marked by hand)",
    cancelled=N_("Cancelled. Nothing was changed."),
    entries=(("Mark as done / Change date or parties / Change the date (leader; the step checked against the "
              "open steps)", "date"),
             ("Mark as done / Change date or parties on a Der skoen trykker phase (DST_MARK, conversations/dst.py; "
              "not before the unit's start; saved by OTHER_METHODS['dst'])", "date")),
    screens=(
        Screen("date", "When did it happen?", show_date, cancel=True, buttons={
            "day": Action(take_day, goes=("parties", END), label="Today / Yesterday", value=Date),
        }, text=Action(take_typed_day, goes=("parties", END), label="a typed date, not in the future, not too long ago"),
               note="a step that is no meeting (the survey) is saved with the date: nobody is asked who took part"),
        Screen("parties", "Who took part besides you? (a tick redraws the buttons)", show_parties, back=True,
               note="the reps asked get 'Did you take part?' (CONFIRMATION); an objection opens dialog comment",
               buttons={
            "party": Action(toggle_party, label="tick / untick a rep (redrawn in place)", value=Choice(REPS)),
            "save": Action(save_mark, goes=(END,), label="Save (the reps who were there are asked)"),
        }),
    ),
)


# --- a rep answers (CONFIRMATION), then dialog "comment" after an objection ---

@members_only
async def confirmation_button(update: Update, context: BotContext, press) -> None:
    now, name = context.clock.now(), context.person.name

    def held_notices(confirmation, unit, leaders):
        # One notice per objection, queued with the answer: it waits for the comment (or Skip),
        # and goes as it is if neither comes.
        text, buttons = objection_notice(name, confirmation, unit)
        return {leader.id: held_notice(leader, text, buttons, now) for leader in leaders}

    try:
        confirmation, held = await service.answer(context.db, context.person.id, press.confirmation, press.answer,
                                                  now, held_notices)
    except NotAllowed:
        await refuse(update, context, f"answer confirmation {press.confirmation}")
        return
    await context.answer_press(update)
    await update.callback_query.edit_message_reply_markup(None)
    if confirmation.answer in OBJECTIONS:
        await engine.begin(update, context, COMMENT, "text",
                           {"confirmation": confirmation.id, "held": {str(k): v for k, v in held.items()}})
    else:
        await reply(update, context.t._("Thank you, your answer is saved."))


def objection_notice(name: str, confirmation, unit, comment: str | None = None):
    """The leaders' notice of a rep's objection: (text, buttons), each made in the reader's language."""
    def text(rt):
        return rt._("{role} {name} ({unit}): {answer}.", role=rt._(ROLE_NAMES[confirmation.role]).capitalize(),
                    name=escape(name), unit=escape(unit.name), answer=answer_label(rt, confirmation.answer)) + \
            (f" «{escape(comment)}»" if comment else "")

    def buttons(rt):
        return Keyboard([[Button(rt._("Answer the objection"),
                                 callback_data=routes.ANSWER_OBJECTION.build(confirmation.id))]])
    return text, buttons


async def tell_leaders_about_objection(context: BotContext, confirmation_id: int, comment: str | None,
                                      held: dict[str, int]) -> None:
    """The leaders hear of an objection once: the notices queued with the answer (`held`: {leader id:
    message id}) go now, with the comment if any; a leader who joined meanwhile is told at once."""
    found = await service.confirmation_context(context.db, confirmation_id)
    if found is None:
        return
    confirmation, unit = found
    text, buttons = objection_notice(context.person.name, confirmation, unit, comment)
    for leader, _ in await service.people_of_unit(context.db, unit.id, (Role.LEADER,)):
        if str(leader.id) in held:
            await release(context, held[str(leader.id)], leader, text, buttons)
        else:  # a leader who joined meanwhile
            await notify(context, leader, text, buttons)


def show_comment(turn):
    t = turn.t
    return View(t._("Noted. Do you want to add a comment for the leader? Write it, or press Skip."),
                [[Btn(t._("Skip"), "skip")]])


async def take_comment(turn, message):
    context, t = turn.context, turn.t
    if refusal := text_refusal(t, "comment", message.text):
        return Stay(refusal)
    text = message.text.strip()
    try:
        await service.comment(context.db, context.person.id, turn.data["confirmation"], text)
    except NotAllowed:
        await dialogs.end(context)
        await refuse(turn.update, context, "comment on someone else's answer")
        return Done(closed=True)
    await dialogs.end(context)
    await tell_leaders_about_objection(context, turn.data["confirmation"], text, turn.data.get("held") or {})
    await turn.say(t._("Thank you, your comment is saved and shown on the plan."))
    return Done(closed=True)


async def skip_comment(turn, _):
    await dialogs.end(turn.context)
    await tell_leaders_about_objection(turn.context, turn.data["confirmation"], None, turn.data.get("held") or {})
    await turn.say(turn.t._("Thank you, your answer is saved."))
    return Done(closed=True)


COMMENT = DialogSpec(
    name="comment", prefix="cc", module="followup", diagram="followup_comment",
    title="A rep's comment after objecting (I was not involved, Object)",
    cancelled=N_("Cancelled. Nothing was changed."),
    entries=(("I was not involved / Object (CONFIRMATION; the leaders' notice waits for the comment)", "text"),),
    screens=(
        Screen("text", "A comment for the leader?", show_comment, buttons={
            "skip": Action(skip_comment, goes=(END,), label="Skip (the leaders are told now)"),
        }, text=Action(take_comment, goes=(END,),
                       label=f"typed comment (≤ {LIMITS['comment']}); the leaders are told once, with it; "
                             "shown on /followup and /plan"),
               note="one notice per objection: held 30 minutes for the comment, then sent as it is"),
    ),
)


# --- the leader answers an objection (ANSWER_OBJECTION), dialog "objection_reply" ---

@members_only
async def answer_objection_button(update: Update, context: BotContext, press) -> None:
    """Answer the objection (routes.ANSWER_OBJECTION): the unit's leader, an objection only."""
    try:
        await service.objection_of(context.db, context.memberships, press.confirmation, context.clock.today())
    except YearChanged:
        await context.tell(update, context.t._("That objection belongs to an earlier survey year's plan, which is "
                                               "history now: it can no longer be answered."))
        return
    except NotAllowed:
        await refuse(update, context, f"answer objection with {update.callback_query.data!r}")
        return
    await answer_query(update, context)
    await engine.begin(update, context, REPLY, "text", {"confirmation": press.confirmation})


def show_reply(turn):
    return View(turn.t._("Write your answer to the objection. The representative will see it, and it is shown "
                         "with the objection."))


async def take_reply(turn, message):
    context, t = turn.context, turn.t
    if refusal := text_refusal(t, "comment", message.text):
        return Stay(refusal)
    text = message.text.strip()
    try:
        confirmation, unit, rep = await service.reply_to_objection(
            context.db, context.memberships, context.person.id, turn.data["confirmation"], text, context.clock.now(),
            turn.today())
    except YearChanged:
        await dialogs.end(context)
        await turn.say(t._("A new survey year has begun since you started; nothing was saved. "
                           "Open /followup to see the new year."))
        return Done(closed=True)
    except NotAllowed:
        await dialogs.end(context)
        await refuse(turn.update, context, "answer an objection")
        return Done(closed=True)
    await dialogs.end(context)
    leader = escape(context.person.name)
    await notify(context, rep, lambda rt: rt._("{leader} has answered your objection ({unit}): «{answer}»",
                                               leader=leader, unit=escape(unit.name), answer=escape(text)))
    await turn.say(t._("Your answer is saved. The representative is told, and it is shown with the objection."))
    return Done(closed=True)


REPLY = DialogSpec(
    name="objection_reply", prefix="oq", module="followup", diagram="followup_reply",
    title="The leader answers a rep's objection (Answer the objection)",
    cancelled=N_("Cancelled. Nothing was changed."),
    entries=(("Answer the objection (ANSWER_OBJECTION; the unit's leader, an objection only)", "text"),),
    screens=(
        Screen("text", "The answer to the objection", show_reply, cancel=True,
               text=Action(take_reply, goes=(END,),
                           label=f"typed answer (≤ {LIMITS['comment']}); the rep is told, shown with the objection")),
    ),
)


units.register("fu", tuple(r.value for r in UNIT_PARTIES), show_followup)
