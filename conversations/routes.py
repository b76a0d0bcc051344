"""Every button outside a dialog, as a typed route: what its callback data holds.

Handlers get the parsed press (`press.unit`, `press.measure`, …) through
bot.dialogs.engine.route_handler, which refuses malformed data; a button is made
with `ROUTE.build(...)`, which checks Telegram's 64 bytes. A dialog's own
buttons use its spec's prefix (bot/dialogs/spec.py). tests/test_dialog_specs.py
checks that no two prefixes are the same.
"""

from __future__ import annotations

from bot.dialogs.callbacks import Choice, Int, Optional, Route, Word
from bot.i18n import LANGUAGES
from bot.rules.measures import QUICK_STATUS, STATUSES
from bot.rules.methods import PLAN_ANSWERS, STEP_ANSWERS
from bot.rules.nudges import GROUPS
from bot.rules.themes import KINDS, THEMES

UNIT_CHOSEN = Route("u", purpose=Word(), unit=Int)  # conversations/units.py

# conversations/language.py: a language, "welcome" when chosen from the welcome (the privacy
# notice and the menu come again in it); the welcome's "change language" shows the choice.
AFTER_WELCOME = "welcome"
LANGUAGE = Route("lang", language=Choice(LANGUAGES), origin=Optional(Choice((AFTER_WELCOME,))))
CHANGE_LANGUAGE = Route("lch")

FOLLOWUP = Route("fu", unit=Int, year=Optional(Int))  # conversations/followup.py
FOLLOWUP_STEP = Route("fs", unit=Int, step=Word(), year=Optional(Int))
MARK_STEP = Route("fm", unit=Int, step=Word(), year=Optional(Int))
CONFIRMATION = Route("cf", confirmation=Int, answer=Choice(STEP_ANSWERS + PLAN_ANSWERS))  # the service checks it fits
ANSWER_OBJECTION = Route("oa", confirmation=Int)  # the leader answers a rep's objection (dialog objection_reply)

NEW_MEASURE = Route("nm", unit=Int)  # conversations/measure_new.py
MEASURE_LIST = Route("ml", unit=Int)  # conversations/measures.py
MEASURE = Route("me", measure=Int)
MEASURE_STATUS = Route("mt", measure=Int, status=Choice(STATUSES))  # then its comment (measure_edit)
MEASURE_UPDATE = Route("mu", measure=Int, change=Choice(("responsible", "deadline", "evaluate")))  # that screen
MEASURE_HISTORY = Route("mh", measure=Int)
PROPOSAL_ANSWER = Route("pa", measure=Int, answer=Choice(("accept", "decline")))
PROPOSE = Route("np", unit=Int)

ADD_AREA = Route("ar", unit=Int, kind=Choice(KINDS), theme=Optional(Choice(THEMES)))  # conversations/areas.py
REMOVE_AREA = Route("ax", area=Int)
SCORES = Route("sc", unit=Int)

# conversations/followup.py: fewer than 5 answers, no report of the unit's own (on), or undone (off).
NO_OWN_REPORT = Route("nor", unit=Int, mark=Choice(("on", "off")))
# conversations/staff_summary.py: "you said, we did" for the staff; again in another language.
STAFF_SUMMARY = Route("ssm", unit=Int)
STAFF_SUMMARY_IN = Route("ssl", summary=Int, language=Choice(LANGUAGES))

QUICK_STATUS_PRESS = Route("qs", measure=Int, status=Choice(QUICK_STATUS))  # conversations/reminders.py
SETTINGS = Route("nz", action=Choice(("snooze", "resume", "settings", "mute")),  # mute takes a group
                 group=Optional(Choice(GROUPS)))
REMIND_LEADER = Route("ra", unit=Int)

RAISED_ANSWER = Route("rsa", raised=Int)  # conversations/raised.py: answer a raised problem (a dialog)
RAISED_TAKE_ON = Route("rst", raised=Int)  # take it on as the leader group's own measure
RAISED_LIST = Route("rsl")  # the /raised list, from the weekly digest

CANCEL_BROADCAST = Route("bx", broadcast=Int)  # conversations/broadcast.py

# conversations/progress.py: the drill-down, a route per level, each with an optional page of its buttons.
PROGRESS_REGION = Route("pgr", region=Int, page=Optional(Int))  # a region: its trusts
PROGRESS_TRUST = Route("pgt", trust=Int, page=Optional(Int))  # a trust: its clinics, or its units
PROGRESS_CLINIC = Route("pgc", trust=Int, clinic=Int, page=Optional(Int))  # a clinic (its index in the trust)
OVERDUE_PAGE = Route("ov", page=Int)  # /overdue's pages

PLAN = Route("pl", unit=Int, year=Optional(Int))  # conversations/plan.py; an earlier year's plan
SUBMIT_PLAN = Route("ps", unit=Int, anyway=Optional(Choice(("go",))))  # "go": past the warnings

# conversations/members.py: /members walks region -> trust -> unit -> a membership.
MEMBERS_REGION = Route("mbg", region=Int)  # a region's trusts
MEMBERS_TRUST = Route("mbt", trust=Int, page=Optional(Int))  # a trust's units
MEMBERS_UNIT = Route("mbu", unit=Int)  # a unit's members
MEMBER_END = Route("mbe", membership=Int)  # are you sure?
MEMBER_END_YES = Route("mby", membership=Int)  # end it
HANDOVER = Route("mbh", unit=Int, person=Int)  # an invite for a new leader in place of this one


# conversations/years.py: last year's open measures when a new survey year begins.
CARRY_LIST = Route("cl", unit=Int)
CARRY_OVER = Route("co", measure=Int, choice=Choice(("carry", "yes", "partly", "no", "close")))


def all_routes() -> dict[str, Route]:
    return {name: value for name, value in globals().items() if isinstance(value, Route)}

# conversations/dst.py: Der skoen trykker (a unit's phases; enrolling a unit is dialog "enrol").
DST = Route("ds", unit=Int)  # a unit's DST overview
DST_PHASE = Route("dsp", unit=Int, phase=Word())
DST_MARK = Route("dsm", unit=Int, phase=Word())  # then dialog "mark" (conversations/followup.py)
DST_MEASURE = Route("dsn", unit=Int)  # a DST measure (phase 4): dialog "measure" marked as DST
DST_ENROL = Route("dse")  # programme staff and admins: dialog "enrol"
