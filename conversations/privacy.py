"""Privacy: the notice (/privacy, also on joining), a person's own data (/mydata) and
erasing oneself (/deleteme, dialog "deleteme", privacy_deleteme.mmd).

The notice is for everyone, known or not. /mydata is for anyone the bot knows, also
after their last role ended. /deleteme asks twice; afterwards the bot no longer knows
the person (a new invite makes a new person).
"""

from __future__ import annotations

import json
from html import escape

from telegram import BotCommandScopeChat, InputFile, Update
from telegram.error import TelegramError

from bot.dialogs.spec import END, Action, Btn, DialogSpec, Done, Go, Screen, View
from bot.i18n import N_, Translator
from bot.identity import BotContext
from bot.replies import reply
from bot.rules.access import ROLE_NAMES
from bot.rules.privacy import FORMER_NAME_MSGIDS, former_name
from bot.services import privacy as service
from conversations.help import access_text

# --- the notice ---

L_PRIVACY = N_("Privacy")
L_WHAT_IS_STORED = N_("What is stored about you")
L_WHOLE_COUNTRY = N_("the whole country")


def notice_text(t: Translator, settings) -> str:
    controller = escape(settings.privacy_controller) or t._("The health trust that gave you access to this bot")
    contact = escape(settings.privacy_contact) or t._("the health trust's data protection officer")
    basis = escape(settings.privacy_legal_basis) or t._(
        "The health trust's duty to work systematically on the working environment together with the safety "
        "service and the union representatives (GDPR article 6(1)(c) and the Working Environment Act); for the "
        "union representative role, GDPR article 9(2)(b). The health trust decides the basis.")
    days = lambda n: t.ngettext("{n} day", "{n} days", n)  # noqa: E731
    parts = [
        f"<b>{t._(L_PRIVACY)}</b>",
        t._("<b>Who is responsible</b>\n{controller} is responsible for what this bot stores (the data "
            "controller). Contact: {contact}.", controller=controller, contact=contact),
        t._("<b>Why</b>\nTo help your unit follow up the ForBedring survey all year: the steps, the action "
            "plan and its measures, reminders and announcements."),
        t._("<b>Legal basis</b>\n{basis}", basis=basis),
        t._("<b>What is stored</b>\nYour name on Telegram, your Telegram user id, your language and reminder "
            "settings, and your roles and where you hold them; what you register about your unit's follow-up "
            "(steps, areas, measures, status updates, your answers and comments), with who did what and when "
            "(the audit log); the reminders and messages the bot sent you. Never survey answers, and nothing "
            "about anyone's health or sick leave."),
        t._("<b>Union membership</b>\nHolding the union representative role shows that you are a member of "
            "a union. The people who can see the unit's plan can see it."),
        t._("<b>Who sees what</b>\nYour unit's leader and representatives see the unit's follow-up, plan and "
            "measures, with who changed what and the representatives' answers and comments. Leaders above "
            "the unit (clinic, trust, region) and administrators can open the unit's plan, a representative's "
            "comments on it included; each time someone outside the unit opens it, that is written in the "
            "audit log. Programme staff see figures only, never names. Administrators of the bot can read the "
            "audit log."),
        t._("<b>Der skoen trykker</b>\nWhen your unit takes part in Der skoen trykker, those who work with it "
            "also see its overview of the method's phases, with the names in the working group and the "
            "representatives' answers and comments: the health trust's leaders and local resources (for example "
            "HR, the occupational health service or NAV's adviser), the region's leaders and intervention team, "
            "and administrators. Each time someone outside the unit opens it, that is written in the audit log. "
            "Programme staff see figures only there too, never names."),
        t._("<b>How long</b>\nFailed invite codes: {join}. The text of messages the bot sent you: {outbox} "
            "(that they were sent is kept, for the counts). Unfinished drafts: {drafts}. Everything about you: "
            "until you delete it, or {memberless} after your last role has ended. The unit's measures and plan "
            "belong to the unit and are kept; when you are erased, your name in them becomes “former leader” "
            "or “former representative” and your comments become “(removed)”.",
            join=days(settings.retention_join_attempts_days), outbox=days(settings.retention_outbox_text_days),
            drafts=days(settings.retention_draft_days), memberless=days(settings.retention_memberless_days)),
        t._("<b>Your rights</b>\nYou may see everything stored about you and get it as a file (/mydata), have "
            "it corrected, have it erased (/deleteme), and object to or restrict its use (ask the contact "
            "above). You may complain to the Norwegian Data Protection Authority (Datatilsynet)."),
        t._("Please don't write names or health details about colleagues in your messages."),
    ]
    return "\n\n".join(parts)


