"""/progress, /overdue, /export and /chart for admins and the leader groups above
the units; a unit's own leader and reps see their unit only. See progress.mmd."""

from __future__ import annotations

from html import escape

from babel.numbers import format_percent
from telegram import InlineKeyboardButton as Button
from telegram import InlineKeyboardMarkup as Keyboard
from telegram import InputFile, Update
from telegram.error import TelegramError

from bot.dialogs.callbacks import Route
from bot.guards import members_only
from bot.i18n import N_, Translator
from bot.identity import BotContext
from bot.replies import reply
from bot.rules.access import may_view_unit
from bot.rules.cycle import current_year
from bot.rules.labels import short_label
from bot.rules.places import Where
from bot.rules.progress_scope import scopes, within_any
from bot.services import charts, export
from bot.services import progress as service
from bot.services import raised as raised_service
from bot.services.progress import Node
from conversations import routes
from conversations import dst as dst_view
from conversations.common import page_of, refuse

PAGE = 10
L_PROGRESS = N_("Progress {year}")
L_EVERYONE = N_("all units")
L_OVERDUE = N_("Overdue")
L_PAGE = N_("page {page} of {pages}")
FIGURE_LABELS = (
    ("reviewed", N_("Reviewed the results with the parties")),
    ("feedback", N_("Held the feedback meeting")),
    ("areas", N_("Chose areas")),
    ("submitted", N_("Submitted the plan")),
    ("acknowledged", N_("Plan acknowledged by the reps")),
)


def share(t: Translator, part: int, whole: int) -> str:
    return format_percent(part / whole, locale=t.locale) if whole else "–"


def node_text(t: Translator, node: Node, page: int = 0, paged: bool = False) -> str:
    total = node.total
    lines = [f"<b>{t._(L_PROGRESS, year=node.year)} · {escape(node.title) or t._(L_EVERYONE)}</b>",
             t.ngettext("{n} unit", "{n} units", total.units)]
    lines += [f"{t._(label)}: {share(t, getattr(total, key), total.units)}" for key, label in FIGURE_LABELS]
    if node.since:
        # Only units whose trust has had a quarterly date owe a status (status_due), each since its own date.
        updated = share(t, total.updated, total.status_due)
        if node.since_first in (None, node.since):
            lines.append(t._("Updated their measures since {date}: {share}", date=t.date(node.since), share=updated))
        else:
            lines.append(t._("Updated their measures since their trust's last status date ({first} to {last}): "
                             "{share}", first=t.date(node.since_first), last=t.date(node.since), share=updated))
    lines.append(t.ngettext("{n} measure per unit on average", "{n} measures per unit on average",
                            round(total.measures / total.units, 1) if total.units else 0))
    lines.append(overdue_measures(t, total.overdue))
    if node.improved[1]:  # issue 13: last year's evaluated measures against this year's results
        lines.append(t._("Measures whose theme improved ({year} measures, {next} results): {share}",
                         year=node.year - 1, next=node.year, share=share(t, *node.improved)))
    if total.stuck:
        lines.append(t.ngettext("{n} measure stuck", "{n} measures stuck", total.stuck))
    if node.children:
        lines.append("")
        children = node.children
        if paged:  # the same page as the buttons
            children, page, pages = page_of(children, page, DRILL_PAGE)
            if pages > 1:
                lines.append(t._(L_PAGE, page=page + 1, pages=pages))
        for child in children:
            lines.append(t._("{name}: {units}, plan submitted {plan}, {overdue}", name=escape(child_name(t, child)),
                             units=t.ngettext("{n} unit", "{n} units", child.units),
                             plan=share(t, child.submitted, child.units), overdue=overdue_measures(t, child.overdue)))
    return "\n".join(lines)


def child_name(t: Translator, child) -> str:
    """A line's name; a leader-group unit's says so."""
    name = str(child.name) or "–"
    return t._("Leader group: {name}", name=name) if child.leader_group else name


def overdue_measures(t: Translator, n: int) -> str:
    return t.ngettext("{n} measure past its deadline", "{n} measures past their deadline", n)


