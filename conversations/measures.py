"""/measures: the unit's measures and a measure's card (plain buttons, typed routes in
conversations/routes.py), and the measure_edit dialog (bot/dialogs): a new status's comment,
the responsible person, a new deadline, the evaluation and its why, and a leader's reason for
declining a rep's proposal. See measures.mmd (drawn from SPEC)."""

from __future__ import annotations

from datetime import date
from html import escape

from telegram import InlineKeyboardButton as Button
from telegram import InlineKeyboardMarkup as Keyboard
from telegram import Update

from bot import dialogs
from bot.dialogs import engine
from bot.dialogs.callbacks import Choice, Int
from bot.dialogs.spec import END, Action, Btn, DialogSpec, Done, Go, Screen, Stay, View
from bot.guards import members_only
from bot.i18n import N_, Translator
from bot.identity import BotContext
from bot.notify import notify
from bot.replies import reply
from bot.rules.access import ROLE_NAMES, UNIT_PARTIES, is_leader_of, rep_role_at
from bot.rules.dates import parse_date
from bot.rules.errors import DateParseError, InvalidMeasure, NotAllowed
from bot.rules.labels import short_label
from bot.rules.measures import EVALUATIONS, LIMITS, QUICK_STATUS, STATUS_ICONS, STATUSES
from bot.rules.themes import KINDS, THEMES
from bot.rules.vocabulary import MeasureStatus, ProposalState, Role
from bot.services import measures as service
from bot.services import years as years_service
from bot.services.followup import people_of_unit
from conversations import measure_new, routes, stuck, units, years
from conversations.common import refuse
from conversations.measure_new import FIELD_LABELS, text_refusal
from conversations.privacy import shown_name, shown_responsible
from storage.models import Measure

# Texts used inside f-strings, where Babel's extractor cannot see them.
L_BY_DATE = N_("by {date}")
L_PROPOSAL_WAITING_FOR_THE_LEADER = N_("proposal, waiting for the leader")
L_PROPOSAL_DECLINED = N_("proposal declined")
L_MEASURES = N_("Measures")
L_STATUS = N_("Status")
L_EVALUATION = N_("Evaluation")
L_DECLINED_BECAUSE = N_("Declined because")
# What the history says of each kind of change.
CHANGE_LABELS = {
    "created": N_("Registered"), "status": N_("Status"), "quarterly": N_("Quarterly status"),
    "comment": N_("Comment"), "responsible": N_("Responsible"), "deadline": N_("Deadline"),
    "evaluation": N_("Evaluation"), "evaluation_why": N_("Why"), "proposal": N_("Proposal"),
    "year": N_("Carried on into the survey year"),
}
PROPOSAL_OUTCOMES = {ProposalState.ACCEPTED: N_("accepted"), ProposalState.DECLINED: N_("declined")}
L_HISTORY = N_("History")


DIALOG = "measure_edit"


# --- the list and a measure's card (plain buttons) ---

L_DST_MEASURE = N_("Der skoen trykker")


def measure_line(t: Translator, m: Measure) -> str:
    line = (f"{STATUS_ICONS[m.status]} <b>{escape(m.title)}</b> – {t._(KINDS[m.kind])}, "
            f"{t._(THEMES[m.theme])}; {t._(L_BY_DATE, date=t.date(m.deadline))}")
    if m.proposal == ProposalState.PENDING:
        line += f" ({t._(L_PROPOSAL_WAITING_FOR_THE_LEADER)})"
    elif m.proposal == ProposalState.DECLINED:
        line += f" ({t._(L_PROPOSAL_DECLINED)})"
    if getattr(m, "method", None) == "dst":  # made in phase 4 of Der skoen trykker
        line += f" · {t._(L_DST_MEASURE)}"
    return line


