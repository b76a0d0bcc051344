"""Der skoen trykker (DST): the units that follow it, a unit's seven phases, marking a phase done
with the parties (dialog "mark" of conversations/followup.py, with method "dst"), DST measures in
phase 4, and enrolling a unit (dialog "enrol", programme staff and admins). See dst_enrol.mmd.

    /dst ── the DST units the person follows (DST) ──> the unit's overview
    /followup of an enrolled unit ── Der skoen trykker (DST) ──> the unit's overview
    the overview ── a phase (DST_PHASE) ──> the phase ── ⬅ Back (DST) ──> the overview
    a phase ── Mark as done / Change date or parties (DST_MARK, leader) ──> dialog "mark"
    phase 4 ── Register a DST measure (DST_MEASURE, leader) ──> dialog "measure", marked as DST
    /dst ── Enrol a unit (DST_ENROL, programme staff and admins) ──> dialog "enrol"

Tidlig og tett på has no screen: the bot only reminds unit leaders and links to the material
(bot/services/programme.py); nothing about a person's health or absence is asked or kept."""

from __future__ import annotations

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
from bot.replies import reply
from bot.rules import dst as rules
from bot.rules.access import ROLE_NAMES, UNIT_PARTIES, is_leader_of, units_with_role
from bot.rules.dates import parse_date
from bot.rules.errors import DateParseError, NotAllowed
from bot.rules.labels import short_label
from bot.rules.methods import DST, DST_MEASURE_PHASE, REPS
from bot.rules.vocabulary import Role
from bot.services import privacy as privacy_service
from bot.services import programme as service
from bot.services.programme import DstOverview
from conversations import followup, measure_new, routes
from conversations.common import refuse

L_DST_TITLE = N_("Der skoen trykker · {unit}")
L_STARTED = N_("Started {date}")
L_BY_DATE = N_("by {date}")
L_MATERIAL = N_("The method's material")
L_GROUP = N_("Working group")
L_ABOVE = N_("{role} (the trust)")
L_YES, L_NO = N_("yes"), N_("no")
L_FIGURES_ONLY = N_("Programme staff see figures only: the working group's names and the representatives' answers "
                    "are not shown.")


ALL = "all"  # the resources file's key for links under every phase


def material_rows(context: BotContext, phase: str) -> list[list[Button]]:
    """The links under a phase (or the method): the resources file's (bot/resources.toml, [dst.<phase>]
    and [dst.all]), else the method's pages (bot/rules/dst.py MATERIAL)."""
    t = context.t
    links = context.settings.resources.for_step(DST.key, phase)
    if links:
        return [[Button(link.label(t.language), url=link.url)] for link in links]
    return [[Button(t._(L_MATERIAL), url=rules.MATERIAL["dst"])]]


# --- the units a person follows ---

@members_only
async def dst_command(update: Update, context: BotContext) -> None:
    """/dst: the DST units the person follows (own units, their trust or region, all), and for
    programme staff and admins a way to enrol a unit."""
    t = context.t
    units = await service.units_for(context.db, context.memberships)
    enrols = any(m.role in rules.ENROLLERS for m in context.memberships)
    if not units and not enrols:
        return await reply(update, t._("No unit you follow takes part in Der skoen trykker."))
    lines = [f"<b>{t._(DST.name)}</b>"]
    if units:
        figures = service.figures(units, context.clock.today(), context.settings.dst_phase_days)
        lines.append(t.ngettext("{n} unit takes part.", "{n} units take part.", figures.units))
    else:
        lines.append(t._("No unit takes part yet."))
    rows = [[Button(short_label(f"{u.name} ({u.trust})", 60), callback_data=routes.DST.build(u.unit_id))]
            for u in units[:30]]
    if len(units) > 30:
        lines.append(t._("The first 30 are shown; /progress counts them all."))
    if enrols:
        rows.append([Button(t._("Enrol a unit"), callback_data=routes.DST_ENROL.build())])
    rows += material_rows(context, ALL)
    await reply(update, "\n".join(lines), reply_markup=Keyboard(rows))


# --- a unit's overview and its phases ---