DRILL_PAGE = 30  # buttons a page; a trust can have hundreds of units


def node_address(node: Node, clinic_index: int | None) -> tuple[Route, tuple] | None:
    """The route and its fields that show this node again (for paging, the page added), or
    None at the top."""
    if node.level == "region":
        return routes.PROGRESS_REGION, (node.where.region_id,)
    if node.level == "trust":
        return routes.PROGRESS_TRUST, (node.where.trust_id,)
    if node.level == "clinic" and clinic_index is not None:
        return routes.PROGRESS_CLINIC, (node.where.trust_id, clinic_index)
    return None


def child_data(context: BotContext, node: Node, key) -> str | None:
    """The button data that opens a child of this node: the next level down, or a unit's
    plan; None when the person may see the figures but not the plan."""
    if node.child_level == "region":
        return routes.PROGRESS_REGION.build(key)
    if node.child_level == "trust":
        return routes.PROGRESS_TRUST.build(key)
    if node.child_level == "clinic":
        return routes.PROGRESS_CLINIC.build(node.where.trust_id, node.clinics.index(key))
    if may_open_plan(context, node, key):
        return routes.PLAN.build(key)
    return None  # programme staff see the figures, not the units' plans


def node_keyboard(t: Translator, node: Node, context: BotContext, page: int = 0,
                  clinic_index: int | None = None) -> Keyboard:
    rows = []
    address = node_address(node, clinic_index)
    shown, page, pages = page_of(node.children, page if address else 0, DRILL_PAGE)
    if not address:
        pages = 1  # nothing to page back to: the top shows the first page only
    for child in shown:
        label = f"{short_label(child_name(t, child), 50)} ({share(t, child.submitted, child.units)})"
        data = ((routes.PLAN.build(child.key) if may_open_plan(context, node, child.key) else None)
                if child.leader_group else child_data(context, node, child.key))
        if data is not None:
            rows.append([Button(label, callback_data=data)])
    nav = []
    if page > 0:
        nav.append(Button(t._("⬅ Previous"), callback_data=address[0].build(*address[1], page - 1)))
    if page + 1 < pages:
        nav.append(Button(t._("Next ➡"), callback_data=address[0].build(*address[1], page + 1)))
    if nav:
        rows.append(nav)
    return Keyboard(rows)


def may_open_plan(context: BotContext, node: Node, unit_id: int) -> bool:
    if node.where.unit_ids is not None:
        return True  # the person's own units
    return may_view_unit(context.memberships, unit_id, node.where.trust_id, node.where.region_id)


async def scope_or_none(context: BotContext) -> Where | None:
    """The person's whole scope as one (several trusts or regions become their units)."""
    found = scopes(context.memberships)
    return await service.union_of(context.db, found) if found else None


async def show(update: Update, context: BotContext, where: Where, page: int = 0,
               clinic_index: int | None = None) -> None:
    node = await service.node(context.db, where, context.clock.today(), context.settings.bot_timezone)
    paged = node_address(node, clinic_index) is not None
    await reply(update, node_text(context.t, node, page, paged),
                reply_markup=node_keyboard(context.t, node, context, page, clinic_index))


@members_only
async def progress_command(update: Update, context: BotContext) -> None:
    found = scopes(context.memberships)
    if not found:
        # An intervention team follows only its region's Der skoen trykker units.
        if not await dst_view.show_progress(update, context):
            await refuse(update, context, "see progress")
        return
    if len(found) == 1:
        await show(update, context, found[0])
    else:
        # Several trusts or regions: ask which, with the same buttons as the drill-down.
        titles = await service.titles_of(context.db, found)
        rows = [[Button(title, callback_data=routes.PROGRESS_TRUST.build(w.trust_id) if w.trust_id
                        else routes.PROGRESS_REGION.build(w.region_id))] for title, w in zip(titles, found)]
        await reply(update, context.t._("Which health trust or region?"), reply_markup=Keyboard(rows))
    await dst_view.show_progress(update, context)  # split by method: the DST units, if any, on their own