async def show_list(update: Update, context: BotContext, unit_id: int) -> bool:
    """False (and the person told) when the list is not theirs to see."""
    t = context.t
    try:
        unit, measures, _ = await service.unit_measures(context.db, context.memberships, unit_id,
                                                        context.clock.today())
    except NotAllowed:
        await refuse(update, context, f"list measures of unit {unit_id}")
        return False
    lines = [f"<b>{t._(L_MEASURES)} · {escape(unit.name)}</b>"]
    lines += [measure_line(t, m) for m in measures] or [t._("No measures yet.")]
    rows = [[Button(f"{STATUS_ICONS[m.status]} {short_label(m.title, 50)}", callback_data=routes.MEASURE.build(m.id))]
            for m in measures]
    if is_leader_of(context.memberships, unit_id):
        # Last year's measures still open wait for the leader: carry on or close (conversations/years.py).
        waiting = years.carry_over_row(t, unit_id, len((await years_service.carry_over(
            context.db, context.memberships, unit_id, context.clock.today())).measures))
        if waiting is not None:
            lines += ["", waiting[0]]
            rows.append(waiting[1])
        rows.append([Button(t._("Register a measure"), callback_data=routes.NEW_MEASURE.build(unit_id))])
    elif rep_role_at(context.memberships, unit_id):
        rows.append([Button(t._("Propose a measure"), callback_data=routes.PROPOSE.build(unit_id))])
    await reply(update, "\n".join(lines), reply_markup=Keyboard(rows))
    return True


@members_only
async def measures_command(update: Update, context: BotContext) -> None:
    await units.with_unit(update, context, "ml")


def describe_change(t: Translator, field: str, new: str | None) -> str:
    """One history entry in the reader's language: the kind of change and its new value."""
    label = t._(CHANGE_LABELS[field]) if field in CHANGE_LABELS else field
    if new is None:
        return label
    if field == "status" and new in STATUSES:
        value = t._(STATUSES[new])
    elif field == "quarterly" and new in QUICK_STATUS:
        value = t._(QUICK_STATUS[new])
    elif field == "evaluation" and new in EVALUATIONS:
        value = t._(EVALUATIONS[new])
    elif field == "proposal" and new in PROPOSAL_OUTCOMES:
        value = t._(PROPOSAL_OUTCOMES[new])
    elif field == "deadline":
        try:
            value = t.date(date.fromisoformat(new))
        except ValueError:
            value = new
    else:
        value = short_label(new, 80)  # cut before escaping: never half an entity
    return f"{label}: {escape(value)}"


def detail_text(t: Translator, view: service.MeasureView, tz) -> str:
    m = view.measure
    lines = [f"<b>{escape(m.title)}</b>",
             f"{t._(FIELD_LABELS['theme'])}: {t._(THEMES[m.theme])} ({t._(KINDS[m.kind])})"
             + (f" · {t._(L_DST_MEASURE)}" if m.method == "dst" else ""),
             f"{t._(FIELD_LABELS['description'])}: {escape(m.description)}",
             f"{t._(FIELD_LABELS['responsible'])}: {shown_responsible(t, m.responsible)}",
             f"{t._(FIELD_LABELS['deadline'])}: {t.date(m.deadline)}",
             f"{t._(L_STATUS)}: {STATUS_ICONS[m.status]} {t._(STATUSES[m.status])}"]
    if m.evaluation:
        lines.append(f"{t._(L_EVALUATION)}: {t._(EVALUATIONS[m.evaluation])} – {escape(m.evaluation_why or '')}")
    if m.decline_reason:
        lines.append(f"{t._(L_DECLINED_BECAUSE)}: {escape(m.decline_reason)}")
    if view.last_update:
        lines.append(t._("Last update: {date}", date=t.date(view.last_update.astimezone(tz).date())))
    if view.history:
        lines.append("")
        lines.append(f"<b>{t._(L_HISTORY)}</b>")
        for event, name, former_role in view.history[-10:]:
            when = t.date(event.at.astimezone(tz).date())
            change = describe_change(t, event.field, event.new)
            comment = f" «{escape(event.comment)}»" if event.comment else ""
            lines.append(f"{when} · {shown_name(t, name, former_role)} · {change}{comment}")
    return "\n".join(lines)


