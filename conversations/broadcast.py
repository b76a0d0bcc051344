"""/broadcast: programme staff and admins write an announcement (a PDF or an
image may come with it), choose who gets it, see how many and a preview, then
send now or schedule it, as a dialog spec (bot/dialogs): ⬅ Back returns to the
screen the person came from (from the summary to the filter they came from), the
dialog is written before every answer. /broadcasts lists the announcements with
their delivery; Cancel #id is a plain button (routes.CANCEL_BROADCAST). See
broadcast.mmd (drawn from SPEC)."""

from __future__ import annotations

from datetime import datetime
from html import escape

from telegram import InlineKeyboardButton as Button
from telegram import InlineKeyboardMarkup as Keyboard
from telegram import Message, Update

from bot import dialogs
from bot.dialogs import engine
from bot.dialogs.callbacks import Choice
from bot.dialogs.spec import END, Action, Btn, DialogSpec, Done, Go, Screen, Stay, View
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
from bot.rules.vocabulary import AttachmentKind, AudienceScope, BroadcastState, OutboxState, ProgressFilter, Role
from bot.services import broadcasts as service
from conversations import routes
from conversations.common import refuse

DIALOG = "broadcast"
LANGUAGE_NAMES = {"nb": "Bokmål", "nn": "Nynorsk", "en": "English"}
VERSIONS = ("nn", "en")  # the versions that may follow the Bokmål one
ROLES = tuple(Role)
PLACES = tuple(key for key in SCOPES if key != AudienceScope.ALL)  # the scopes asked for by name
FILTERS = {key or "all": key for key in PROGRESS}  # a button's value -> Audience.progress
ATTACHABLE = ("application/pdf", "image/png", "image/jpeg")
ANNOUNCEMENTS = N_("Announcements")
STATES = {BroadcastState.SCHEDULED: N_("scheduled"), BroadcastState.FANOUT: N_("being queued"),
          BroadcastState.QUEUED: N_("sending"), BroadcastState.DONE: N_("delivered"),
          BroadcastState.CANCELLED: N_("cancelled")}


# --- entry points ---

async def refuse_non_broadcaster(update: Update, context: BotContext) -> bool:
    if may_broadcast(context.memberships):
        return False
    await refuse(update, context, "use announcements")
    return True


@members_only
async def broadcast_command(update: Update, context: BotContext) -> None:
    if await refuse_non_broadcaster(update, context):
        return
    await engine.begin(update, context, SPEC, "text", {"texts": {}, "roles": []})


# --- the screens: what each shows ---

def show_text(turn):
    return View(turn.t._("Write the announcement in Bokmål. Bold, italics and links are kept. You may send a PDF "
                         "or an image with the text as its caption."))


def show_version(language: str):
    def show(turn):
        return View(turn.t._("Write the {language} version.", language=LANGUAGE_NAMES[language]))
    return show


def show_languages(turn):
    t, texts = turn.t, turn.data["texts"]
    return View(t._("Recipients get their own language, Bokmål when theirs is missing. Add another version?"),
                [[Btn(("✓ " if lang in texts else "+ ") + LANGUAGE_NAMES[lang], "lang", lang) for lang in VERSIONS],
                 [Btn(t._("Next"), "next")]])


def show_roles(turn):
    t, chosen = turn.t, turn.data["roles"]
    return View(t._("Who should get it? Choose one or more roles, then Next."),
                [[Btn(("☑ " if role in chosen else "☐ ") + t._(ROLE_NAMES[role]), "role", role)] for role in ROLES]
                + [[Btn(t._("Next"), "next")]])


def show_scope(turn):
    t = turn.t
    return View(t._("Where?"), [[Btn(t._(SCOPES[AudienceScope.ALL]), "everyone")]]
                + [[Btn(t._(SCOPES[key]), "scope", key)] for key in PLACES])


def show_place(turn):
    t = turn.t
    asks = {AudienceScope.REGION: t._("Write the region's name or code, e.g. Helse Vest."),
            AudienceScope.TRUST: t._("Write the health trust's code, e.g. HB."),
            AudienceScope.UNIT: t._("Write the trust code and the unit code, e.g. HB MED1.")}
    return View(asks[turn.data["scope"]])