async def load(update: Update, context: BotContext, unit_id: int) -> DstOverview | None:
    try:
        ov = await service.overview(context.db, context.memberships, unit_id, context.clock.today(),
                                    context.settings.dst_phase_days)
    except NotAllowed:
        await refuse(update, context, f"view DST of unit {unit_id}")
        return None
    if ov is None:
        await answer_query(update, context)
        await reply(update, context.t._("This unit does not take part in Der skoen trykker."))
        return None
    # Someone outside the unit's working group seeing names (a leader above, the intervention team,
    # a local resource of the trust, an admin) is audited, as opening a plan is.
    await privacy_service.note_dst_view(context.db, context.memberships, context.person.id, unit_id, ov.names)
    return ov


async def answer_query(update: Update, context: BotContext) -> None:
    if update.callback_query and not context.press_answered:
        await context.answer_press(update)


def criteria_lines(t: Translator, enrolment) -> list[str]:
    lines = []
    for key, label in rules.CRITERIA.items():
        line = f"• {t._(label)}: {t._(L_YES) if getattr(enrolment, key) else t._(L_NO)}"
        if note := getattr(enrolment, f"{key}_note"):
            line += f" – {escape(note)}"
        lines.append(line)
    return lines


def group_lines(t: Translator, ov: DstOverview) -> list[str]:
    """The working group by name; for programme staff (no names) only the roles it has."""
    def role_name(role: str, above: bool) -> str:
        return t._(L_ABOVE, role=t._(ROLE_NAMES[role])) if above else t._(ROLE_NAMES[role])

    lines = [f"<b>{t._(L_GROUP)}</b>"]
    if ov.names:
        lines += [f"• {role_name(m.role, m.above)}: {escape(m.person.name)}" for m in ov.group]
    else:
        lines += [f"• {role_name(role, above)}" for role, above in ov.roles]
    missing = [r for r in (Role.LEADER, Role.SAFETY_REP, Role.UNION_REP, Role.LOCAL_RESOURCE)
               if not any(role == r for role, _ in ov.roles)]
    if missing:
        lines.append(t._("Missing: {roles}", roles=", ".join(t._(ROLE_NAMES[r]) for r in missing)))
    return lines


def overview_text(t: Translator, ov: DstOverview) -> str:
    lines = [f"<b>{t._(L_DST_TITLE, unit=escape(ov.unit.name))}</b>",
             t._(L_STARTED, date=t.date(ov.enrolment.started_on))]
    lines += criteria_lines(t, ov.enrolment)
    lines.append("")
    for number, state in enumerate(ov.states, 1):
        title = t._(state.step.title)
        if state.done:
            lines.append(f"✅ {number}. {title} – {t.date(state.done_on)}")
        elif ov.overdue(state):
            lines.append(f"⚠️ {number}. {title} – {t._(followup.L_OVERDUE_SINCE, date=t.date(state.due))}")
        else:
            lines.append(f"⬜ {number}. {title} – {t._(L_BY_DATE, date=t.date(state.due))}")
        lines += followup.answer_lines(t, ov.answers_for(f"step:{state.step.key}"))
    lines.append("")
    lines += group_lines(t, ov)
    if not ov.names:
        lines.append(t._(L_FIGURES_ONLY))
    lines.append("")
    following = ov.next
    if following is None:
        lines.append(t._("Every phase is done. Keep the work going as part of the unit's ordinary HSE work."))
    elif ov.overdue(following):
        lines.append(t._("Next: {step}, overdue since {date}.", step=t._(following.step.title),
                         date=t.date(following.due)))
    else:
        lines.append(t._("Next: {step}, by {date}.", step=t._(following.step.title), date=t.date(following.due)))
    return "\n".join(lines)


def overview_keyboard(t: Translator, ov: DstOverview, context: BotContext) -> Keyboard:
    buttons = [Button(f"{'✅' if s.done else '⬜'} {n}. {t._(s.step.title)}",
                      callback_data=routes.DST_PHASE.build(ov.unit.id, s.step.key))
               for n, s in enumerate(ov.states, 1)]
    rows = [buttons[i:i + 2] for i in range(0, len(buttons), 2)]
    rows += material_rows(context, ALL)
    if ov.unit.id in units_with_role(context.memberships, UNIT_PARTIES):
        rows.append([Button(t._("⬅ ForBedring"), callback_data=routes.FOLLOWUP.build(ov.unit.id))])
    return Keyboard(rows)