def detail_keyboard(t: Translator, view: service.MeasureView) -> Keyboard:
    m, rows = view.measure, []
    history = Button(t._("History"), callback_data=routes.MEASURE_HISTORY.build(m.id))
    if view.can_edit and m.proposal == ProposalState.PENDING:
        rows.append([Button(t._("Accept"), callback_data=routes.PROPOSAL_ANSWER.build(m.id, "accept")),
                     Button(t._("Decline"), callback_data=routes.PROPOSAL_ANSWER.build(m.id, "decline"))])
    elif view.can_edit and m.proposal != ProposalState.DECLINED:
        rows.append([Button(t._(label), callback_data=routes.MEASURE_STATUS.build(m.id, s))
                     for s, label in STATUSES.items() if s != m.status])
        rows.append([Button(t._("Responsible"), callback_data=routes.MEASURE_UPDATE.build(m.id, "responsible")),
                     Button(t._("Deadline"), callback_data=routes.MEASURE_UPDATE.build(m.id, "deadline"))])
        rows.append([Button(t._("Evaluate"), callback_data=routes.MEASURE_UPDATE.build(m.id, "evaluate")), history])
    else:
        rows.append([history])
    rows.append([Button(t._(engine.L_BACK), callback_data=routes.MEASURE_LIST.build(view.unit.id))])
    return Keyboard(rows)


async def show_detail(update: Update, context: BotContext, measure_id: int, history: bool = False) -> bool:
    """False (and the person told) when the measure is not theirs to see. The button
    press is answered by the caller: one answer per press."""
    try:
        view = await service.view(context.db, context.memberships, measure_id, with_history=history)
    except NotAllowed:
        await refuse(update, context, f"view measure {measure_id}")
        return False
    text = detail_text(context.t, view, context.settings.bot_timezone)
    if raised := await stuck.raised_lines(context, measure_id):
        text += "\n" + raised
    await reply(update, text, reply_markup=detail_keyboard(context.t, view))
    return True


@members_only
async def list_button(update: Update, context: BotContext, press) -> None:
    """The measure list of a unit (routes.MEASURE_LIST)."""
    if await show_list(update, context, press.unit):
        await context.answer_press(update)


@members_only
async def detail_button(update: Update, context: BotContext, press) -> None:
    """A measure's card (routes.MEASURE)."""
    if await show_detail(update, context, press.measure):
        await context.answer_press(update)


@members_only
async def history_button(update: Update, context: BotContext, press) -> None:
    """A measure's card with its history (routes.MEASURE_HISTORY)."""
    if await show_detail(update, context, press.measure, history=True):
        await context.answer_press(update)


@members_only
async def status_button(update: Update, context: BotContext, press) -> None:
    """A new status from the card (routes.MEASURE_STATUS): saved, then a comment is asked for."""
    try:  # checked against the database in the service, whatever the button says
        await service.set_status(context.db, context.memberships, context.person.id, press.measure, press.status,
                                 context.clock.now())
    except NotAllowed:
        await refuse(update, context, f"change measure {press.measure} with {update.callback_query.data!r}")
        return
    await context.answer_press(update)
    first = "stuck" if press.status == MeasureStatus.STUCK else "comment"  # what is stuck, and raise it?
    await engine.begin(update, context, SPEC, first, {"measure": press.measure, "status": press.status})


async def may_change(context: BotContext, measure_id: int) -> bool:
    try:
        view = await service.view(context.db, context.memberships, measure_id)
    except NotAllowed:
        return False
    return view.can_edit and view.measure.proposal not in (ProposalState.PENDING, ProposalState.DECLINED)


