"""Example measures per theme, written by the project, in all three languages.

The idea bank gives a unit leader a concrete starting point when registering a
measure (tiltak). Every idea is about how the work itself is planned, organised
and done, says who does what, and says how the unit will notice that it works.
None of them concerns an individual person's health.

Titles and descriptions are English source strings marked with N_; they are
translated when sent, like every other text in the bot.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.i18n import N_


@dataclass(frozen=True)
class Idea:
    key: str  # short ASCII id, unique, <= 12 chars, e.g. "eng1"
    theme: str  # one of the seven theme keys
    title: str  # English source text wrapped in N_(...), at most 80 characters
    description: str  # English, N_(...), 1-2 sentences, at most 300 characters


IDEAS: tuple[Idea, ...] = (
    # engagement
    Idea(
        key="eng1",
        theme="engagement",
        title=N_("Staff pick one improvement to test each month"),
        description=N_(
            "Staff post ideas for better work routines on a board in the staff room, "
            "and at the monthly staff meeting they pick one to test, with one person "
            "responsible. We notice it works when at least six staff ideas have been "
            "tested before the next survey."
        ),
    ),
    Idea(
        key="eng2",
        theme="engagement",
        title=N_("Five minutes on what we achieved at every staff meeting"),
        description=N_(
            "The leader opens each staff meeting by showing one concrete result of the "
            "unit's own work, such as a shorter waiting list or a routine that now works "
            "better. We notice it works when staff start bringing their own examples to "
            "the meeting."
        ),
    ),
    Idea(
        key="eng3",
        theme="engagement",
        title=N_("Protected time for professional development in the rota"),
        description=N_(
            "The rota planner sets aside two hours a month for each shift team for case "
            "discussions or skills training, planned six weeks ahead. We notice it works "
            "when at least nine of twelve monthly sessions take place as planned."
        ),
    ),
    # teamwork
    Idea(
        key="tea1",
        theme="teamwork",
        title=N_("Five-minute huddle at the start of the day shift"),
        description=N_(
            "The person in charge of the shift leads a short standing meeting at the "
            "start of each day shift about the day's workload, risks and who helps whom. "
            "We notice it works when the huddle is held on most days and staff at the "
            "quarterly check say they know whom to ask for help."
        ),
    ),
    Idea(
        key="tea2",
        theme="teamwork",
        title=N_("Quarterly meeting with the unit we transfer patients to"),
        description=N_(
            "The leader and two staff meet a neighbouring unit every quarter to go "
            "through transfers that did not go smoothly and agree on one change each "
            "time. We notice it works when fewer transfers need follow-up calls between "
            "the units."
        ),
    ),
    Idea(
        key="tea3",
        theme="teamwork",
        title=N_("Agreed ground rules for how we work together"),
        description=N_(
            "At a staff meeting the unit agrees on a few rules for passing on messages, "
            "asking for help and handling disagreement, and the leader and safety rep "
            "review them every quarter. We notice it works when staff can name the rules "
            "and the review finds them in use."
        ),
    ),
    # working_conditions
    Idea(
        key="wor1",
        theme="working_conditions",
        title=N_("Protected time for documentation and quality work"),
        description=N_(
            "The rota planner sets aside time each week for documentation, training and "
            "quality work, so these tasks are not squeezed in after the shift. We notice "
            "it works when the unit's monthly overtime figures fall and these tasks are "
            "done within working hours."
        ),
    ),
    Idea(
        key="wor2",
        theme="working_conditions",
        title=N_("Clearer division of recurring tasks between professions"),
        description=N_(
            "Staff from each profession map together who does which recurring tasks and "
            "move at least two tasks to the role best suited to do them. We notice it "
            "works when the new division is written into the unit's routines and still "
            "followed at the next quarterly check."
        ),
    ),
    Idea(
        key="wor3",
        theme="working_conditions",
        title=N_("Rota published earlier, with a simple way to swap shifts"),
        description=N_(
            "The leader publishes the rota at least eight weeks ahead and sets up a "
            "shared list where staff can offer and ask for shift swaps. We notice it "
            "works when there are fewer short-notice changes to the rota over the next "
            "two quarters."
        ),
    ),
    # safety_climate
    Idea(
        key="saf1",
        theme="safety_climate",
        title=N_("Quiet zone for preparing medication"),
        description=N_(
            "The unit marks out a quiet zone for preparing medication, and everyone "
            "agrees not to interrupt the person working there except in an emergency. We "
            "notice it works when fewer interruptions and fewer medication incidents are "
            "reported over the next six months."
        ),
    ),
    Idea(
        key="saf2",
        theme="safety_climate",
        title=N_("Monthly review of incident reports with feedback to staff"),
        description=N_(
            "The leader and the unit's quality contact go through the month's incident "
            "reports at the staff meeting, without naming anyone, and tell what was "
            "changed as a result. We notice it works when more incidents are reported and "
            "staff can name a change that came from a report."
        ),
    ),
    Idea(
        key="saf3",
        theme="safety_climate",
        title=N_("Short simulation training in the unit every month"),
        description=N_(
            "Two trained staff run a 20-minute simulation of a rare emergency in the unit "
            "each month, followed by a short debrief on what to change. We notice it "
            "works when every shift team has taken part within a year and the debriefs "
            "lead to updated checklists or equipment."
        ),
    ),
    # leadership
    Idea(
        key="lea1",
        theme="leadership",
        title=N_("Leader present in the unit at fixed, announced times"),
        description=N_(
            "The leader is out in the unit at fixed times each week, for example at the "
            "morning meeting and one afternoon, to hear about problems in the daily work. "
            "We notice it works when the issues raised there are followed up and reported "
            "back at the next staff meeting."
        ),
    ),
    Idea(
        key="lea2",
        theme="leadership",
        title=N_("Short written update after each leader group meeting"),
        description=N_(
            "After each meeting in the leader group, the leader posts a short note for "
            "the unit on what was decided, why, and what it means for daily work. We "
            "notice it works when staff at the quarterly check say they hear about "
            "changes before they take effect."
        ),
    ),
    Idea(
        key="lea3",
        theme="leadership",
        title=N_("Fixed monthly meeting between leader, safety rep and union rep"),
        description=N_(
            "The leader, the safety rep and the union rep meet for 30 minutes every month "
            "with a fixed agenda: the measures, the rota and upcoming changes. We notice "
            "it works when the reps confirm in the bot that they took part in each step "
            "of the follow-up."
        ),
    ),
    # physical_environment
    Idea(
        key="phy1",
        theme="physical_environment",
        title=N_("Quarterly walk-through of the unit with the safety rep"),
        description=N_(
            "The leader and the safety rep walk through the unit every quarter with a "
            "checklist for noise, light, indoor climate and storage, and write down what "
            "needs fixing. We notice it works when each item found is fixed or raised "
            "with the leader group above by the next walk-through."
        ),
    ),
    Idea(
        key="phy2",
        theme="physical_environment",
        title=N_("A fixed place for all equipment, restocked weekly"),
        description=N_(
            "Two staff give each type of equipment a fixed, labelled place, and the unit "
            "sets up a restocking routine with one person responsible each week. We "
            "notice it works when staff spend less time searching for equipment, checked "
            "with a one-week count before and after."
        ),
    ),
    Idea(
        key="phy3",
        theme="physical_environment",
        title=N_("A break room away from patient areas, with cover for breaks"),
        description=N_(
            "The unit sets aside a room for breaks away from patient areas and agrees who "
            "covers for whom, so that everyone on a shift can use it. We notice it works "
            "when the quarterly check shows that breaks are taken in the room on most "
            "shifts."
        ),
    ),
    # follow_up
    Idea(
        key="fol1",
        theme="follow_up",
        title=N_("The action plan as a fixed item at every staff meeting"),
        description=N_(
            "The leader puts the action plan on the agenda of every staff meeting and "
            "spends five minutes on what has happened with each measure since last time. "
            "We notice it works when staff can say what the unit's measures are and the "
            "quarterly status is registered on time."
        ),
    ),
    Idea(
        key="fol2",
        theme="follow_up",
        title=N_("A responsible person, deadline and sign of success for each measure"),
        description=N_(
            "When a measure is made, the leader, the safety rep and the union rep agree "
            "who is responsible, what the deadline is and how the unit will notice that "
            "it works, and record it in the plan. We notice it works when no measure is "
            "left without an owner or a status at the quarterly follow-up."
        ),
    ),
    Idea(
        key="fol3",
        theme="follow_up",
        title=N_("One-page status for staff after each quarterly follow-up"),
        description=N_(
            "After each quarterly follow-up, the leader and the safety rep put up a "
            "one-page summary of what is done, what is stuck, what was dropped and why. "
            "We notice it works when the Follow-up score rises in the next survey."
        ),
    ),
)

_BY_KEY = {idea.key: idea for idea in IDEAS}


def ideas_for(theme: str) -> list[Idea]:
    """The example measures for one theme, in their fixed order; empty if unknown."""
    return [idea for idea in IDEAS if idea.theme == theme]


def idea_by_key(key: str) -> Idea | None:
    """One idea by its key, or None if there is no such idea."""
    return _BY_KEY.get(key)
