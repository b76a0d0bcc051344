"""Follow-up methods as data: their steps in order, the guidance for each,
who must confirm, and which date each hangs on.

Conversations read these definitions and never name a step themselves, so a
second method ("Der skoen trykker", seven phases) is one more `Method` here,
for the units enrolled in it.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.i18n import N_
from bot.rules.vocabulary import Answer, Completion, Role

REPS = (Role.SAFETY_REP, Role.UNION_REP)


@dataclass(frozen=True)
class Step:
    key: str
    title: str  # lazily translated
    guidance: str  # lazily translated: what to do, who should be there, what "done" means
    due: str  # a CycleDates attribute
    # How the step gets done: marked by the leader with a date and the parties, or derived from the data.
    completion: Completion
    confirm_roles: tuple[str, ...] = ()
    # A "marked" step held as a meeting: marking it done asks who took part. The survey is no meeting.
    meeting: bool = True


@dataclass(frozen=True)
class Method:
    key: str
    name: str
    steps: tuple[Step, ...]

    def step(self, key: str) -> Step | None:
        return next((s for s in self.steps if s.key == key), None)

    def number(self, key: str) -> int:
        return [s.key for s in self.steps].index(key) + 1


FORBEDRING = Method(
    key="forbedring",
    name=N_("ForBedring follow-up"),
    steps=(
        Step("prepare", N_("Preparation"), N_(
            "Look back at last year's measures with the safety rep and the union rep, and agree how you "
            "will work this year. Done when the three of you have met."), "prepare_due", Completion.MARKED, REPS),
        Step("survey", N_("Survey"), N_(
            "Encourage everyone to answer while the survey is open (the target is 75 %), at meetings and "
            "on the notice board. Never chase individuals. Done when the survey has closed."),
            "survey_closes", Completion.MARKED, meeting=False),
        Step("review", N_("Review with the parties"), N_(
            "Go through the results with the safety rep and the union rep before anyone else sees them. "
            "Agree what to bring to the staff. Done when the three of you have met."),
            "review_due", Completion.MARKED, REPS),
        Step("feedback", N_("Feedback meeting"), N_(
            "Present the results to the staff and let them discuss what works and what does not. The "
            "reps take part. Done when the meeting has been held."), "feedback_meeting_due", Completion.MARKED, REPS),
        Step("areas", N_("Choice of areas"), N_(
            "Together with the staff, choose at least one area to preserve and one to improve, each tied "
            "to a theme. Done when both kinds are chosen."), "feedback_meeting_due", Completion.AREAS),
        Step("measures", N_("Measures"), N_(
            "Agree concrete measures: what you will do, who is responsible, by when, and how you will "
            "notice that it works. Done when there is at least one measure to preserve and one to "
            "improve."), "plan_deadline", Completion.MEASURES),
        Step("plan", N_("Plan complete"), N_(
            "Submit the action plan. The safety rep and the union rep are asked to acknowledge it. Done "
            "when it is submitted."), "plan_deadline", Completion.PLAN, REPS),
        Step("status", N_("Quarterly follow-up"), N_(
            "At each status date give every measure a short status: done, in progress, stuck or dropped. "
            "Tell the staff what has been done. Done when all measures are updated after the last "
            "status date."), "status_3", Completion.STATUS),
        Step("evaluate", N_("Evaluation"), N_(
            "Before the next survey, evaluate each measure with the parties: did it work (yes, partly, "
            "no) and why? Done when every measure is evaluated."), "evaluation_deadline", Completion.EVALUATION),
    ),
)

# Der skoen trykker: seven phases, each marked done with the parties and confirmed by the reps. The
# phases' target dates count from the unit's start (settings DST_PHASE_<n>_DAYS, bot/rules/dst.py).
DST = Method(
    key="dst",
    name=N_("Der skoen trykker"),
    steps=(
        Step("anchor", N_("Preparation and anchoring"), N_(
            "Anchor the work with management, the safety service and the unions: agree why the unit takes "
            "part, who is in the working group (you, your superior, the safety rep, the union rep and a local "
            "resource from HR, the occupational health service or NAV) and how the staff will be told. Done "
            "when the working group has met and the work is anchored."), "phase_1", Completion.MARKED, REPS),
        Step("mapping", N_("Mapping through dialogue"), N_(
            "Hold dialogue meetings with the staff and the parties about what works well and where the shoe "
            "pinches. Everyone should be heard; write down what is said, never who said it. Done when the "
            "dialogue meetings have been held."), "phase_2", Completion.MARKED, REPS),
        Step("report", N_("Report"), N_(
            "Sum up the dialogues, the unit's sick-leave figures and the ForBedring results in a short report, "
            "and go through it with the safety rep and the union rep. Done when the parties stand behind the "
            "report."), "phase_3", Completion.MARKED, REPS),
        Step("develop", N_("Measures with the staff"), N_(
            "Develop measures together with the staff from what the report shows: what you will do, who is "
            "responsible, by when. Register them here as Der skoen trykker measures. Mapping without "
            "follow-up does harm. Done when the measures are agreed."), "phase_4", Completion.MARKED, REPS),
        Step("carry_out", N_("Carrying out"), N_(
            "Carry out the measures and tell the staff how it goes. Give each measure a status when it "
            "changes. Done when the measures are under way as agreed."), "phase_5", Completion.MARKED, REPS),
        Step("adjust", N_("Evaluation and adjustment"), N_(
            "Look at what has worked and what has not, with the parties and the staff, and adjust the "
            "measures. Done when the evaluation has been held."), "phase_6", Completion.MARKED, REPS),
        Step("continue", N_("Continued work"), N_(
            "Make the work part of the unit's ordinary health, safety and environment work, so that it goes "
            "on without the intervention team. Agree how and when you will follow up. Done when that is "
            "agreed."), "phase_7", Completion.MARKED, REPS),
    ),
)
# The phase in which the unit's measures are made (they are marked as DST measures).
DST_MEASURE_PHASE = "develop"

METHODS = {FORBEDRING.key: FORBEDRING, DST.key: DST}


# What a rep may answer: about a step, whether they took part; about the plan, whether they stand behind it.
STEP_ANSWERS = (Answer.TOOK_PART, Answer.NOT_INVOLVED)
PLAN_ANSWERS = (Answer.ACKNOWLEDGED, Answer.OBJECTED)
OBJECTIONS = (Answer.NOT_INVOLVED, Answer.OBJECTED)


def answers_for(subject: str) -> tuple[str, ...]:
    return PLAN_ANSWERS if subject == "plan" else STEP_ANSWERS