async def show(update: Update, context: BotContext, unit_id: int) -> None:
    ov = await load(update, context, unit_id)
    if ov is not None:
        await answer_query(update, context)
        await reply(update, overview_text(context.t, ov), reply_markup=overview_keyboard(context.t, ov, context))


@members_only
async def dst_button(update: Update, context: BotContext, press) -> None:
    await show(update, context, press.unit)


def phase_text(t: Translator, ov: DstOverview, state) -> str:
    step = state.step
    lines = [f"<b>{t._(DST.name)} · {DST.number(step.key)}. {t._(step.title)}</b>", t._(step.guidance), ""]
    if state.done:
        lines.append(t._("Done: {date}", date=t.date(state.done_on)))
        record = ov.records.get(step.key)
        if record and record.parties:
            lines.append(t._("Took part: {parties}",
                             parties=", ".join(t._(ROLE_NAMES[r]) for r in record.parties.split(","))))
    else:
        lines.append(t._("Not done yet – by {date}", date=t.date(state.due)))
    lines += followup.answer_lines(t, ov.answers_for(f"step:{step.key}"))
    if not ov.names:
        lines.append(t._(L_FIGURES_ONLY))
    return "\n".join(lines)


def phase_keyboard(context: BotContext, ov: DstOverview, state) -> Keyboard:
    t, unit_id, step = context.t, ov.unit.id, state.step
    rows = []
    if is_leader_of(context.memberships, unit_id):
        label = t._("Mark as done") if not state.done else t._("Change date or parties")
        rows.append([Button(label, callback_data=routes.DST_MARK.build(unit_id, step.key))])
        if step.key == DST_MEASURE_PHASE:
            rows.append([Button(t._("Register a DST measure"), callback_data=routes.DST_MEASURE.build(unit_id)),
                         Button(t._("The measures"), callback_data=routes.MEASURE_LIST.build(unit_id))])
    # The phase's links from the resources file, as under a ForBedring step.
    rows += material_rows(context, step.key)
    rows.append([Button(t._("⬅ Back"), callback_data=routes.DST.build(unit_id))])
    return Keyboard(rows)


@members_only
async def phase_button(update: Update, context: BotContext, press) -> None:
    ov = await load(update, context, press.unit)
    if ov is None:
        return
    state = next((s for s in ov.states if s.step.key == press.phase), None)
    if state is None:
        return await refuse(update, context, f"open DST phase {press.phase!r}")
    await answer_query(update, context)
    await reply(update, phase_text(context.t, ov, state), reply_markup=phase_keyboard(context, ov, state))


# --- marking a phase: dialog "mark" of conversations/followup.py ---

@members_only
async def mark_button(update: Update, context: BotContext, press) -> None:
    """Mark as done / Change date or parties: the unit's leader, a phase of an enrolled unit."""
    if not is_leader_of(context.memberships, press.unit) or DST.step(press.phase) is None:
        return await refuse(update, context, f"mark a DST phase with {update.callback_query.data!r}")
    ov = await load(update, context, press.unit)
    if ov is None:
        return
    await answer_query(update, context)
    await engine.begin(update, context, followup.MARK, "date", {
        "unit": press.unit, "step": press.phase, "parties": list(REPS), "meeting": True, "method": DST.key,
        "start": ov.enrolment.started_on.isoformat()})


async def save_phase(turn) -> Done:
    """The last screen of dialog "mark" for a DST phase: saved, the reps asked, the overview shown."""
    update, context, t, data = turn.update, turn.context, turn.t, turn.data
    unit_id, phase, day = data["unit"], data["step"], date.fromisoformat(data["date"])
    parties = [Role.LEADER] + [p for p in REPS if p in data["parties"]]
    try:
        to_ask = await service.mark_phase(context.db, context.memberships, context.person.id, unit_id, phase, day,
                                          parties, context.clock.now())
    except NotAllowed:
        await dialogs.end(context)
        await refuse(update, context, f"mark DST phase {phase} on unit {unit_id}")
        return Done(closed=True)
    await dialogs.end(context)
    ov = await service.overview(context.db, context.memberships, unit_id, context.clock.today(),
                                context.settings.dst_phase_days)
    await followup.ask_reps(turn, ov.unit.name, DST.step(phase), day, to_ask)
    saved = t._("Saved: “{step}” done {date}.", step=t._(DST.step(phase).title), date=t.date(day))
    if to_ask:
        saved += " " + t.ngettext("{n} representative is asked to confirm.",
                                  "{n} representatives are asked to confirm.", len(to_ask))
    await turn.say(saved)
    await turn.say(overview_text(t, ov), reply_markup=overview_keyboard(t, ov, context))
    return Done(closed=True)


