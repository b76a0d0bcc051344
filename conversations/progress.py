"""/progress, /overdue, /export and /chart for admins and the leader groups above
the units; a unit's own leader and reps see their unit only. See progress.mmd."""

from __future__ import annotations

from html import escape

from babel.numbers import format_percent
from telegram import InlineKeyboardButton as Button
from telegram import InlineKeyboardMarkup as Keyboard
from telegram import InputFile, Update

from bot.guards import members_only
from bot.i18n import N_, Translator
from bot.identity import BotContext
from bot.replies import reply
from bot.rules.access import may_view_unit
from bot.rules.places import Where
from bot.rules.progress_scope import scopes, within_any
from bot.services import charts, export
from bot.services import progress as service
from bot.services.progress import Node
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
    if node.children:
        lines.append("")
        children = node.children
        if paged:  # the same page as the buttons
            children, page, pages = page_of(children, page, DRILL_PAGE)
            if pages > 1:
                lines.append(t._(L_PAGE, page=page + 1, pages=pages))
        for child in children:
            lines.append(t._("{name}: {units}, plan submitted {plan}, {overdue}", name=escape(str(child.name) or "–"),
                             units=t.ngettext("{n} unit", "{n} units", child.units),
                             plan=share(t, child.submitted, child.units), overdue=overdue_measures(t, child.overdue)))
    return "\n".join(lines)


def overdue_measures(t: Translator, n: int) -> str:
    return t.ngettext("{n} measure past its deadline", "{n} measures past their deadline", n)


DRILL_PAGE = 30  # buttons a page; a trust can have hundreds of units


def node_address(node: Node, clinic_index: int | None) -> str | None:
    """The button data that shows this node again (for paging), or None at the top."""
    if node.level == "region":
        return f"pg:r:{node.where.region_id}"
    if node.level == "trust":
        return f"pg:t:{node.where.trust_id}"
    if node.level == "clinic" and clinic_index is not None:
        return f"pg:c:{node.where.trust_id}:{clinic_index}"
    return None


def node_keyboard(t: Translator, node: Node, context: BotContext, page: int = 0,
                  clinic_index: int | None = None) -> Keyboard:
    rows = []
    address = node_address(node, clinic_index)
    shown, page, pages = page_of(node.children, page if address else 0, DRILL_PAGE)
    if not address:
        pages = 1  # nothing to page back to: the top shows the first page only
    for child in shown:
        label = f"{str(child.name) or '–'} ({share(t, child.submitted, child.units)})"[:60]
        if node.child_level == "region":
            data = f"pg:r:{child.key}"
        elif node.child_level == "trust":
            data = f"pg:t:{child.key}"
        elif node.child_level == "clinic":
            data = f"pg:c:{node.where.trust_id}:{node.clinics.index(child.key)}"
        elif may_open_plan(context, node, child.key):
            data = f"pl:{child.key}"  # a unit opens its plan
        else:
            continue  # programme staff see the figures, not the units' plans
        rows.append([Button(label, callback_data=data)])
    nav = []
    if page > 0:
        nav.append(Button(t._("⬅ Previous"), callback_data=f"{address}:p{page - 1}"))
    if page + 1 < pages:
        nav.append(Button(t._("Next ➡"), callback_data=f"{address}:p{page + 1}"))
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
        return await refuse(update, context, "see progress")
    if len(found) == 1:
        return await show(update, context, found[0])
    # Several trusts or regions: ask which, with the same buttons as the drill-down.
    titles = await service.titles_of(context.db, found)
    rows = [[Button(title, callback_data=f"pg:t:{w.trust_id}" if w.trust_id else f"pg:r:{w.region_id}")]
            for title, w in zip(titles, found)]
    await reply(update, context.t._("Which health trust or region?"), reply_markup=Keyboard(rows))


