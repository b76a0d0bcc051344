"""The one PressRouter (bot/dialogs/engine.py) picks, for any press, the handler PTB's own
CallbackQueryHandlers (one per route, `^prefix(:|$)`, in the same order) picked before it."""

from __future__ import annotations

from telegram import CallbackQuery, Update, User
from telegram.ext import CallbackQueryHandler

from bot.dialogs.engine import PressRouter


def _press(data, game: str | None = None) -> Update:
    query = CallbackQuery("1", User(7, "Kari", False), "chat", data=data, game_short_name=game)
    return Update(1, callback_query=query)


def _first_of(handlers, update):
    """What PTB's group did: the first handler whose check_update matched."""
    for handler in handlers:
        check = handler.check_update(update)
        if not (check is None or check is False):
            return handler.callback
    return None


def test_the_router_picks_what_the_route_handlers_picked_for_any_data(harness):
    routers = [h for group in harness.application.handlers.values() for h in group if isinstance(h, PressRouter)]
    router = routers[0]
    # The handlers the router stands for, as they were registered (bot/app.py), in that order.
    originals = [CallbackQueryHandler(callback, pattern=rf"^{prefix}(:|$)")
                 for prefix, callback in router.callbacks.items()]
    samples = [None, "", "x", "me", "me:", "me:12", "me:abc", "mex", "mex:1", "me\n", "me\n:1", "me:1\n",
               "lch", "lch\n", "lch\n\n", " lch", "LCH", "ds", "dsp:1:a", "ds\n", "dsp\n", "u:start:1",
               "\n", ":", ":me", "nosuch:1"]
    for data in samples:
        update = _press(data)
        expected = _first_of(originals, update)
        assert router.check_update(update) is expected, repr(data)
    # A game's press with no data was nobody's route, and still is not.
    assert _first_of(originals, _press(None, "game")) is None
    assert router.check_update(_press(None, "game")) is None


def test_a_handler_that_may_take_a_press_between_routed_ones_is_refused():
    """The router stands where the first routed handler stood: a stricter pattern registered between
    routes (`^ms:s$` before the `ms` route) would be passed by it, so it is an error, not a silent change."""
    import pytest
    from telegram.ext import CommandHandler, MessageHandler, filters

    from bot.dialogs.engine import routed_presses

    async def callback(update, context):
        pass

    stricter = CallbackQueryHandler(callback, pattern=r"^ms:s$")
    with pytest.raises(ValueError):
        routed_presses([CallbackQueryHandler(callback, pattern=r"^a(:|$)"), stricter,
                        CallbackQueryHandler(callback, pattern=r"^ms(:|$)")])
    # Before all routes, after them, or a command or a message handler between them: as before.
    for handlers in ([stricter, CallbackQueryHandler(callback, pattern=r"^ms(:|$)")],
                     [CallbackQueryHandler(callback, pattern=r"^ms(:|$)"), stricter],
                     [CallbackQueryHandler(callback, pattern=r"^a(:|$)"), CommandHandler("x", callback),
                      MessageHandler(filters.TEXT, callback), CallbackQueryHandler(callback, pattern=r"^ms(:|$)")]):
        made = routed_presses(handlers)
        assert [type(h).__name__ for h in made] == [
            "PressRouter" if PressRouter.prefix_of(h) is not None else type(h).__name__
            for h in handlers if PressRouter.prefix_of(h) is None or h is next(
                g for g in handlers if PressRouter.prefix_of(g) is not None)]
