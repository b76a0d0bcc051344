"""/help and the member's menu: what this person's roles let them do."""

from __future__ import annotations

from html import escape

from telegram import Update

from bot.identity import BotContext
from bot.replies import reply
from bot.rules.access import ROLE_NAMES, commands_for, default_commands


def access_text(context: BotContext) -> str:
    return context.t._(
        "Hello! I am the ForBedring assistant. I help hospital units follow up the yearly "
        "ForBedring survey all year: leaders, safety representatives and union representatives "
        "together.\n\nTo use me you need an invite link from your leader or the administrator "
        "in your health trust. Open the link, and I will take it from there."
    )


def memberships_text(context: BotContext) -> str:
    t = context.t
    lines = [t._("You are registered as:")]
    for m in context.memberships:
        role = t._(ROLE_NAMES[m.role])
        place = escape(m.place) if m.place else t._("the whole country")
        lines.append(f"• {role}: {place}")
    return "\n".join(lines)


def commands_text(context: BotContext) -> str:
    t = context.t
    specs = commands_for(context.memberships) if context.is_member else default_commands()
    return "\n".join([t._("What you can do:")] + [f"/{s.name_in(t.language)} – {t._(s.description)}" for s in specs])


def menu_text(context: BotContext) -> str:
    name = escape(context.person.name)
    return "\n\n".join([
        context.t._("Hello, {name}!", name=name), memberships_text(context), commands_text(context),
    ])


async def show_menu(update: Update, context: BotContext) -> None:
    await reply(update, menu_text(context))


async def help_command(update: Update, context: BotContext) -> None:
    if not context.is_member:
        await reply(update, access_text(context) + "\n\n" + commands_text(context))
        return
    await reply(update, memberships_text(context) + "\n\n" + commands_text(context))