@members_only
async def drill_button(update: Update, context: BotContext) -> None:
    """pg:r:<region> | pg:t:<trust> | pg:c:<trust>:<clinic index>, each optionally :p<page>
    – re-checked against the person's scope."""
    query = update.callback_query
    parts = query.data.split(":")
    page = 0
    if len(parts) > 3 and parts[-1].startswith("p") and parts[-1][1:].isdigit():
        page = int(parts.pop()[1:])
    where = await target(context, parts)
    if where is None or not within_any(scopes(context.memberships), where.region_id, where.trust_id):
        return await refuse(update, context, f"drill down with {query.data!r}")
    await context.answer_press(update)
    clinic_index = int(parts[3]) if len(parts) == 4 and parts[3].isdigit() else None
    await show(update, context, where, page, clinic_index)


async def target(context: BotContext, parts: list[str]) -> Where | None:
    if len(parts) < 3 or not parts[2].isdigit():
        return None
    clinic = int(parts[3]) if len(parts) == 4 and parts[3].isdigit() else None
    return await service.place(context.db, parts[1], int(parts[2]), clinic)


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
    if not units:
        return await reply(update, t._("Nothing is overdue. 🎉"))
    shown, page, pages = page_of(units, page, PAGE)
    lines = [f"<b>{t._(L_OVERDUE)}</b> · {t._(L_PAGE, page=page + 1, pages=pages)}"]
    for u in shown:
        what = [t._(STEP_NAMES[s]) for s in u.steps]
        if u.overdue_measures:
            what.append(t.ngettext("{n} measure", "{n} measures", u.overdue_measures))
        lines.append(t._("{unit} ({trust}) – since {date}: {what}", unit=escape(u.name), trust=escape(u.trust),
                         date=t.date(u.since), what=", ".join(what)))
    nav = []
    if page > 0:
        nav.append(Button(t._("⬅ Previous"), callback_data=f"ov:{page - 1}"))
    if page + 1 < pages:
        nav.append(Button(t._("Next ➡"), callback_data=f"ov:{page + 1}"))
    await reply(update, "\n".join(lines), reply_markup=Keyboard([nav]) if nav else None)


@members_only
async def overdue_command(update: Update, context: BotContext) -> None:
    await show_overdue(update, context, 0)


@members_only
async def overdue_button(update: Update, context: BotContext) -> None:
    parts = update.callback_query.data.split(":")
    await context.answer_press(update)
    await show_overdue(update, context, int(parts[1]) if len(parts) == 2 and parts[1].isdigit() else 0)


# --- /export and /chart ---

@members_only
async def export_command(update: Update, context: BotContext) -> None:
    """/export (XLSX) or /export csv, for the person's scope."""
    scope = await scope_or_none(context)
    if scope is None:
        return await refuse(update, context, "export")
    today, chat = context.clock.today(), update.effective_chat
    if context.args and context.args[0].lower() == "csv":
        for name, data in (await export.csv_files(context.db, scope, today)).items():
            await chat.send_document(InputFile(data, filename=f"forbedring-{today.isoformat()}-{name}"))
        return
    data = await export.xlsx(context.db, scope, today)
    await chat.send_document(InputFile(data, filename=f"forbedring-{today.isoformat()}.xlsx"),
                             caption=context.t._("Measures and unit progress, {date}.", date=context.t.date(today)))


@members_only
async def chart_command(update: Update, context: BotContext) -> None:
    """/chart (step completion per region, trust or clinic) or /chart weeks (over the year)."""
    scope = await scope_or_none(context)
    if scope is None:
        return await refuse(update, context, "see charts")
    t, today = context.t, context.clock.today()
    if context.args and context.args[0].lower() in ("weeks", "uker", "veker"):
        weeks, series = await service.weekly(context.db, scope, today)
        title = t._("Units that have done each step, week by week")
        png = charts.weekly_chart(t, weeks, series, title)
    else:
        node = await service.node(context.db, scope, today, context.settings.bot_timezone)
        title = t._("Step completion, {year}", year=node.year)
        png = charts.completion_chart(t, node, title)
    await update.effective_chat.send_photo(InputFile(png, filename="forbedring.png"), caption=title)
