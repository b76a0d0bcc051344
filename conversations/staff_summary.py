""""You said, we did": the leader's summary for the staff, as text to forward and as a PNG card
to post or print for the staff room.

    /followup ── Plan complete or Quarterly follow-up (plan submitted) ── Summary for the staff
        (STAFF_SUMMARY, the unit's leader) ──> the text, in the leader's language, with buttons for
        the other two languages; the card follows (drawn in the worker process)
    Bokmål / Nynorsk / English (STAFF_SUMMARY_IN, the same summary) ──> its text and card in that language

The summary is made by bot/services/staff_summary.py and worded by bot/rules/staff_summary.py."""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardButton as Button
from telegram import InlineKeyboardMarkup as Keyboard
from telegram import InputFile, Update

from bot.guards import members_only
from bot.i18n import LANGUAGES, N_, Translator, translator
from bot.identity import BotContext
from bot.replies import reply
from bot.rules import staff_summary as rules
from bot.rules.errors import NotAllowed, PlanIncomplete
from bot.services import staff_summary as service
from conversations import routes
from conversations.common import refuse
from conversations.language import LANGUAGE_NAMES

L_CARD_BUSY = N_("The card is already being drawn. It will come here when it is ready.")


def summary_text(t: Translator, data: dict) -> str:
    """The summary as a message to forward (HTML)."""
    out = []
    for line in rules.summary_lines(t, data):
        if line.style == "title":
            out.append(f"<b>{escape(line.text)}</b>")
        elif line.style == "heading":
            out += ["", f"<b>{escape(line.text)}</b>"]
        elif line.style == "footer":
            out += ["", f"<i>{escape(line.text)}</i>"]
        else:
            out.append(("• " if line.style == "item" else "") + escape(line.text))
    return "\n".join(out)


def other_languages(summary_id: int, language: str) -> Keyboard:
    return Keyboard([[Button(LANGUAGE_NAMES[other], callback_data=routes.STAFF_SUMMARY_IN.build(summary_id, other))
                      for other in LANGUAGES if other != language]])


async def send_summary(update: Update, context: BotContext, summary_id: int, data: dict, t: Translator) -> None:
    """The text now; the card when the worker has drawn it (the next update does not wait for it)."""
    own = context.t
    await reply(update, own._("Forward the text below to the staff, or post or print the card for the staff "
                              "room. Other languages:"), reply_markup=other_languages(summary_id, t.language))
    await reply(update, summary_text(t, data))
    chat = update.effective_chat

    async def send_card() -> None:
        png = await service.card(t, data)
        await chat.send_photo(InputFile(png, filename=f"you-said-we-did-{t.language}.png"),
                              caption=f"{t._(rules.L_TITLE)} – {escape(data['unit'])}")
    if not context.application.background.start("staff_card", update.effective_user.id, update, send_card):
        await reply(update, own._(L_CARD_BUSY))


@members_only
async def staff_summary_button(update: Update, context: BotContext, press) -> None:
    """Summary for the staff (routes.STAFF_SUMMARY): the unit's leader, once the plan is submitted."""
    t = context.t
    try:
        summary_id, data = await service.make(context.db, context.memberships, context.person.id, press.unit,
                                              context.clock.today(), context.clock.now(),
                                              context.settings.bot_timezone)
    except NotAllowed:
        await refuse(update, context, f"staff summary with {update.callback_query.data!r}")
        return
    except PlanIncomplete:
        await context.answer_press(update, t._("The summary for the staff can be made once the plan is submitted."),
                                   show_alert=True)
        return
    await context.answer_press(update)
    await send_summary(update, context, summary_id, data, t)


@members_only
async def staff_summary_in_button(update: Update, context: BotContext, press) -> None:
    """The same summary in another language (routes.STAFF_SUMMARY_IN): the unit's leader only."""
    try:
        data = await service.get(context.db, context.memberships, press.summary)
    except NotAllowed:
        await refuse(update, context, f"staff summary with {update.callback_query.data!r}")
        return
    await context.answer_press(update)
    await send_summary(update, context, press.summary, data, translator(press.language))