@members_only
async def change_button(update: Update, context: BotContext, press) -> None:
    """Responsible, Deadline or Evaluate on the card (routes.MEASURE_UPDATE): that screen of the dialog."""
    if not await may_change(context, press.measure):
        await refuse(update, context, f"change measure {press.measure} with {update.callback_query.data!r}")
        return
    await context.answer_press(update)
    await engine.begin(update, context, SPEC, press.change, {"measure": press.measure})


async def ask_deadline(update: Update, context: BotContext, measure_id: int, why: str = "",
                       quarterly: str | None = None) -> None:
    """The dialog's "By when?" screen, opened from elsewhere, `why` above the question. With
    `quarterly`, that one-tap status waits for the new deadline and is saved together with it
    (conversations/reminders.py: "on track" for a measure past its deadline). The caller has
    checked that the person may change the measure; the service checks it again on saving."""
    data = {"measure": measure_id} | ({"quarterly": quarterly} if quarterly else {}) | ({"intro": why} if why else {})
    await engine.begin(update, context, SPEC, "deadline", data)


# --- a rep's proposal: the leader accepts it, or declines it with a reason (the dialog) ---

async def accept_proposal(update: Update, context: BotContext, measure_id: int) -> None:
    try:
        measure = await service.decide_proposal(context.db, context.memberships, context.person.id, measure_id,
                                                True, context.clock.now())
    except NotAllowed:
        await refuse(update, context, f"decide proposal {measure_id}")
        return
    await context.answer_press(update)
    await reply(update, context.t._("Accepted: “{title}” is now in the plan.", title=escape(measure.title)))
    await tell_proposer(context, measure)


async def ask_decline_reason(update: Update, context: BotContext, measure_id: int) -> None:
    try:
        view = await service.view(context.db, context.memberships, measure_id)
        if not view.can_edit or view.measure.proposal != ProposalState.PENDING:
            raise NotAllowed(f"decline proposal {measure_id}")
    except NotAllowed:
        await refuse(update, context, f"decide proposal {measure_id}")
        return
    await context.answer_press(update)
    await engine.begin(update, context, SPEC, "decline", {"measure": measure_id})


PROPOSAL_ANSWERS = {"accept": accept_proposal, "decline": ask_decline_reason}


@members_only
async def proposal_button(update: Update, context: BotContext, press) -> None:
    """Accept or Decline under a rep's proposal (routes.PROPOSAL_ANSWER)."""
    await PROPOSAL_ANSWERS[press.answer](update, context, press.measure)


async def tell_proposer(context: BotContext, measure: Measure) -> None:
    from bot.services.followup import people_of_unit

    for person, _ in await people_of_unit(context.db, measure.unit_id, (Role.SAFETY_REP, Role.UNION_REP)):
        if person.id != measure.proposed_by:
            continue
        title = escape(measure.title)
        if measure.proposal == ProposalState.ACCEPTED:
            await notify(context, person, lambda rt: rt._(
                "Your proposal “{title}” was accepted and is now in the plan.", title=title))
        else:
            reason = escape(measure.decline_reason or "")
            await notify(context, person, lambda rt: rt._(
                "Your proposal “{title}” was declined: {reason}", title=title, reason=reason))


@members_only
async def propose_button(update: Update, context: BotContext, press) -> None:
    """Propose a measure, under a rep's measure list (routes.PROPOSE)."""
    if not rep_role_at(context.memberships, press.unit):
        await refuse(update, context, f"propose with {update.callback_query.data!r}")
        return
    await context.answer_press(update)
    await measure_new.start(update, context, press.unit, proposal=True)


# --- the measure_edit dialog: what each screen shows ---

def show_comment(turn):
    t, status = turn.t, turn.data.get("status")
    text = (t._("Status saved: {status}. Add a comment if you like, or press Skip.", status=t._(STATUSES[status]))
            if status in STATUSES else t._("Add a comment if you like, or press Skip."))
    return View(text, [[Btn(t._("Skip"), "skip")]])