# --- DST measures (phase 4) ---

@members_only
async def measure_button(update: Update, context: BotContext, press) -> None:
    """Register a DST measure: the unit's leader, an enrolled unit; the measure dialog as always."""
    if not is_leader_of(context.memberships, press.unit) or await service.enrolment(context.db, press.unit) is None:
        return await refuse(update, context, f"register a DST measure with {update.callback_query.data!r}")
    await context.answer_press(update)
    await measure_new.start(update, context, press.unit, method=DST.key)


# --- /followup of an enrolled unit shows both ---

async def followup_extra(context: BotContext, unit_id: int):
    """A line and a button for the ForBedring overview when the unit follows DST too, else None."""
    found = await service.enrolment(context.db, unit_id)
    if found is None:
        return None
    t = context.t
    line = t._("This unit also follows Der skoen trykker (since {date}).", date=t.date(found.started_on))
    return line, Button(t._(DST.name), callback_data=routes.DST.build(unit_id))



# --- dialog "enrol": programme staff and admins enrol a unit ---

def may_enrol_somewhere(memberships) -> bool:
    return any(m.role in rules.ENROLLERS for m in memberships)


@members_only
async def enrol_button(update: Update, context: BotContext, press) -> None:
    if not may_enrol_somewhere(context.memberships):
        return await refuse(update, context, "enrol a unit in DST")
    await context.answer_press(update)
    await engine.begin(update, context, ENROL, "unit", {})


def show_unit(turn):
    return View(turn.t._("Which unit? Write its code as in the organisation file, with the trust's code first "
                         "when the same code is used in several trusts (for example HB/KIRPOL)."))


async def take_unit(turn, message):
    context, t = turn.context, turn.t
    trust, _, code = message.text.strip().rpartition("/")
    # One answer for an unknown code, a unit outside the person's places and a code used in several
    # of them: the answer never tells that a unit exists where they may not enrol.
    unit_id = await service.unit_to_enrol(context.db, context.memberships, code.strip(), trust.strip() or None)
    if unit_id is None:
        return Stay(t._("I found no single unit with that code among the places where you may enrol units. "
                        "Write the code as in the organisation file, with the trust's code first if the same code "
                        "is used in several trusts, for example HB/KIRPOL."))
    ov_unit = await service.unit_info(context.db, unit_id)
    if await service.enrolment(context.db, unit_id) is not None:
        return Stay(t._("{unit} takes part in Der skoen trykker already.", unit=escape(ov_unit.name)))
    turn.data.update(unit=unit_id, name=ov_unit.name, criteria={}, index=0)
    return Go("start")


def show_start(turn):
    t, today = turn.t, turn.today()
    return View(t._("{unit}: when does the work start? Write the date (for example 01.02.2027) or choose:",
                    unit=escape(turn.data["name"])),
                [[Btn(t._("Today"), "day", today), Btn(t._("In a week"), "day", today + timedelta(days=7))]])


async def take_start(turn, day: date):
    if not turn.today() - timedelta(days=365) <= day <= turn.today() + timedelta(days=365):
        return Stay(turn.t._("The start must be within a year from today."))
    turn.data["start"] = day.isoformat()
    turn.data["index"] = 0
    return Go("criterion")


async def take_typed_start(turn, message):
    try:
        day = parse_date(message.text, turn.today())
    except DateParseError:
        return Stay(turn.t._("I could not read that as a date."))
    return await take_start(turn, day)


ORDINALS = ("1", "2", "3")  # the criterion's place, as text (not a count)


def _criterion(turn) -> str:
    return list(rules.CRITERIA)[turn.data["index"]]