async def privacy_command(update: Update, context: BotContext) -> None:
    """/privacy: the full notice, for anyone, at any time."""
    await reply(update, notice_text(context.t, context.settings))


# --- /mydata ---

def summary_text(t: Translator, data: dict) -> str:
    profile = data["profile"]
    lines = [f"<b>{t._(L_WHAT_IS_STORED)}</b>",
             t._("Name: {name}", name=escape(profile["name"])),
             t._("Telegram user id: {id}", id=profile["telegram_user_id"]),
             t._("Language: {language}", language=profile["language"])]
    if data["memberships"]:
        lines.append(t._("Roles:"))
        lines += [f"• {t._(ROLE_NAMES[m['role']])}: {escape(m['place']) if m['place'] else t._(L_WHOLE_COUNTRY)}"
                  for m in data["memberships"]]
    else:
        lines.append(t._("Roles: none"))
    n = {key: len(value) for key, value in data.items() if isinstance(value, list)}
    counts = [
        (n["measures_created_or_proposed"], t.ngettext(
            "{n} measure you registered or proposed", "{n} measures you registered or proposed",
            n["measures_created_or_proposed"])),
        (n["measures_you_are_responsible_for"], t.ngettext(
            "{n} measure you are named responsible for", "{n} measures you are named responsible for",
            n["measures_you_are_responsible_for"])),
        (n["measure_changes"], t.ngettext(
            "{n} change to a measure", "{n} changes to measures", n["measure_changes"])),
        (n["answers"], t.ngettext(
            "{n} request to you as a representative, with your answer",
            "{n} requests to you as a representative, with your answers", n["answers"])),
        (n["your_answers_to_objections"], t.ngettext(
            "{n} answer of yours to a representative's objection",
            "{n} answers of yours to representatives' objections", n["your_answers_to_objections"])),
        (n["problems_raised_or_answered"], t.ngettext(
            "{n} problem you raised to the leaders above or answered",
            "{n} problems you raised to the leaders above or answered", n["problems_raised_or_answered"])),
        (n["areas_added"], t.ngettext("{n} area you added", "{n} areas you added", n["areas_added"])),
        (n["steps_marked"], t.ngettext(
            "{n} step you marked done", "{n} steps you marked done", n["steps_marked"])),
        (n["plans_submitted"], t.ngettext(
            "{n} plan you submitted", "{n} plans you submitted", n["plans_submitted"])),
        (n["dst_enrolments_you_made"], t.ngettext(
            "{n} unit you enrolled in Der skoen trykker", "{n} units you enrolled in Der skoen trykker",
            n["dst_enrolments_you_made"])),
        (n["announcements"], t.ngettext(
            "{n} announcement you wrote", "{n} announcements you wrote", n["announcements"])),
        (n["audit_log"], t.ngettext(
            "{n} entry in the audit log", "{n} entries in the audit log", n["audit_log"])),
        (n["reminders"], t.ngettext("{n} reminder to you", "{n} reminders to you", n["reminders"])),
        (n["messages_sent_to_you"], t.ngettext(
            "{n} message the bot sent you on its own", "{n} messages the bot sent you on its own",
            n["messages_sent_to_you"])),
        (n["open_dialog"], t.ngettext("{n} unfinished draft", "{n} unfinished drafts", n["open_dialog"])),
        (n["failed_invite_codes"], t.ngettext(
            "{n} failed invite code", "{n} failed invite codes", n["failed_invite_codes"])),
    ]
    lines.append("")
    lines += [f"• {line}" for count, line in counts if count]
    lines += ["", t._("The file above holds all of it. /privacy says who sees what and for how long; "
                      "/deleteme erases you.")]
    return "\n".join(lines)