async def responsible_members(turn) -> list:
    """The members of the measure's unit (looked up once per update)."""
    key = ("responsible_members", turn.data["measure"])
    if key not in turn.context.per_update:
        view = await service.view(turn.context.db, turn.context.memberships, turn.data["measure"])
        turn.context.per_update[key] = await people_of_unit(turn.context.db, view.unit.id,
                                                             tuple(r.value for r in UNIT_PARTIES))
    return turn.context.per_update[key]


async def show_responsible(turn):
    t = turn.t
    members = [Btn(f"{p.name} ({t._(ROLE_NAMES[role])})", "member", p.id) for p, role in await responsible_members(turn)]
    return View(t._("Who is responsible? Choose a member of the unit (they get the measure's reminders), or "
                    "write a name or a role – that person does not need to use the bot."),
                [members[i:i + 2] for i in range(0, len(members), 2)])


async def choose_responsible_member(turn, person_id):
    """A member of the unit as the responsible (checked in the service, whatever the button says)."""
    person = next((p for p, _ in await responsible_members(turn) if p.id == person_id), None)
    if person is None:
        return Stay(turn.t._("That person is not a member of the unit. Choose one of these, or write a name."))
    context = turn.context
    try:
        await service.set_responsible(context.db, context.memberships, context.person.id, turn.data["measure"],
                                      person.name, context.clock.now(), member=person.id)
    except (NotAllowed, InvalidMeasure):
        return await refused(turn, f"change measure {turn.data['measure']}")
    return await finish(turn, turn.t._("Saved."))


def show_deadline(turn):
    question = turn.t._("By when? Write a date (for example 15.03.2027).")
    intro = turn.data.get("intro")
    return View(f"{intro} {question}" if intro else question)


def show_evaluate(turn):
    t = turn.t
    return View(t._("Did the measure work?"), [[Btn(t._(label), "result", key) for key, label in EVALUATIONS.items()]])


def show_why(turn):
    return View(turn.t._("Why? Write a few words about what you learned."))


def show_decline(turn):
    return View(turn.t._("Why do you decline it? The representative will see your answer."))


# --- what each screen accepts ---

async def finish(turn, said: str | None = None) -> Done:
    """The change is saved (or skipped): the dialog ends before the answer, then the card again.
    (A measure draft the dialog held aside is open again.)"""
    await dialogs.end(turn.context)
    if said:
        await turn.say(said)
    await show_detail(turn.update, turn.context, turn.data["measure"])
    return Done(closed=True)


async def refused(turn, what: str) -> Done:
    """The service refused the change (the person is no longer the unit's leader, the measure
    became something else): the dialog ends, nothing changed."""
    await dialogs.end(turn.context)
    await refuse(turn.update, turn.context, what)
    return Done(closed=True)


async def skip(turn, _):
    return await finish(turn)


def typed(field: str, save):
    """A typed text for `field` (its length checked), saved by `save(turn, text)`."""

    async def take(turn, message):
        if refusal := text_refusal(turn.t, field, message.text):
            return Stay(refusal)
        try:
            await save(turn, message.text)
        except NotAllowed:
            return await refused(turn, f"change measure {turn.data['measure']}")
        return await finish(turn, turn.t._("Saved."))

    return take


async def save_comment(turn, text: str) -> None:
    context = turn.context
    await service.add_comment(context.db, context.memberships, context.person.id, turn.data["measure"], text,
                              context.clock.now())


async def save_responsible(turn, text: str) -> None:
    context = turn.context
    await service.set_responsible(context.db, context.memberships, context.person.id, turn.data["measure"], text,
                                  context.clock.now())


async def save_evaluation(turn, text: str) -> None:
    context = turn.context
    await service.evaluate(context.db, context.memberships, context.person.id, turn.data["measure"],
                           turn.data.get("result"), text, context.clock.now())


