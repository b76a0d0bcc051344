"""/broadcast: programme staff and admins write an announcement, choose who gets
it, see how many and a preview, then send now or schedule it. /broadcasts lists
them with their delivery. See broadcast.mmd."""

from __future__ import annotations

from datetime import datetime
from html import escape

from telegram import InlineKeyboardButton as Button
from telegram import InlineKeyboardMarkup as Keyboard
from telegram import Update

from bot import dialogs
from bot.guards import members_only
from bot.i18n import N_, Translator
from bot.identity import BotContext
from bot.replies import reply
from bot.rules.access import ROLE_NAMES
from bot.rules.audience import (
    CAPTION_LIMIT,
    PROGRESS,
    SCOPES,
    TEXT_LIMIT,
    Audience,
    covers,
    may_broadcast,
)
from bot.rules.cycle import current_year
from bot.rules.dates import parse_date_time
from bot.rules.errors import DateParseError, NotAllowed
from bot.rules.measures import visible
from bot.services import broadcasts as service
from conversations.common import callback_int, old_dialog_button, refuse
from conversations.fallback import unknown_message

DIALOG = "broadcast"
LANGUAGE_NAMES = {"nb": "Bokmål", "nn": "Nynorsk", "en": "English"}
ROLES = ("leader", "safety_rep", "union_rep", "programme_staff", "admin")
ANNOUNCEMENTS = N_("Announcements")
STATES = {"scheduled": N_("scheduled"), "fanout": N_("being queued"), "queued": N_("sending"),
          "done": N_("delivered"), "cancelled": N_("cancelled")}


async def refuse_non_broadcaster(update: Update, context: BotContext) -> bool:
    if may_broadcast(context.memberships):
        return False
    await refuse(update, context, "use announcements")
    return True


@members_only
async def broadcast_command(update: Update, context: BotContext) -> None:
    if await refuse_non_broadcaster(update, context):
        return
    dialog = await dialogs.begin(context, DIALOG, "text", {"texts": {}, "roles": []})
    await ask(update, context, dialog)


def keyboard(t: Translator, dialog, rows: list[list[Button]]) -> Keyboard:
    return Keyboard(rows + [[Button(t._("Cancel"), callback_data=f"bc:{dialog.token}:cancel")]])


async def ask(update: Update, context: BotContext, dialog, problem: str = "") -> None:
    t, token, data = context.t, dialog.token, dialog.data
    rows: list[list[Button]] = []
    if dialog.step == "text":
        text = t._("Write the announcement in Bokmål. Bold, italics and links are kept. You may send a PDF or "
                   "an image with the text as its caption.")
    elif dialog.step in ("text_nn", "text_en"):
        text = t._("Write the {language} version.", language=LANGUAGE_NAMES[dialog.step[-2:]])
    elif dialog.step == "languages":
        text = t._("Recipients get their own language, Bokmål when theirs is missing. Add another version?")
        rows = [[Button(("✓ " if lang in data["texts"] else "+ ") + LANGUAGE_NAMES[lang],
                        callback_data=f"bc:{token}:lang:{lang}") for lang in ("nn", "en")],
                [Button(t._("Next"), callback_data=f"bc:{token}:next")]]
    elif dialog.step == "roles":
        text = t._("Who should get it? Choose one or more roles, then Next.")
        rows = [[Button(("☑ " if role in data["roles"] else "☐ ") + t._(ROLE_NAMES[role]),
                        callback_data=f"bc:{token}:role:{role}")] for role in ROLES]
        rows.append([Button(t._("Next"), callback_data=f"bc:{token}:next")])
    elif dialog.step == "scope":
        text = t._("Where?")
        rows = [[Button(t._(label), callback_data=f"bc:{token}:scope:{key}")] for key, label in SCOPES.items()]
    elif dialog.step == "place":
        text = {"region": t._("Write the region's name or code, e.g. Helse Vest."),
                "trust": t._("Write the health trust's code, e.g. HB."),
                "unit": t._("Write the trust code and the unit code, e.g. HB MED1.")}[data["scope"]]
    elif dialog.step == "progress":
        text = t._("Only units at a certain point of the year?")
        rows = [[Button(t._(label), callback_data=f"bc:{token}:progress:{key or 'all'}")]
                for key, label in PROGRESS.items()]
    elif dialog.step == "schedule":
        text = t._("When should it go out? Write the date and time, e.g. 15.03.2027 09:00.")
    else:
        return await show_summary(update, context, dialog, problem)
    await reply(update, f"{problem}\n\n{text}" if problem else text, reply_markup=keyboard(t, dialog, rows))


def audience_of(dialog, today) -> Audience:
    data = dialog.data
    return Audience(roles=data["roles"], scope=data.get("scope", "all"), place_id=data.get("place_id"),
                    progress=data.get("progress", ""), year=current_year(today))


