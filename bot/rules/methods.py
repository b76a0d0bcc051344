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

METHODS = {FORBEDRING.key: FORBEDRING}


# What a rep may answer: about a step, whether they took part; about the plan, whether they stand behind it.
STEP_ANSWERS = (Answer.TOOK_PART, Answer.NOT_INVOLVED)
PLAN_ANSWERS = (Answer.ACKNOWLEDGED, Answer.OBJECTED)
OBJECTIONS = (Answer.NOT_INVOLVED, Answer.OBJECTED)


def answers_for(subject: str) -> tuple[str, ...]:
    return PLAN_ANSWERS if subject == "plan" else STEP_ANSWERS