def show_filter(turn):
    t = turn.t
    return View(t._("Only units at a certain point of the year?"),
                [[Btn(t._(PROGRESS[key]), "progress", value)] for value, key in FILTERS.items()])


async def show_summary(turn):
    """A preview of each version exactly as recipients get it, then the count."""
    t, data, context = turn.t, turn.data, turn.context
    count = await service.count(context.db, audience_of(data, turn.today()))
    for lang, text in data["texts"].items():
        await turn.say(t._("Preview – {language}:", language=LANGUAGE_NAMES[lang]))
        await send_as_recipients_get_it(context, turn.update.effective_chat.id, text, data.get("attachment"))
    roles = ", ".join(t._(ROLE_NAMES[r]) for r in data["roles"])
    where = escape(data.get("place_name") or t._(SCOPES[AudienceScope.ALL]))
    lines = [t.ngettext("This goes to {n} person.", "This goes to {n} people.", count),
             t._("Roles: {roles}", roles=roles), t._("Where: {where}", where=where),
             t._("Units: {progress}", progress=t._(PROGRESS[data.get("progress", ProgressFilter.ALL)]))]
    return View("\n".join(lines), [[Btn(t._("Send now"), "now"), Btn(t._("Schedule"), "schedule")]])


def show_schedule(turn):
    return View(turn.t._("When should it go out? Write the date and time, e.g. 15.03.2027 09:00."))


def audience_of(data: dict, today) -> Audience:
    return Audience(roles=data["roles"], scope=data.get("scope", AudienceScope.ALL), place_id=data.get("place_id"),
                    progress=data.get("progress", ProgressFilter.ALL), year=current_year(today))


async def send_as_recipients_get_it(context: BotContext, chat_id: int, text: str, attachment: dict | None) -> None:
    if attachment and attachment["kind"] == AttachmentKind.PHOTO:
        await context.bot.send_photo(chat_id, attachment["file_id"], caption=text)
    elif attachment:
        await context.bot.send_document(chat_id, attachment["file_id"], caption=text)
    else:
        await context.bot.send_message(chat_id, text)


# --- what each screen accepts ---

def text_problem(t: Translator, plain: str, attachment: dict | None) -> str | None:
    limit = CAPTION_LIMIT if attachment else TEXT_LIMIT
    if not visible(plain):
        return t._("That was empty. Please write something.")
    if len(plain) > limit:
        return t.ngettext("That is {n} character; the limit is {limit}. Please shorten it – nothing was cut.",
                          "That is {n} characters; the limit is {limit}. Please shorten it – nothing was cut.",
                          len(plain), limit=t.number(limit))
    return None


async def take_text(turn, message: Message):
    """The Bokmål text, formatting kept (the caption's limit if a file came before it)."""
    if problem := text_problem(turn.t, message.text, turn.data.get("attachment")):
        return Stay(problem)
    turn.data["texts"]["nb"] = message.text_html
    return Go("languages")


def take_version(language: str):
    async def take(turn, message: Message):
        if problem := text_problem(turn.t, message.text, turn.data.get("attachment")):
            return Stay(problem)
        turn.data["texts"][language] = message.text_html
        return Go("languages", unwind=True)
    return take


def attachment_of(message: Message) -> dict | None:
    if message.photo:
        return {"kind": AttachmentKind.PHOTO, "file_id": message.photo[-1].file_id}
    if message.document and (message.document.mime_type or "") in ATTACHABLE:
        return {"kind": AttachmentKind.DOCUMENT, "file_id": message.document.file_id}
    return None


async def take_attachment(turn, message: Message):
    """A PDF or an image with the Bokmål text as its caption; any other file is refused."""
    t = turn.t
    attachment = attachment_of(message)
    if attachment is None:
        return Stay(t._("Only a PDF or an image can be attached."))
    if problem := text_problem(t, message.caption or "", attachment):
        return Stay(problem)
    turn.data["attachment"] = attachment
    turn.data["texts"]["nb"] = message.caption_html
    return Go("languages")