async def show_summary(update: Update, context: BotContext, dialog, problem: str = "") -> None:
    """The count, then a preview of each version exactly as recipients get it."""
    t, data = context.t, dialog.data
    audience = audience_of(dialog, context.clock.today())
    count = await service.count(context.db, audience)
    for lang, text in data["texts"].items():
        await reply(update, t._("Preview – {language}:", language=LANGUAGE_NAMES[lang]))
        await send_as_recipients_get_it(context, update.effective_chat.id, text, data.get("attachment"))
    roles = ", ".join(t._(ROLE_NAMES[r]) for r in data["roles"])
    where = escape(data.get("place_name") or t._(SCOPES["all"]))
    lines = [t.ngettext("This goes to {n} person.", "This goes to {n} people.", count),
             t._("Roles: {roles}", roles=roles), t._("Where: {where}", where=where),
             t._("Units: {progress}", progress=t._(PROGRESS[data.get("progress", "")]))]
    if problem:
        lines.insert(0, problem)
    await reply(update, "\n".join(lines), reply_markup=keyboard(t, dialog, [[
        Button(t._("Send now"), callback_data=f"bc:{dialog.token}:now"),
        Button(t._("Schedule"), callback_data=f"bc:{dialog.token}:schedule")]]))


async def send_as_recipients_get_it(context: BotContext, chat_id: int, text: str, attachment: dict | None) -> None:
    if attachment and attachment["kind"] == "photo":
        await context.bot.send_photo(chat_id, attachment["file_id"], caption=text)
    elif attachment:
        await context.bot.send_document(chat_id, attachment["file_id"], caption=text)
    else:
        await context.bot.send_message(chat_id, text)


def text_problem(t: Translator, plain: str, attachment: dict | None) -> str | None:
    limit = CAPTION_LIMIT if attachment else TEXT_LIMIT
    if not visible(plain):
        return t._("That was empty. Please write something.")
    if len(plain) > limit:
        return t.ngettext("That is {n} character; the limit is {limit}. Please shorten it – nothing was cut.",
                          "That is {n} characters; the limit is {limit}. Please shorten it – nothing was cut.",
                          len(plain), limit=t.number(limit))
    return None


async def on_text(update: Update, context: BotContext, dialog) -> None:
    t, message, data = context.t, update.message, dialog.data
    if dialog.step in ("text", "text_nn", "text_en"):
        if problem := text_problem(t, message.text, data.get("attachment")):
            return await ask(update, context, dialog, problem)
        data["texts"]["nb" if dialog.step == "text" else dialog.step[-2:]] = message.text_html
        dialog.step = "languages"
    elif dialog.step == "place":
        place = await service.find_place(context.db, data["scope"], message.text)
        if place is None:
            return await ask(update, context, dialog, t._("I cannot find that. Check the spelling."))
        if not covers(context.memberships, place.region_id, place.trust_id):
            return await ask(update, context, dialog, t._("You can only send announcements within your own area."))
        data["place_id"], data["place_name"] = place.id, place.name
        data["place_region"], data["place_trust"] = place.region_id, place.trust_id
        dialog.step = "progress"
    elif dialog.step == "schedule":
        try:
            day, at = parse_date_time(message.text, context.clock.today())
        except DateParseError:
            return await ask(update, context, dialog, t._("I could not read that as a date and time."))
        when = datetime.combine(day, at, context.settings.bot_timezone)
        if when <= context.clock.now():
            return await ask(update, context, dialog, t._("That time has passed. Choose a later time."))
        return await create(update, context, dialog, when)
    else:
        return await ask(update, context, dialog, t._("Please use the buttons for this step."))
    await dialogs.save(context, dialog)
    await ask(update, context, dialog)


@members_only
async def on_attachment(update: Update, context: BotContext) -> None:
    """A PDF or an image while writing the announcement; anything else is refused."""
    dialog = dialogs.current(context, DIALOG)
    t, message = context.t, update.message
    if dialog is None or dialog.step != "text":
        return await unknown_message(update, context)
    if message.photo:
        attachment = {"kind": "photo", "file_id": message.photo[-1].file_id}
    elif message.document and (message.document.mime_type or "") in ("application/pdf", "image/png", "image/jpeg"):
        attachment = {"kind": "document", "file_id": message.document.file_id}
    else:
        return await ask(update, context, dialog, t._("Only a PDF or an image can be attached."))
    caption = message.caption or ""
    if problem := text_problem(t, caption, attachment):
        return await ask(update, context, dialog, problem)
    dialog.data["attachment"] = attachment
    dialog.data["texts"]["nb"] = message.caption_html
    dialog.step = "languages"
    await dialogs.save(context, dialog)
    await ask(update, context, dialog)