def show_criterion(turn):
    t, key = turn.t, _criterion(turn)
    return View(t._("Entry criterion {number} of 3: {criterion}. Does it fit the unit?",
                    number=ORDINALS[turn.data["index"]], criterion=t._(rules.CRITERIA[key])),
                [[Btn(t._("Yes"), "fits", "yes"), Btn(t._("No"), "fits", "no")]])


async def take_fits(turn, answer: str):
    turn.data["criteria"][_criterion(turn)] = [answer == "yes", ""]
    return Go("note")


def show_note(turn):
    t = turn.t
    return View(t.ngettext("A short note about the unit (at most {n} character), or Skip. Never write anything "
                           "about a person's health or absence.",
                           "A short note about the unit (at most {n} characters), or Skip. Never write anything "
                           "about a person's health or absence.", rules.NOTE_LIMIT), [[Btn(t._("Skip"), "skip")]])


def _next(turn):
    turn.data["index"] += 1
    return Go("criterion") if turn.data["index"] < len(rules.CRITERIA) else Go("confirm")


async def take_note(turn, message):
    text = message.text.strip()
    if len(text) > rules.NOTE_LIMIT:
        return Stay(turn.t.ngettext("That is {n} character; the limit is {limit}. Please shorten it – nothing was cut.",
                                    "That is {n} characters; the limit is {limit}. Please shorten it – nothing was cut.",
                                    len(text), limit=rules.NOTE_LIMIT))
    turn.data["criteria"][_criterion(turn)][1] = text
    return _next(turn)


async def skip_note(turn, _):
    return _next(turn)


def show_confirm(turn):
    t, data = turn.t, turn.data
    lines = [t._("Enrol {unit} in Der skoen trykker from {date}?", unit=escape(data["name"]),
                 date=t.date(date.fromisoformat(data["start"])))]
    for key, label in rules.CRITERIA.items():
        yes, note = data["criteria"][key]
        lines.append(f"• {t._(label)}: {t._(L_YES) if yes else t._(L_NO)}" + (f" – {escape(note)}" if note else ""))
    return View("\n".join(lines), [[Btn(t._("Enrol"), "save")]])


async def save_enrolment(turn, _):
    context, t, data = turn.context, turn.t, turn.data
    criteria = {key: (bool(yes), note) for key, (yes, note) in data["criteria"].items()}
    try:
        await service.enrol(context.db, data["unit"], date.fromisoformat(data["start"]), criteria,
                            actor=f"person:{context.person.id}", now=context.clock.now(),
                            memberships=context.memberships)
    except service.AlreadyEnrolled:
        await dialogs.end(context)
        await turn.say(t._("{unit} takes part in Der skoen trykker already.", unit=escape(data["name"])))
        return Done(closed=True)
    except NotAllowed:
        await dialogs.end(context)
        await refuse(turn.update, context, f"enrol unit {data['unit']}")
        return Done(closed=True)
    await dialogs.end(context)
    await turn.say(t._("{unit} is enrolled in Der skoen trykker from {date}. Its working group sees the phases "
                       "in /dst and /followup.", unit=escape(data["name"]),
                       date=t.date(date.fromisoformat(data["start"]))))
    return Done(closed=True)


ENROL = DialogSpec(
    name="enrol", prefix="en", module="dst", diagram="dst_enrol",
    title="Enrolling a unit in Der skoen trykker (/dst, programme staff and admins)",
    cancelled=N_("Cancelled. Nothing was changed."),
    allowed=may_enrol_somewhere,
    entries=(("Enrol a unit (DST_ENROL; programme staff and admins)", "unit"),),
    screens=(
        Screen("unit", "Which unit?", show_unit, cancel=True,
               text=Action(take_unit, goes=("start",),
                           label="a unit code (TRUST/CODE), within the person's places, not enrolled yet")),
        Screen("start", "When does the work start?", show_start, back=True, cancel=True, buttons={
            "day": Action(take_start, goes=("criterion",), label="Today / In a week", value=Date),
        }, text=Action(take_typed_start, goes=("criterion",), label="a typed date within a year")),
        Screen("criterion", "Entry criterion n of 3: does it fit?", show_criterion, cancel=True, buttons={
            "fits": Action(take_fits, goes=("note",), label="Yes / No", value=Choice(("yes", "no"))),
        }, note="potential for lower sick leave, work-environment challenges, high motivation"),
        Screen("note", "A short note, or Skip", show_note, cancel=True, buttons={
            "skip": Action(skip_note, goes=("criterion", "confirm"), label="Skip (the next criterion, or the summary)"),
        }, text=Action(take_note, goes=("criterion", "confirm"), label=f"a note (≤ {rules.NOTE_LIMIT})")),
        Screen("confirm", "Enrol the unit?", show_confirm, cancel=True, buttons={
            "save": Action(save_enrolment, goes=(END,), label="Enrol (audited)"),
        }),
    ),
)


