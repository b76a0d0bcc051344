""""You said, we did": the summary a leader gives the staff after the plan is submitted and after
each quarterly status. What the survey showed (the chosen areas), what the unit does about it (the
measures with their status), and what has changed since the last summary.

A summary is kept as data (a snapshot, JSON in staff_summary.snapshot) with its changes worked out
when it is made, so the same summary can be given again in another language; the words are put on
it when it is shown (`summary_lines`). Nothing about any person: no names, no answers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.i18n import N_, Translator
from bot.rules.measures import STATUSES
from bot.rules.themes import THEMES
from bot.rules.vocabulary import MeasureKind, MeasureStatus

L_TITLE = N_("You said, we did")
L_SUBTITLE = N_("{unit} · ForBedring {year} · {date}")
L_SHOWED = N_("What the survey showed")
L_PRESERVE = N_("We keep up: {theme}")
L_IMPROVE = N_("We work to improve: {theme}")
L_SCORE = N_("{theme} ({score} of 100)")
L_NO_OWN_REPORT = N_("Our unit had fewer than 5 answers and got no report of its own, so we have worked with "
                     "the results of the level above.")
L_NO_AREAS = N_("No areas chosen yet.")
L_WE_DO = N_("What we do about it")
L_MEASURE = N_("{title} – {status}, by {date}")
L_MEASURE_ENDED = N_("{title} – {status}")
L_NO_MEASURES = N_("No measures yet.")
L_SINCE = N_("Since {date}")
L_FIRST = N_("The plan was submitted on {date}. This is the first summary.")
L_NOTHING_NEW = N_("No changes since then.")
L_NEW = N_("New: {title}")
L_CHANGED = N_("{title}: {old} → {new}")
L_GONE = N_("No longer in the plan: {title}")
L_NEW_AREA = N_("New area: {theme}")
L_FOOTER = N_("Ideas or questions? Talk to your leader, the safety rep or the union rep.")

# The order measures are shown in: what is being done first, what is finished last.
_ORDER = {MeasureStatus.IN_PROGRESS: 0, "stuck": 1, MeasureStatus.PLANNED: 2, MeasureStatus.DONE: 3,
          MeasureStatus.DROPPED: 4}


@dataclass(frozen=True)
class Line:
    """One line of a summary: its style (title, subtitle, heading, text, item) and, for a
    measure, its status (the card colours its mark by it)."""

    style: str
    text: str
    status: str = ""


def snapshot(year: int, unit: str, made_on: date, plan_submitted_on: date | None, no_own_report: bool,
             areas: list[tuple[str, str]], scores: dict[str, int], measures: list[dict]) -> dict:
    """The summary's data. `areas`: (kind, theme); `measures`: id, title, kind, theme, status, deadline (ISO)."""
    return {
        "year": year, "unit": unit, "made_on": made_on.isoformat(),
        "plan_submitted_on": plan_submitted_on.isoformat() if plan_submitted_on else None,
        "no_own_report": no_own_report,
        "areas": [list(a) for a in areas], "scores": dict(scores),
        "measures": sorted(measures, key=lambda m: (_ORDER.get(m["status"], 9), m["deadline"], m["id"])),
    }


def same_content(a: dict, b: dict) -> bool:
    """Nothing a summary shows has changed between the two (the day it was made aside)."""
    keys = ("year", "no_own_report", "areas", "scores", "measures")
    return all(a.get(k) == b.get(k) for k in keys)


def with_changes(current: dict, previous: dict | None) -> dict:
    """The snapshot with what has changed since `previous` (the last summary), or, for the first,
    none: it then tells when the plan was submitted."""
    changes: list[dict] = []
    if previous is not None:
        before = {m["id"]: m for m in previous["measures"]}
        now = {m["id"] for m in current["measures"]}
        for m in current["measures"]:
            old = before.get(m["id"])
            if old is None:
                changes.append({"what": "new", "title": m["title"]})
            elif old["status"] != m["status"]:
                changes.append({"what": "status", "title": m["title"], "old": old["status"], "new": m["status"]})
        changes += [{"what": "gone", "title": m["title"]} for i, m in before.items() if i not in now]
        had = {tuple(a) for a in previous["areas"]}
        changes += [{"what": "area", "theme": theme} for kind, theme in current["areas"] if (kind, theme) not in had]
    return {**current, "since": previous["made_on"] if previous else None, "changes": changes}


def _status(t: Translator, status: str) -> str:
    return t._(STATUSES[status]) if status in STATUSES else status


def _theme(t: Translator, theme: str) -> str:
    return t._(THEMES[theme]) if theme in THEMES else theme


def summary_lines(t: Translator, data: dict) -> list[Line]:
    """The summary in one language, line by line (the text and the card are made from these)."""
    lines = [Line("title", t._(L_TITLE)),
             Line("subtitle", t._(L_SUBTITLE, unit=data["unit"], year=data["year"],
                                  date=t.date(date.fromisoformat(data["made_on"])))),
             Line("heading", t._(L_SHOWED))]
    if data["no_own_report"]:
        lines.append(Line("text", t._(L_NO_OWN_REPORT)))
    for kind, theme in data["areas"]:
        name = _theme(t, theme)
        if theme in data["scores"]:
            name = t._(L_SCORE, theme=name, score=data["scores"][theme])
        lines.append(Line("text", t._(L_PRESERVE if kind == MeasureKind.PRESERVE else L_IMPROVE, theme=name)))
    if not data["areas"]:
        lines.append(Line("text", t._(L_NO_AREAS)))
    lines.append(Line("heading", t._(L_WE_DO)))
    for m in data["measures"]:
        if m["status"] in (MeasureStatus.DONE, MeasureStatus.DROPPED):
            text = t._(L_MEASURE_ENDED, title=m["title"], status=_status(t, m["status"]))
        else:
            text = t._(L_MEASURE, title=m["title"], status=_status(t, m["status"]),
                       date=t.date(date.fromisoformat(m["deadline"])))
        lines.append(Line("item", text, m["status"]))
    if not data["measures"]:
        lines.append(Line("text", t._(L_NO_MEASURES)))
    if data["since"] is None:
        if data["plan_submitted_on"]:
            lines.append(Line("heading", t._(L_SINCE, date=t.date(date.fromisoformat(data["plan_submitted_on"])))))
            lines.append(Line("text", t._(L_FIRST, date=t.date(date.fromisoformat(data["plan_submitted_on"])))))
    else:
        lines.append(Line("heading", t._(L_SINCE, date=t.date(date.fromisoformat(data["since"])))))
        for change in data["changes"]:
            if change["what"] == "new":
                lines.append(Line("text", t._(L_NEW, title=change["title"])))
            elif change["what"] == "status":
                lines.append(Line("text", t._(L_CHANGED, title=change["title"], old=_status(t, change["old"]),
                                              new=_status(t, change["new"]))))
            elif change["what"] == "gone":
                lines.append(Line("text", t._(L_GONE, title=change["title"])))
            else:
                lines.append(Line("text", t._(L_NEW_AREA, theme=_theme(t, change["theme"]))))
        if not data["changes"]:
            lines.append(Line("text", t._(L_NOTHING_NEW)))
    lines.append(Line("footer", t._(L_FOOTER)))
    return lines