@members_only
async def on_button(update: Update, context: BotContext) -> None:
    """bc:<token>:<action>[:<value>]"""
    query = update.callback_query
    parts = query.data.split(":")
    dialog = dialogs.with_token(context, DIALOG, parts[1]) if len(parts) >= 3 else None
    if dialog is None:
        return await old_dialog_button(update, context)
    if not may_broadcast(context.memberships):
        return await refuse(update, context, "use announcements")
    await context.answer_press(update)
    t, data, action, value = context.t, dialog.data, parts[2], parts[3] if len(parts) > 3 else ""
    if action == "cancel":
        await dialogs.end(context)
        return await reply(update, t._("Cancelled. Nothing was sent."))
    if action == "lang" and value in ("nn", "en") and dialog.step == "languages":
        dialog.step = f"text_{value}"
    elif action == "next" and dialog.step == "languages":
        dialog.step = "roles"
    elif action == "role" and value in ROLES and dialog.step == "roles":
        data["roles"].remove(value) if value in data["roles"] else data["roles"].append(value)
        await dialogs.save(context, dialog)
        return await query.edit_message_reply_markup(ask_roles_keyboard(t, dialog))
    elif action == "next" and dialog.step == "roles":
        if not data["roles"]:
            return await ask(update, context, dialog, t._("Choose at least one role."))
        dialog.step = "scope"
    elif action == "scope" and value in SCOPES and dialog.step == "scope":
        data["scope"] = value
        if value == "all":
            if not covers(context.memberships, None, None):
                return await ask(update, context, dialog, t._("You can only send announcements within your own area."))
            data.update(place_id=None, place_name=None)
            dialog.step = "progress"
        else:
            dialog.step = "place"
    elif action == "progress" and dialog.step == "progress" and value in ("all", "plan_not_submitted",
                                                                          "feedback_not_held"):
        data["progress"] = "" if value == "all" else value
        dialog.step = "summary"
    elif action == "schedule" and dialog.step == "summary":
        dialog.step = "schedule"
    elif action == "now" and dialog.step == "summary":
        return await create(update, context, dialog, context.clock.now())
    await dialogs.save(context, dialog)
    await ask(update, context, dialog)


def ask_roles_keyboard(t: Translator, dialog) -> Keyboard:
    rows = [[Button(("☑ " if role in dialog.data["roles"] else "☐ ") + t._(ROLE_NAMES[role]),
                    callback_data=f"bc:{dialog.token}:role:{role}")] for role in ROLES]
    rows.append([Button(t._("Next"), callback_data=f"bc:{dialog.token}:next")])
    return keyboard(t, dialog, rows)


async def create(update: Update, context: BotContext, dialog, send_at: datetime) -> None:
    t, data, now = context.t, dialog.data, context.clock.now()
    place = None
    if data.get("place_id") is not None:
        place = service.Place(data["place_id"], data.get("place_region"), data.get("place_trust"), data["place_name"])
    try:
        broadcast = await service.create(context.db, context.memberships, context.person.id, data["texts"],
                                         data.get("attachment"), audience_of(dialog, context.clock.today()),
                                         place, send_at, now)
    except NotAllowed:
        await dialogs.end(context)
        return await refuse(update, context, "create this announcement")
    await dialogs.end(context)
    if send_at <= now:
        count = await service.fan_out(context.db, broadcast.id, now)
        await reply(update, t.ngettext(
            "Announcement #{id} is on its way to {n} person. You get a summary when it is delivered.",
            "Announcement #{id} is on its way to {n} people. You get a summary when it is delivered.",
            count, id=broadcast.id))
    else:
        await reply(update, t._("Announcement #{id} is scheduled for {when}. /broadcasts can cancel it.",
                                id=broadcast.id, when=t.datetime(send_at, context.settings.bot_timezone)))


@members_only
async def list_command(update: Update, context: BotContext) -> None:
    try:
        items = await service.recent(context.db, context.memberships)
    except NotAllowed:
        return await refuse(update, context, "list announcements")
    t, tz = context.t, context.settings.bot_timezone
    if not items:
        return await reply(update, t._("No announcements yet. /broadcast writes one."))
    lines, rows = [f"<b>{t._(ANNOUNCEMENTS)}</b>"], []
    for b, counts in items:
        delivery = ", ".join([
            t.ngettext("{n} sent", "{n} sent", counts.get("sent", 0)),
            t.ngettext("{n} pending", "{n} pending", counts.get("pending", 0) + counts.get("sending", 0)),
            t.ngettext("{n} failed", "{n} failed", counts.get("failed", 0)),
            t.ngettext("{n} blocked", "{n} blocked", counts.get("blocked", 0))])
        recipients = t.ngettext("{n} recipient", "{n} recipients", b.recipients)
        lines.append(f"#{b.id} · {t.datetime(b.send_at, tz)} · {t._(STATES[b.state])} · {recipients}: {delivery}")
        if b.state == "scheduled":
            rows.append([Button(t._("Cancel #{id}", id=b.id), callback_data=f"bx:{b.id}")])
    await reply(update, "\n".join(lines), reply_markup=Keyboard(rows) if rows else None)


@members_only
async def cancel_button(update: Update, context: BotContext) -> None:
    """bx:<broadcast>"""
    broadcast_id = callback_int(update.callback_query.data)
    try:
        if broadcast_id is None:
            raise NotAllowed(update.callback_query.data)
        await service.cancel(context.db, context.memberships, context.person.id, broadcast_id)
    except NotAllowed:
        return await refuse(update, context, f"cancel announcement {update.callback_query.data!r}")
    await context.answer_press(update, context.t._("Announcement #{id} is cancelled.", id=broadcast_id),
                                       show_alert=True)