async def mydata_command(update: Update, context: BotContext) -> None:
    """/mydata: a JSON file of everything stored about the person, and a summary."""
    t = context.t
    data = await service.my_data(context.db, context.person.id) if context.person else None
    if data is None:
        await reply(update, t._("I have nothing stored about you.") + "\n\n" + access_text(context))
        return
    body = json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
    await update.effective_chat.send_document(
        InputFile(body, filename=f"forbedring-my-data-{context.clock.today().isoformat()}.json"),
        caption=t._("Everything stored about you, as JSON."))
    await reply(update, summary_text(t, data))


# --- /deleteme: dialog "deleteme" ---

def show_ask(turn):
    t = turn.t
    return View(t._(
        "<b>Delete everything about you?</b>\nYour name, Telegram user id, roles, drafts, reminders and "
        "messages waiting to be sent are deleted. The unit's measures and plan stay: they belong to the unit. "
        "Where your name stood in them, it will say “former leader” or “former representative”, and your "
        "comments become “(removed)”.\n\nWant a copy first? Send /mydata."),
        [[Btn(t._("Yes, delete everything about me"), "yes")]])


def show_sure(turn):
    t = turn.t
    return View(t._("<b>Are you sure?</b> This cannot be undone: your roles end at once, and to use the bot "
                    "again you need a new invite."),
                [[Btn(t._("Delete it for good"), "erase")]])


async def go_sure(turn, _):
    return Go("sure")


async def erase(turn, _):
    context, t = turn.context, turn.t
    chat_id = turn.update.effective_chat.id
    await service.erase_person(context.db, context.person.id, context.clock.now())
    context.dialog_state = None  # deleted with everything else
    try:  # back to the menu of people the bot does not know
        await context.bot.delete_my_commands(scope=BotCommandScopeChat(chat_id))
    except TelegramError:
        pass  # a menu is a convenience
    await turn.say(t._("Everything about you is deleted. Goodbye, and thank you for taking part! "
                       "If you are invited again, you will start afresh."))
    return Done(closed=True)


SPEC = DialogSpec(
    name="deleteme", prefix="dm", module="privacy", diagram="privacy_deleteme",
    title="Erasing oneself (/deleteme, /slettmeg)",
    cancelled=N_("Cancelled. Nothing was deleted."),
    entries=(("/deleteme (anyone the bot knows)", "ask"),),
    for_known_people=True,
    screens=(
        Screen("ask", "Delete everything about you?", show_ask, cancel=True, buttons={
            "yes": Action(go_sure, goes=("sure",), label="Yes, delete everything about me"),
        }),
        Screen("sure", "Are you sure? This cannot be undone", show_sure, back=True, cancel=True,
               note="the person is erased in one transaction: the row stays as an anonymous tombstone",
               buttons={
            "erase": Action(erase, goes=(END,), label="Delete it for good (one last message; unknown after)"),
        }),
    ),
)


async def deleteme_command(update: Update, context: BotContext) -> None:
    from bot.dialogs import engine

    t = context.t
    if context.person is None:
        await reply(update, t._("I have nothing stored about you.") + "\n\n" + access_text(context))
        return
    await engine.begin(update, context, SPEC, "ask", {})


def shown_name(t: Translator, name: str, former_role: str | None) -> str:
    """A person's name in history, or "former leader" once they are erased (escaped for HTML)."""
    return escape(name) if name else t._(former_name(former_role))


def shown_responsible(t: Translator, responsible: str) -> str:
    """Who is responsible for a measure, or "former leader" (in the reader's language) once the member
    named there is erased (storage/privacy.py erase); escaped for HTML."""
    return escape(t._(responsible) if responsible in FORMER_NAME_MSGIDS else responsible)