async def choose_version(turn, language):
    return Go(f"text_{language}")


async def languages_done(turn, _):
    return Go("roles")


async def toggle_role(turn, role):
    chosen = turn.data["roles"]
    chosen.remove(role) if role in chosen else chosen.append(role)
    return Stay(edit=True)


async def roles_done(turn, _):
    if not turn.data["roles"]:
        return Stay(turn.t._("Choose at least one role."))
    return Go("scope")


def outside_own_area(t: Translator) -> Stay:
    return Stay(t._("You can only send announcements within your own area."))


async def choose_everyone(turn, _):
    if not covers(turn.context.memberships, None, None):
        return outside_own_area(turn.t)
    turn.data.update(scope=AudienceScope.ALL, place_id=None, place_name=None)
    return Go("progress")


async def choose_scope(turn, scope):
    turn.data["scope"] = scope
    return Go("place")


async def take_place(turn, message: Message):
    t, data = turn.t, turn.data
    place = await service.find_place(turn.context.db, data["scope"], message.text)
    if place is None:
        return Stay(t._("I cannot find that. Check the spelling."))
    if not covers(turn.context.memberships, place.region_id, place.trust_id):
        return outside_own_area(t)
    data["place_id"], data["place_name"] = place.id, place.name
    data["place_region"], data["place_trust"] = place.region_id, place.trust_id
    return Go("progress")


async def choose_filter(turn, value):
    turn.data["progress"] = FILTERS[value]
    return Go("summary")


async def to_schedule(turn, _):
    return Go("schedule")


async def send_now(turn, _):
    return await create(turn, turn.context.clock.now())


async def take_time(turn, message: Message):
    t, context = turn.t, turn.context
    try:
        day, at = parse_date_time(message.text, turn.today())
    except DateParseError:
        return Stay(t._("I could not read that as a date and time."))
    when = datetime.combine(day, at, context.settings.bot_timezone)
    if when <= context.clock.now():
        return Stay(t._("That time has passed. Choose a later time."))
    return await create(turn, when)


async def create(turn, send_at: datetime):
    """The announcement is made (and fanned out when it goes now); the dialog ends before the answer."""
    t, data, context, update = turn.t, turn.data, turn.context, turn.update
    now = context.clock.now()
    place = None
    if data.get("place_id") is not None:
        place = service.Place(data["place_id"], data.get("place_region"), data.get("place_trust"), data["place_name"])
    try:
        broadcast = await service.create(context.db, context.memberships, context.person.id, data["texts"],
                                         data.get("attachment"), audience_of(data, turn.today()),
                                         place, send_at, now)
    except NotAllowed:
        await dialogs.end(context)
        await refuse(update, context, "create this announcement")
        return Done(closed=True)
    await dialogs.end(context)
    if send_at <= now:
        count = await service.fan_out(context.db, broadcast.id, now)
        await turn.say(t.ngettext(
            "Announcement #{id} is on its way to {n} person. You get a summary when it is delivered.",
            "Announcement #{id} is on its way to {n} people. You get a summary when it is delivered.",
            count, id=broadcast.id))
    else:
        await turn.say(t._("Announcement #{id} is scheduled for {when}. /broadcasts can cancel it.",
                           id=broadcast.id, when=t.datetime(send_at, context.settings.bot_timezone)))
    return Done(closed=True)


# --- the dialog as data ---

def version_screen(language: str) -> Screen:
    return Screen(f"text_{language}", f"The {LANGUAGE_NAMES[language]} version", show_version(language),
                  back=True, cancel=True,
                  text=Action(take_version(language), returns=("languages",),
                              label=f"the {LANGUAGE_NAMES[language]} text (formatting kept)"))