# --- /progress, /overdue, /export and /chart: Der skoen trykker beside ForBedring, split by method ---
# (conversations/progress.py calls these; an intervention team, which follows only its region's DST
# units, gets these alone.)

async def _followed(context: BotContext):
    return await service.units_for(context.db, context.memberships)


async def show_progress(update: Update, context: BotContext) -> bool:
    """The DST units the person follows, phase by phase; False when there are none."""
    units = await _followed(context)
    if not units:
        return False
    t = context.t
    figures = service.figures(units, context.clock.today(), context.settings.dst_phase_days)
    lines = [f"<b>{t._(DST.name)}</b>", t.ngettext("{n} unit takes part.", "{n} units take part.", figures.units)]
    for number, step in enumerate(DST.steps, 1):
        lines.append(t.ngettext("{number}. {phase}: done in {done} of {n} unit",
                                "{number}. {phase}: done in {done} of {n} units", figures.units,
                                number=number, phase=t._(step.title), done=figures.phases_done[step.key]))
    lines.append(t.ngettext("{n} unit is past a phase's target date (/overdue).",
                            "{n} units are past a phase's target date (/overdue).", len(figures.overdue)))
    await reply(update, "\n".join(lines), reply_markup=Keyboard(
        [[Button(short_label(f"{u.name} ({u.trust})", 60), callback_data=routes.DST.build(u.unit_id))]
         for u in units[:30]]))
    return True


async def show_overdue(update: Update, context: BotContext) -> bool:
    """The DST units past a phase's target date, oldest first; False when the person follows none."""
    units = await _followed(context)
    if not units:
        return False
    t = context.t
    figures = service.figures(units, context.clock.today(), context.settings.dst_phase_days)
    lines = [f"<b>{t._(DST.name)}</b>"]
    if not figures.overdue:
        lines.append(t._("No phase is past its target date."))
    for unit, phase, due in figures.overdue[:50]:
        lines.append(t._("{unit} ({trust}) – since {date}: {phase}", unit=escape(unit.name), trust=escape(unit.trust),
                         date=t.date(due), phase=t._(DST.step(phase).title)))
    await reply(update, "\n".join(lines))
    return True


async def send_export(update: Update, context: BotContext) -> bool:
    """A CSV of the DST units the person follows: per unit the start, the criteria, each phase's
    target and done date, and its DST measures by status. False when there are none."""
    from telegram import InputFile

    from bot.services.export import excel_csv

    units = await _followed(context)
    if not units:
        return False
    rows = await service.export_rows(context.db, units, context.settings.dst_phase_days)
    today = context.clock.today()
    await update.effective_chat.send_document(
        InputFile(excel_csv(service.EXPORT_HEADER, rows), filename=f"der-skoen-trykker-{today.isoformat()}.csv"),
        caption=context.t._("Der skoen trykker: the phases of the units, {date}.", date=context.t.date(today)))
    return True


async def send_chart(update: Update, context: BotContext) -> bool:
    """The share of the DST units that have done each phase, drawn in the worker process."""
    from telegram import InputFile

    from bot import workers
    from bot.services import charts

    units = await _followed(context)
    if not units:
        return False
    t = context.t
    figures = service.figures(units, context.clock.today(), context.settings.dst_phase_days)
    labels = [f"{n}. {t._(step.title)}" for n, step in enumerate(DST.steps, 1)]
    series = {t._(DST.name): [100 * figures.phases_done[s.key] / figures.units for s in DST.steps]}
    title = t._("Der skoen trykker: phases done")
    png = await workers.run(charts.draw_completion, labels, series, title)
    await update.effective_chat.send_photo(InputFile(png, filename="der-skoen-trykker.png"), caption=title)
    return True
