""""You said, we did": a unit's summary for its staff, as text and as a PNG card.

The leader asks for it once the plan is submitted (and again after each quarterly status);
it is kept (storage/staff_summary.py) so that the next one can tell what has changed since,
and so that the same summary can be given in another language. The card is drawn in the
worker process (bot/workers.py) from the summary's worded lines; matplotlib is imported
there, not here."""

from __future__ import annotations

import io
import textwrap
from datetime import date, datetime

from bot import workers
from bot.i18n import Translator
from bot.rules import staff_summary as rules
from bot.rules.access import is_leader_of
from bot.rules.errors import NotAllowed, PlanIncomplete
from bot.rules.vocabulary import ProposalState
from bot.services.cycles import working_year_of_trust
from storage import audit
from storage import followup as followup_store
from storage import measures as measure_store
from storage import staff_summary as store
from storage.database import Database


async def make(db: Database, memberships, person_id: int, unit_id: int, today: date, now: datetime,
               tz) -> tuple[int, dict]:
    """The unit's summary as it stands today: (its id, its data). The leader of the unit only, once
    the plan of the working year is submitted. When nothing has changed since the last one, that
    one is given again (its changes stay those it had)."""
    if not is_leader_of(memberships, unit_id):
        raise NotAllowed(f"staff summary of unit {unit_id}")
    async with db.session() as session:
        unit = await followup_store.unit_info(session, unit_id)
        if unit is None:
            raise NotAllowed(f"staff summary of unknown unit {unit_id}")
        year = await working_year_of_trust(session, unit.trust_id, today)
        followup = await followup_store.followup_for(session, unit_id, year)
        if followup.plan_submitted_at is None:
            raise PlanIncomplete([])
        measures = [m for m in await measure_store.unit_measures(session, unit_id, year, include_proposals=False)
                    if m.proposal in (None, ProposalState.ACCEPTED)]
        current = rules.snapshot(
            year, unit.name, today, followup.plan_submitted_at.astimezone(tz).date(), followup.no_own_report,
            [(a.kind, a.theme) for a in await followup_store.areas(session, followup.id)],
            await followup_store.scores(session, followup.id),
            [{"id": m.id, "title": m.title, "kind": m.kind, "theme": m.theme, "status": m.status,
              "deadline": m.deadline.isoformat()} for m in measures])
        last = await store.last_summary(session, followup.id)
        previous = store.data_of(last) if last else None
        if previous is not None and rules.same_content(previous, current):
            return last.id, previous
        data = rules.with_changes(current, previous)
        summary = await store.add_summary(session, followup.id, now, data)
        audit.record(session, f"person:{person_id}", "staff_summary.make", f"followup:{followup.id}",
                     f"summary:{summary.id}")
        return summary.id, data


async def get(db: Database, memberships, summary_id: int) -> dict:
    """A summary made before (for another language): the leader of its unit only."""
    async with db.session() as session:
        found = await store.summary_with_unit(session, summary_id)
    if found is None or not is_leader_of(memberships, found[1]):
        raise NotAllowed(f"staff summary {summary_id}")
    return store.data_of(found[0])


async def card(t: Translator, data: dict) -> bytes:
    """The summary as a PNG card for the staff room, drawn in the worker process."""
    lines = [(line.style, line.text, line.status) for line in rules.summary_lines(t, data)]
    return await workers.run(draw_card, lines)


# --- in the worker process ---

COLOURS = {"planned": "#7f8c8d", "in_progress": "#2e86c1", "stuck": "#c0392b", "done": "#27ae60",
           "dropped": "#aab7b8"}
STYLES = {"title": (22, "bold"), "subtitle": (11, "normal"), "heading": (14, "bold"), "text": (11, "normal"),
          "item": (11, "normal"), "footer": (10, "italic")}
WIDTH = 72  # characters on a line of the card
MAX_ROWS = 70  # rows of text on one card; the rest are in the text message


def draw_card(lines: list[tuple[str, str, str]]) -> bytes:
    """A portrait card (A4 proportions, at least): the lines top to bottom, a coloured mark before
    each measure by its status. Runs in the worker process (bot/workers.py)."""
    import matplotlib

    matplotlib.use("Agg")  # no display on a server
    import matplotlib.patches
    import matplotlib.pyplot as plt

    rows: list[tuple[str, str, str, bool]] = []  # (style, text, status, first row of the line)
    for style, line, status in lines:
        if style in ("heading", "footer"):
            rows.append(("gap", "", "", False))
        wrapped = textwrap.wrap(line, WIDTH - (4 if style == "item" else 0)) or [""]
        rows += [(style, part, status, i == 0) for i, part in enumerate(wrapped)]
    if len(rows) > MAX_ROWS:
        rows = rows[:MAX_ROWS - 1] + [("text", "…", "", True)]
    step = 0.32  # inches a row takes
    height = max(11.69, 1.6 + step * len(rows) * 1.15)
    fig = plt.figure(figsize=(8.27, height), dpi=100)
    fig.patch.set_facecolor("white")
    y = height - 0.9
    fig.patches.append(matplotlib.patches.Rectangle((0, 1 - 0.25 / height), 1, 0.25 / height,
                                                    transform=fig.transFigure, color="#2e86c1"))
    for index, (style, part, status, first) in enumerate(rows):
        if style == "gap":
            y -= step * 0.6
            continue
        size, weight = STYLES[style]
        x = 0.7
        if style == "item":
            if first:
                fig.text(x / 8.27, y / height, "●", fontsize=13, color=COLOURS.get(status, "#7f8c8d"),
                         va="baseline")
            x += 0.35
        fig.text(x / 8.27, y / height, part, fontsize=size, fontweight="bold" if weight == "bold" else "normal",
                 fontstyle="italic" if weight == "italic" else "normal",
                 color="#1b2631" if style != "subtitle" else "#566573", va="baseline")
        following = rows[index + 1] if index + 1 < len(rows) else None
        y -= step * (1.6 if style == "title" else 0.8 if following and not following[3] else 1.15)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()
