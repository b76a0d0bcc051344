"""The composition root: builds the Application and registers every handler.

PTB tries handler groups in ascending order and, within a group, stops at the
first handler that matches. Group -100 loads who the update is from for every
update; group 0 holds the commands and buttons; the catch-alls come last in
group 0 so that they only see what nobody else wanted.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest

from bot import jobs
from bot.background import BotApplication
from bot.clock import Clock
from bot.dialogs import engine
from bot.errors import report_error
from bot.identity import BotContext, identify
from bot.leadership import Leadership
from bot.menus import set_default_menus
from bot.outbox import Sender
from bot.services import reminders as reminder_service
from bot.settings import Settings
from bot.throttle import Throttle, throttle_updates
from bot.updates import PerPersonUpdateProcessor
from conversations import (
    areas,
    broadcast,
    dst,
    fallback,
    followup,
    language,
    measure_new,
    measures,
    members,
    plan,
    privacy,
    progress,
    raised,
    reminders,
    routes,
    start,
    units,
)
from conversations import help as help_
from conversations import staff_summary, years
from conversations.reminder_texts import digest_message
from storage.database import Database

log = logging.getLogger(__name__)

# Used when no real token is needed (the demo and the tests talk to a fake Bot API).
OFFLINE_TOKEN = "123456789:offline-demo-token-not-for-telegram-use"


# The dialogs written as specs (bot/dialogs): their buttons, typed text and diagrams come from the spec.
DIALOGS = (
    measure_new.SPEC,
    measures.SPEC,
    areas.AREA,
    areas.SCORES,
    followup.MARK,
    followup.COMMENT,
    followup.REPLY,
    dst.ENROL,
    broadcast.SPEC,
    privacy.SPEC,
    raised.SPEC,
)

# Which function gets typed text while a person has a dialog open (bot/dialogs).
TEXT_STEPS = {spec.name: engine.text_step(spec) for spec in DIALOGS}

# Which function gets a photo or a document while a person has a dialog open (Screen.media).
MEDIA_STEPS = {spec.name: engine.media_step(spec) for spec in DIALOGS}


def register_methods() -> None:
    """The methods a unit may follow besides ForBedring, in /followup (conversations/followup.py):
    Der skoen trykker's line and button on the overview, and how dialog "mark" saves one of its
    phases. Idempotent: every application built calls it."""
    followup.OTHER_METHODS[dst.DST.key] = dst.save_phase
    if dst.followup_extra not in followup.EXTRA_OVERVIEWS:
        followup.EXTRA_OVERVIEWS.append(dst.followup_extra)


def register_handlers(application: Application) -> None:
    private = filters.ChatType.PRIVATE
    register_methods()

    # First of all: a person over the throttle's limit is answered once and then dropped,
    # before the identity loader touches the database (bot/throttle.py).
    application.add_handler(TypeHandler(Update, throttle_updates), group=-200)
    application.add_handler(TypeHandler(Update, identify), group=-100)

    # The routed buttons' handlers become one, which finds a press's handler by its prefix
    # (bot/dialogs/engine.PressRouter); the order of everything else is kept.
    application.add_handlers(engine.routed_presses([
        CommandHandler("start", start.start_command, filters=private),
        CommandHandler(["help", "hjelp"], help_.help_command, filters=private),
        CommandHandler(["language", "sprak"], language.language_command, filters=private),
        CommandHandler(["cancel", "avbryt"], fallback.cancel_command, filters=private),
        CommandHandler(["followup", "oppfolging", "oppfylging"], followup.followup_command, filters=private),
        CommandHandler("dst", dst.dst_command, filters=private),
        CommandHandler(["broadcast", "kunngjoring", "kunngjering"], broadcast.broadcast_command, filters=private),
        CommandHandler(["broadcasts", "kunngjoringer", "kunngjeringar"], broadcast.list_command, filters=private),
        CommandHandler(["progress", "framdrift"], progress.progress_command, filters=private),
        CommandHandler(["overdue", "forsinket", "forseinka"], progress.overdue_command, filters=private),
        CommandHandler(["raised", "loftet", "lyfta"], raised.raised_command, filters=private),
        CommandHandler(["export", "eksport"], progress.export_command, filters=private),
        CommandHandler(["chart", "diagram"], progress.chart_command, filters=private),
        CommandHandler(["settings", "innstillinger", "innstillingar"], reminders.settings_command, filters=private),
        CommandHandler(["plan", "handlingsplan"], plan.plan_command, filters=private),
        CommandHandler(["measures", "tiltak"], measures.measures_command, filters=private),
        CommandHandler(["newmeasure", "nyttiltak"], measure_new.new_measure_command, filters=private),
        CommandHandler(["propose", "foresla", "foreslaa"], measure_new.propose_command, filters=private),
        CommandHandler(["members", "medlemmer", "medlemer"], members.members_command, filters=private),
        CommandHandler(["privacy", "personvern"], privacy.privacy_command, filters=private),
        CommandHandler(["mydata", "minedata", "mine_data"], privacy.mydata_command, filters=private),
        CommandHandler(["deleteme", "slettmeg", "slett_meg"], privacy.deleteme_command, filters=private),
        CallbackQueryHandler(engine.route_handler(routes.LANGUAGE, language.language_chosen,
                                                  refusal=language.L_NOT_AVAILABLE),
                             pattern=routes.LANGUAGE.pattern),
        CallbackQueryHandler(engine.route_handler(routes.CHANGE_LANGUAGE, language.change_button),
                             pattern=routes.CHANGE_LANGUAGE.pattern),
        CallbackQueryHandler(engine.route_handler(routes.UNIT_CHOSEN, units.unit_chosen),
                             pattern=routes.UNIT_CHOSEN.pattern),
        CallbackQueryHandler(engine.route_handler(routes.FOLLOWUP, followup.followup_button),
                             pattern=routes.FOLLOWUP.pattern),
        CallbackQueryHandler(engine.route_handler(routes.FOLLOWUP_STEP, followup.step_button),
                             pattern=routes.FOLLOWUP_STEP.pattern),
        CallbackQueryHandler(engine.route_handler(routes.MARK_STEP, followup.mark_button),
                             pattern=routes.MARK_STEP.pattern),
        CallbackQueryHandler(engine.route_handler(routes.NO_OWN_REPORT, followup.no_own_report_button),
                             pattern=routes.NO_OWN_REPORT.pattern),
        CallbackQueryHandler(engine.route_handler(routes.STAFF_SUMMARY, staff_summary.staff_summary_button),
                             pattern=routes.STAFF_SUMMARY.pattern),
        CallbackQueryHandler(engine.route_handler(routes.STAFF_SUMMARY_IN, staff_summary.staff_summary_in_button),
                             pattern=routes.STAFF_SUMMARY_IN.pattern),
        CallbackQueryHandler(engine.route_handler(routes.CONFIRMATION, followup.confirmation_button),
                             pattern=routes.CONFIRMATION.pattern),
        CallbackQueryHandler(engine.route_handler(routes.NEW_MEASURE, measure_new.new_measure_button),
                             pattern=routes.NEW_MEASURE.pattern),
        CallbackQueryHandler(engine.route_handler(routes.MEASURE_LIST, measures.list_button),
                             pattern=routes.MEASURE_LIST.pattern),
        CallbackQueryHandler(engine.route_handler(routes.MEASURE, measures.detail_button),
                             pattern=routes.MEASURE.pattern),
        CallbackQueryHandler(engine.route_handler(routes.MEASURE_HISTORY, measures.history_button),
                             pattern=routes.MEASURE_HISTORY.pattern),
        CallbackQueryHandler(engine.route_handler(routes.MEASURE_STATUS, measures.status_button),
                             pattern=routes.MEASURE_STATUS.pattern),
        CallbackQueryHandler(engine.route_handler(routes.MEASURE_UPDATE, measures.change_button),
                             pattern=routes.MEASURE_UPDATE.pattern),
        CallbackQueryHandler(engine.route_handler(routes.PROPOSAL_ANSWER, measures.proposal_button),
                             pattern=routes.PROPOSAL_ANSWER.pattern),
        CallbackQueryHandler(engine.route_handler(routes.PROPOSE, measures.propose_button),
                             pattern=routes.PROPOSE.pattern),
        CallbackQueryHandler(engine.route_handler(routes.ADD_AREA, areas.add_area_button),
                             pattern=routes.ADD_AREA.pattern),
        CallbackQueryHandler(engine.route_handler(routes.REMOVE_AREA, areas.remove_area_button),
                             pattern=routes.REMOVE_AREA.pattern),
        CallbackQueryHandler(engine.route_handler(routes.SCORES, areas.scores_button),
                             pattern=routes.SCORES.pattern),
        CallbackQueryHandler(engine.route_handler(routes.QUICK_STATUS_PRESS, reminders.quick_status_button),
                             pattern=routes.QUICK_STATUS_PRESS.pattern),
        CallbackQueryHandler(engine.route_handler(routes.SETTINGS, reminders.settings_button),
                             pattern=routes.SETTINGS.pattern),
        CallbackQueryHandler(engine.route_handler(routes.REMIND_LEADER, reminders.remind_leader_button),
                             pattern=routes.REMIND_LEADER.pattern),
        CallbackQueryHandler(engine.route_handler(routes.RAISED_ANSWER, raised.answer_button),
                             pattern=routes.RAISED_ANSWER.pattern),
        CallbackQueryHandler(engine.route_handler(routes.RAISED_TAKE_ON, raised.take_on_button),
                             pattern=routes.RAISED_TAKE_ON.pattern),
        CallbackQueryHandler(engine.route_handler(routes.RAISED_LIST, raised.list_button),
                             pattern=routes.RAISED_LIST.pattern),
        CallbackQueryHandler(engine.route_handler(routes.CANCEL_BROADCAST, broadcast.cancel_button),
                             pattern=routes.CANCEL_BROADCAST.pattern),
        CallbackQueryHandler(engine.route_handler(routes.PROGRESS_REGION, progress.region_button),
                             pattern=routes.PROGRESS_REGION.pattern),
        CallbackQueryHandler(engine.route_handler(routes.PROGRESS_TRUST, progress.trust_button),
                             pattern=routes.PROGRESS_TRUST.pattern),
        CallbackQueryHandler(engine.route_handler(routes.PROGRESS_CLINIC, progress.clinic_button),
                             pattern=routes.PROGRESS_CLINIC.pattern),
        CallbackQueryHandler(engine.route_handler(routes.OVERDUE_PAGE, progress.overdue_button),
                             pattern=routes.OVERDUE_PAGE.pattern),
        CallbackQueryHandler(engine.route_handler(routes.PLAN, plan.plan_button), pattern=routes.PLAN.pattern),
        *[CallbackQueryHandler(engine.route_handler(route, handler), pattern=route.pattern) for route, handler in (
            (routes.MEMBERS_REGION, members.region_button), (routes.MEMBERS_TRUST, members.trust_button),
            (routes.MEMBERS_UNIT, members.unit_button), (routes.MEMBER_END, members.end_button),
            (routes.MEMBER_END_YES, members.end_yes_button), (routes.HANDOVER, members.handover_button))],
        # Der skoen trykker (conversations/dst.py)
        *[CallbackQueryHandler(engine.route_handler(route, handler), pattern=route.pattern) for route, handler in (
            (routes.DST, dst.dst_button), (routes.DST_PHASE, dst.phase_button), (routes.DST_MARK, dst.mark_button),
            (routes.DST_MEASURE, dst.measure_button), (routes.DST_ENROL, dst.enrol_button))],
        CallbackQueryHandler(engine.route_handler(routes.SUBMIT_PLAN, plan.submit_button),
                             pattern=routes.SUBMIT_PLAN.pattern),
        CallbackQueryHandler(engine.route_handler(routes.ANSWER_OBJECTION, followup.answer_objection_button),
                             pattern=routes.ANSWER_OBJECTION.pattern),
        CallbackQueryHandler(engine.route_handler(routes.CARRY_LIST, years.list_button),
                             pattern=routes.CARRY_LIST.pattern),
        CallbackQueryHandler(engine.route_handler(routes.CARRY_OVER, years.carry_button),
                             pattern=routes.CARRY_OVER.pattern),
        *[CallbackQueryHandler(engine.press_handler(spec), pattern=spec.route.pattern) for spec in DIALOGS],
        # Catch-alls last: typed text goes to an open dialog, or gets a pointer to /help.
        MessageHandler(private & filters.TEXT & ~filters.COMMAND & ~filters.UpdateType.EDITED,
                       fallback.text_router(TEXT_STEPS)),
        MessageHandler(private & (filters.PHOTO | filters.Document.ALL) & ~filters.UpdateType.EDITED,
                       fallback.media_router(MEDIA_STEPS)),
        MessageHandler(private & ~filters.UpdateType.EDITED, fallback.unknown_message),
        CallbackQueryHandler(fallback.stale_button),
    ]))
    application.add_error_handler(report_error)


async def on_startup(application: Application) -> None:
    """Work done once the Application is initialised, by every way of running it
    (PTB's post_init only runs inside run_polling/run_webhook, which we don't use)."""
    await set_default_menus(application.bot, application.bot_data["settings"].default_language)
    await application.bot_data["sender"].recover()
    jobs.schedule(application)


def build_application(settings: Settings, db: Database, request: BaseRequest | None = None,
                      with_updater: bool = True) -> Application:
    """The one Application used by polling, the webhook, the demo and the tests."""
    token = settings.telegram_bot_token if request is None else (settings.telegram_bot_token or OFFLINE_TOKEN)
    builder = (
        ApplicationBuilder()
        .token(token)
        .base_url(settings.bot_api_base_url)
        .base_file_url(settings.bot_api_file_url)
        .context_types(ContextTypes(context=BotContext))
        .application_class(BotApplication)  # exports and charts run beside the updates
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=settings.bot_timezone))
        # People at the same time, each one's updates in order, each update one database session.
        .concurrent_updates(PerPersonUpdateProcessor(db.unit_of_work))
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    elif with_updater:
        # On stop PTB calls getUpdates once more (to confirm what it fetched) while the cancelled
        # long poll may still hold the only connection: a second one spares it a pool timeout.
        builder = builder.get_updates_connection_pool_size(2)
    if not with_updater:
        builder = builder.updater(None)
    application = builder.build()
    application.bot_data["settings"] = settings
    application.bot_data["db"] = db
    application.bot_data["clock"] = clock = Clock(settings.bot_timezone)
    application.bot_data["throttle"] = Throttle(settings.throttle_updates, settings.throttle_seconds)
    # Active from the start; `forbedring-bot run` on PostgreSQL swaps in the lock-holding kind.
    application.bot_data["leadership"] = Leadership()
    application.bot_data["sender"] = Sender(
        application.bot, db, settings.bot_timezone, clock, rate=settings.outbox_rate,
        per_chat=settings.outbox_per_chat_seconds, give_up_after=timedelta(hours=settings.outbox_give_up_hours),
        lease=timedelta(seconds=settings.outbox_lease_seconds),
        may_send=lambda: application.bot_data["leadership"].active)
    register_handlers(application)
    # The sweep says what is due as data; the conversations layer words the digests.
    reminder_service.use_renderer(digest_message)
    return application
