"""A measure that is stuck: what is stuck (one line, or skip), and "raise to the leader group
above". Two screens of the measure_edit dialog (conversations/measures.py SPEC), reached from a
new status on the card and from "Stuck" in the quarterly one-tap (conversations/reminders.py)."""

from __future__ import annotations

from html import escape

from bot import dialogs
from bot.dialogs.spec import END, Action, Btn, Done, Go, Screen, Stay, View
from bot.i18n import N_
from bot.notify import notify
from bot.rules.errors import InvalidMeasure, NotAllowed
from bot.rules.measures import LIMITS
from bot.services import measures as measure_service
from bot.services import raised as raised_service
from conversations.common import refuse
from conversations.measure_new import text_refusal

L_RAISE = N_("Raise to the leader group above")
L_NOT_NOW = N_("Not now")


def show_stuck(turn):
    t = turn.t
    return View(t._("Status saved: stuck. What is stuck? Write one line, or press Skip."),
                [[Btn(t._("Skip"), "skip")]])


def show_raise(turn):
    t = turn.t
    return View(t._("Raise it to the leader group above? They see it in /raised, and can answer it or take it "
                    "on as a measure of their own."),
                [[Btn(t._(L_RAISE), "raise")], [Btn(t._(L_NOT_NOW), "no")]])


async def _refused(turn, what: str) -> Done:
    await dialogs.end(turn.context)
    await refuse(turn.update, turn.context, what)
    return Done(closed=True)


async def skip_what(turn, _):
    return Go("raise")


async def take_what(turn, message):
    """What is stuck: kept as the comment on the status change, and carried into a raise."""
    context = turn.context
    if refusal := text_refusal(turn.t, "comment", message.text):
        return Stay(refusal)
    try:
        await measure_service.add_comment(context.db, context.memberships, context.person.id, turn.data["measure"],
                                          message.text, context.clock.now())
    except (NotAllowed, InvalidMeasure):
        return await _refused(turn, f"change measure {turn.data['measure']}")
    turn.data["what"] = message.text.strip()
    return Go("raise")


async def not_now(turn, _):
    from conversations.measures import finish

    return await finish(turn)


async def raise_it(turn, _):
    from conversations.measures import finish

    context, t = turn.context, turn.t
    try:
        raised = await raised_service.raise_problem(context.db, context.memberships, context.person.id,
                                                    turn.data["measure"], turn.data.get("what", ""),
                                                    context.clock.now())
    except (NotAllowed, InvalidMeasure):
        return await _refused(turn, f"raise measure {turn.data['measure']}")
    title, unit = escape(raised.measure.title), escape(raised.unit_name)
    what = escape(raised.problem.what)
    for person in raised.recipients:
        await notify(context, person, lambda rt: rt._(
            "{unit} has raised a stuck measure to you: “{title}”.", unit=unit, title=title)
            + (f"\n«{what}»" if what else "") + "\n" + rt._("Answer it or take it on in /raised."))
    where = escape(raised.group_name) if raised.group_name else t._("the leaders of the health trust")
    if raised.fresh and not raised.recipients:  # a trust (or leader group) with no leader in the bot yet
        return await finish(turn, t._(
            "Raised to {where}, but nobody could be told: no leader there uses the bot yet. The problem is kept, "
            "and the leaders see it in /raised when they join. Its card here shows it.", where=where))
    return await finish(turn, t._("Raised to {where}. You and the reps will see their answer.", where=where))


SCREENS = (
    Screen("stuck", "Stuck: what is stuck?", show_stuck, buttons={
        "skip": Action(skip_what, goes=("raise",), label="Skip"),
    }, text=Action(take_what, goes=("raise",), label=f"one line (≤ {LIMITS['comment']}), kept as the comment")),
    Screen("raise", "Raise to the leader group above?", show_raise, buttons={
        "raise": Action(raise_it, goes=(END,), label="Raise: the leaders above are told; the card again"),
        "no": Action(not_now, goes=(END,), label="Not now (the card again)"),
    }),
)

# The entries into these screens, for the measure_edit diagram.
ENTRIES = (
    ("stuck as a new status on the measure's card (leader)", "stuck"),
    ("Stuck in a quarterly reminder", "stuck"),
)


async def raised_lines(context, measure_id: int) -> str:
    """What the measure's card says of its latest raise: to whom, when, and the answer."""
    found = await raised_service.of_measure(context.db, measure_id)
    if found is None:
        return ""
    problem, group_name = found
    t, tz = context.t, context.settings.bot_timezone
    where = escape(group_name) if group_name else t._("the leaders of the health trust")
    lines = [t._("Raised to {where} on {date}.", where=where, date=t.date(problem.raised_at.astimezone(tz).date()))]
    if problem.answer:
        lines.append(t._("Their answer: {answer}", answer=escape(problem.answer)))
    if problem.taken_measure_id:
        lines.append(t._("They have taken it on as a measure of their own."))
    elif not problem.answer:
        lines.append(t._("Not answered yet."))
    return "\n".join(lines)


async def ask_what_is_stuck(update, context, measure_id: int) -> None:
    """The dialog's "What is stuck?" screen, opened from a quarterly reminder's Stuck (saved already)."""
    from bot.dialogs import engine
    from conversations.measures import SPEC

    await engine.begin(update, context, SPEC, "stuck", {"measure": measure_id, "status": "stuck"})