@members_only
async def region_button(update: Update, context: BotContext, press) -> None:
    """A region's trusts (routes.PROGRESS_REGION)."""
    await drill(update, context, await service.place(context.db, "r", press.region), press.page)


@members_only
async def trust_button(update: Update, context: BotContext, press) -> None:
    """A trust's clinics or units (routes.PROGRESS_TRUST)."""
    await drill(update, context, await service.place(context.db, "t", press.trust), press.page)


@members_only
async def clinic_button(update: Update, context: BotContext, press) -> None:
    """A clinic's units (routes.PROGRESS_CLINIC)."""
    where = await service.place(context.db, "c", press.trust, press.clinic)
    await drill(update, context, where, press.page, press.clinic)


async def drill(update: Update, context: BotContext, where: Where | None, page: int | None,
                clinic_index: int | None = None) -> None:
    """Shown only within the person's scope, whatever the button says."""
    if where is None or not within_any(scopes(context.memberships), where.region_id, where.trust_id):
        return await refuse(update, context, f"drill down with {update.callback_query.data!r}")
    await context.answer_press(update)
    await show(update, context, where, page or 0, clinic_index)


# --- /overdue ---

STEP_NAMES = {"review": N_("review with the parties"), "feedback": N_("feedback meeting"),
              "areas": N_("areas to preserve and improve"), "plan": N_("plan"),
              "status": N_("quarterly status of the measures")}


async def show_overdue(update: Update, context: BotContext, page: int) -> None:
    t = context.t
    scope = await scope_or_none(context)
    if scope is None:
        return await refuse(update, context, "see overdue units")
    units = await service.overdue(context.db, scope, context.clock.today(), context.settings.bot_timezone)
    # The problems raised to this person (a leader above) that nobody has answered, on the first page.
    waiting = [row for row in await raised_service.visible_to(context.db, context.memberships)
               if not row.problem.answer and not row.problem.taken_measure_id] if page == 0 else []
    if not units and not waiting:
        return await reply(update, t._("Nothing is overdue. 🎉"))
    shown, page, pages = page_of(units, page, PAGE)
    lines = []
    if waiting:
        heading = t.ngettext("{n} raised problem waits for your answer (/raised)",
                             "{n} raised problems wait for your answer (/raised)", len(waiting))
        lines.append(f"<b>{heading}</b>")
        tz = context.settings.bot_timezone
        lines += [f"{escape(row.unit_name)}: {escape(row.measure_title)} – "
                  f"{t.date(row.problem.raised_at.astimezone(tz).date())}" for row in waiting[:PAGE]]
        lines.append("")
    if not units:
        return await reply(update, "\n".join(lines[:-1]))
    lines.append(f"<b>{t._(L_OVERDUE)}</b> · {t._(L_PAGE, page=page + 1, pages=pages)}")
    for u in shown:
        what = [t._(STEP_NAMES[s]) for s in u.steps]
        if u.overdue_measures:
            what.append(t.ngettext("{n} measure", "{n} measures", u.overdue_measures))
        lines.append(t._("{unit} ({trust}) – since {date}: {what}", unit=escape(u.name), trust=escape(u.trust),
                         date=t.date(u.since), what=", ".join(what)))
    nav = []
    if page > 0:
        nav.append(Button(t._("⬅ Previous"), callback_data=routes.OVERDUE_PAGE.build(page - 1)))
    if page + 1 < pages:
        nav.append(Button(t._("Next ➡"), callback_data=routes.OVERDUE_PAGE.build(page + 1)))
    await reply(update, "\n".join(lines), reply_markup=Keyboard([nav]) if nav else None)


@members_only
async def overdue_command(update: Update, context: BotContext) -> None:
    """ForBedring's overdue units, then (split by method) the Der skoen trykker units past a phase's
    target date; an intervention team gets only the latter."""
    if not scopes(context.memberships):
        if not await dst_view.show_overdue(update, context):
            await refuse(update, context, "see overdue units")
        return
    await show_overdue(update, context, 0)
    await dst_view.show_overdue(update, context)