SPEC = DialogSpec(
    name=DIALOG, prefix="bc", module="broadcast",
    title="Writing and sending an announcement; programme staff and admins only, checked at every answer",
    cancelled=N_("Cancelled. Nothing was sent."),
    allowed=may_broadcast,
    entries=(("/broadcast (/kunngjoring)", "text"),),
    screens=(
        Screen("text", "The Bokmål text", show_text, cancel=True,
               text=Action(take_text, goes=("languages",), label="the text (formatting kept)"),
               media=Action(take_attachment, goes=("languages",),
                            label="a PDF or an image with the text as its caption (any other file is refused)")),
        Screen("languages", "Other versions?", show_languages, back=True, cancel=True, buttons={
            "lang": Action(choose_version, goes=tuple(f"text_{lang}" for lang in VERSIONS),
                           label="+ Nynorsk / + English", value=Choice(VERSIONS)),
            "next": Action(languages_done, goes=("roles",), label="Next"),
        }),
        *(version_screen(lang) for lang in VERSIONS),
        Screen("roles", "Which roles?", show_roles, back=True, cancel=True,
               note="ticking a role redraws the list in place", buttons={
            "role": Action(toggle_role, label="tick / untick a role", value=Choice(ROLES)),
            "next": Action(roles_done, goes=("scope",), label="Next (at least one role)"),
        }),
        Screen("scope", "Where?", show_scope, back=True, cancel=True, buttons={
            "everyone": Action(choose_everyone, goes=("progress",), label="everyone (national broadcasters only)"),
            "scope": Action(choose_scope, goes=("place",), label="a region / a health trust / a unit",
                            value=Choice(PLACES)),
        }),
        Screen("place", "Which region, trust or unit?", show_place, back=True, cancel=True,
               text=Action(take_place, goes=("progress",), label="found, and within the author's own area")),
        Screen("progress", "Units at a point of the year?", show_filter, back=True, cancel=True, buttons={
            "progress": Action(choose_filter, goes=("summary",),
                               label="all units / plan not submitted / feedback meeting not held",
                               value=Choice(FILTERS)),
        }),
        Screen("summary", "Previews and the count", show_summary, back=True, cancel=True,
               note="Send now fans out into the outbox; the author gets a summary once every message is "
                    "sent, failed or blocked", buttons={
            "now": Action(send_now, goes=(END,), label="Send now"),
            "schedule": Action(to_schedule, goes=("schedule",), label="Schedule"),
        }),
        Screen("schedule", "When?", show_schedule, back=True, cancel=True,
               note="the announcements job sends it at that time; /broadcasts → Cancel #id (the author or a "
                    "national admin) cancels it before",
               text=Action(take_time, goes=(END,), label="a future date and time (scheduled)")),
    ),
)


# --- /broadcasts and its Cancel #id buttons ---

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
            t.ngettext("{n} sent", "{n} sent", counts.get(OutboxState.SENT, 0)),
            t.ngettext("{n} pending", "{n} pending", counts.get(OutboxState.PENDING, 0) + counts.get(OutboxState.SENDING, 0)),
            t.ngettext("{n} failed", "{n} failed", counts.get(OutboxState.FAILED, 0)),
            t.ngettext("{n} blocked", "{n} blocked", counts.get(OutboxState.BLOCKED, 0))])
        recipients = t.ngettext("{n} recipient", "{n} recipients", b.recipients)
        lines.append(f"#{b.id} · {t.datetime(b.send_at, tz)} · {t._(STATES[b.state])} · {recipients}: {delivery}")
        if b.state == BroadcastState.SCHEDULED:
            rows.append([Button(t._("Cancel #{id}", id=b.id), callback_data=routes.CANCEL_BROADCAST.build(b.id))])
    await reply(update, "\n".join(lines), reply_markup=Keyboard(rows) if rows else None)


@members_only
async def cancel_button(update: Update, context: BotContext, press) -> None:
    """Cancel #id (routes.CANCEL_BROADCAST): the service checks who may."""
    try:
        await service.cancel(context.db, context.memberships, context.person.id, press.broadcast)
    except NotAllowed:
        return await refuse(update, context, f"cancel announcement {update.callback_query.data!r}")
    await context.answer_press(update, context.t._("Announcement #{id} is cancelled.", id=press.broadcast),
                               show_alert=True)