async def take_deadline(turn, message):
    t, context, today = turn.t, turn.context, turn.today()
    try:
        deadline = parse_date(message.text, today)
    except DateParseError as error:
        return Stay(t._("There is no such day.") if error.reason == "no_such_day"
                    else t._("I could not read that as a date."))
    quarterly = turn.data.get("quarterly")
    try:
        await service.set_deadline(context.db, context.memberships, context.person.id, turn.data["measure"],
                                   deadline, context.clock.now(), today, quarterly)
    except InvalidMeasure as invalid:
        return Stay(t._("{date} has already passed. Choose a date from today on.", date=t.date(deadline))
                    if invalid.problems == ["past"] else
                    t._("That date is after this year's evaluation deadline. Choose an earlier date."))
    except NotAllowed:
        return await refused(turn, f"change measure {turn.data['measure']}")
    if quarterly in QUICK_STATUS:
        return await finish(turn, t._("Saved: {status}, with the new deadline {date}.",
                                      status=t._(QUICK_STATUS[quarterly]), date=t.date(deadline)))
    return await finish(turn, t._("Saved."))


async def choose_result(turn, result):
    turn.data["result"] = result
    return Go("why")


async def take_decline_reason(turn, message):
    t, context, measure_id = turn.t, turn.context, turn.data["measure"]
    if refusal := text_refusal(t, "why", message.text):
        return Stay(refusal)
    try:
        measure = await service.decide_proposal(context.db, context.memberships, context.person.id, measure_id,
                                                False, context.clock.now(), message.text)
    except NotAllowed:
        return await refused(turn, f"decline proposal {measure_id}")
    await dialogs.end(context)
    await turn.say(t._("Declined. The representative is told why."))
    await tell_proposer(context, measure)
    return Done(closed=True)


# --- the dialog as data ---

SPEC = DialogSpec(
    name=DIALOG, prefix="mx", module="measures",
    title="Changing a measure (/measures), and declining a rep's proposal",
    cancelled=N_("Cancelled. Nothing was changed."),
    entries=(
        ("a new status on the measure's card (leader)", "comment"),
        ("Responsible on the card (leader)", "responsible"),
        ("Deadline on the card (leader)", "deadline"),
        ("On track in a quarterly reminder, for a measure past its deadline", "deadline"),
        ("Evaluate on the card (leader)", "evaluate"),
        ("Decline under a rep's proposal (leader)", "decline"),
        *stuck.ENTRIES,
    ),
    screens=(
        Screen("comment", "Status saved: a comment?", show_comment, buttons={
            "skip": Action(skip, goes=(END,), label="Skip (the measure's card again)"),
        }, text=Action(typed("comment", save_comment), goes=(END,),
                       label=f"typed comment (≤ {LIMITS['comment']}), the card again")),
        Screen("responsible", "Who is responsible?", show_responsible, buttons={
            "member": Action(choose_responsible_member, goes=(END,),
                             label="a member of the unit (gets the measure's reminders), the card again", value=Int),
        }, text=Action(typed("responsible", save_responsible), goes=(END,),
                       label=f"typed name or role (≤ {LIMITS['responsible']}), the card again")),
        Screen("deadline", "By when?", show_deadline,
               note="From a quarterly reminder, 'on track' is saved with the new deadline",
               text=Action(take_deadline, goes=(END,),
                           label="a typed date, not past, not after the evaluation deadline; the card again")),
        Screen("evaluate", "Did the measure work?", show_evaluate, buttons={
            "result": Action(choose_result, goes=("why",), label="it worked / partly / it did not",
                             value=Choice(EVALUATIONS)),
        }),
        Screen("why", "Why? (what was learned)", show_why, back=True,
               text=Action(typed("why", save_evaluation), goes=(END,),
                           label=f"typed (≤ {LIMITS['why']}), the card again")),
        Screen("decline", "Why decline the proposal?", show_decline,
               text=Action(take_decline_reason, goes=(END,),
                           label=f"typed reason (≤ {LIMITS['why']}); the rep is told")),
        *stuck.SCREENS,
    ),
)

units.register("ml", tuple(r.value for r in UNIT_PARTIES), show_list)