@members_only
async def overdue_button(update: Update, context: BotContext, press) -> None:
    """A page of /overdue (routes.OVERDUE_PAGE)."""
    await context.answer_press(update)
    await show_overdue(update, context, press.page)


# --- /export and /chart ---
# Both are made beside the updates (bot/background.py), the file in the worker process
# (bot/workers.py): the handler starts the job and returns, so nobody waits for a national export.
L_EXPORT_BUSY = N_("Your export is already being prepared. It will come here when it is ready.")
L_CHART_BUSY = N_("Your chart is already being drawn. It will come here when it is ready.")
L_EXPORT_PREPARING = N_("Preparing the export… This can take a minute.")
L_EXPORT_PROGRESS = N_("Preparing the export… {done} of {total} rows written ({share}).")


@members_only
async def export_command(update: Update, context: BotContext) -> None:
    """/export (XLSX) or /export csv, for the person's scope; one at a time per person."""
    scope = await scope_or_none(context)
    if scope is None:
        if not await dst_view.send_export(update, context):  # an intervention team: DST only
            await refuse(update, context, "export")
        return
    await dst_view.send_export(update, context)  # split by method: the DST units in a file of their own
    as_csv = bool(context.args) and context.args[0].lower() == "csv"
    t, db, today = context.t, context.db, context.clock.today()
    if not context.application.background.start("export", update.effective_user.id, update,
                                                 lambda: send_export(update, t, db, scope, today, as_csv)):
        await reply(update, t._(L_EXPORT_BUSY))


async def send_export(update: Update, t: Translator, db, scope: Where, today, as_csv: bool) -> None:
    """A message that says it is coming and how far it has come, then the file; the message
    goes when the file is there."""
    chat = update.effective_chat
    waiting = await chat.send_message(t._(L_EXPORT_PREPARING))

    async def show_progress(done: int, total: int) -> None:
        await waiting.edit_text(t._(L_EXPORT_PROGRESS, done=t.number(done), total=t.number(total),
                                    share=share(t, done, total)))
    try:
        if as_csv:
            for name, data in (await export.csv_files(db, scope, today, show_progress)).items():
                await chat.send_document(InputFile(data, filename=f"forbedring-{today.isoformat()}-{name}"))
        else:
            data = await export.xlsx(db, scope, today, show_progress)
            await chat.send_document(InputFile(data, filename=f"forbedring-{today.isoformat()}.xlsx"),
                                     caption=t._("Measures and unit progress, {date}.", date=t.date(today)))
    finally:
        try:
            await waiting.delete()
        except TelegramError:
            pass  # too old or already gone: it only said the export was coming


@members_only
async def chart_command(update: Update, context: BotContext) -> None:
    """/chart (step completion per region, trust or clinic) or /chart weeks (over the year)."""
    scope = await scope_or_none(context)
    weeks = bool(context.args) and context.args[0].lower() in ("weeks", "uker", "veker")
    if scope is None:
        if weeks or not await dst_view.send_chart(update, context):  # an intervention team: DST only
            await refuse(update, context, "see charts")
        return
    if not weeks:
        await dst_view.send_chart(update, context)  # split by method: the DST phases in a chart of their own
    if not context.application.background.start("chart", update.effective_user.id, update,
                                                 lambda: send_chart(update, context, scope, weeks)):
        await reply(update, context.t._(L_CHART_BUSY))


async def send_chart(update: Update, context: BotContext, scope: Where, by_week: bool) -> None:
    """The figures are counted and drawn in the worker process."""
    t, today, tz = context.t, context.clock.today(), context.settings.bot_timezone
    if by_week:
        title = t._("Units that have done each step, week by week")
        png = await charts.weekly_chart(t, context.db, scope, today, tz, title)
    else:
        title = t._("Step completion, {year}", year=current_year(today))
        png = await charts.completion_chart(t, context.db, scope, today, tz, title)
    await update.effective_chat.send_photo(InputFile(png, filename="forbedring.png"), caption=title)
