"""Charts as PNG (matplotlib, headless).

Made whole in the worker process (bot/workers.py): it counts the figures over its own
database connection (the same roll-ups as /progress) and draws them, so that the bot's
process does neither. It gets the scope and the translated labels, and returns the PNG.
matplotlib is imported there, not here.
"""

from __future__ import annotations

import asyncio
import io
from datetime import date

from bot import workers
from bot.i18n import N_, Translator
from bot.rules.places import Where
from bot.services import progress
from storage.database import Database

SERIES = {
    "reviewed": N_("Reviewed with the parties"),
    "feedback": N_("Feedback meeting held"),
    "areas": N_("Areas chosen"),
    "submitted": N_("Plan submitted"),
    "acknowledged": N_("Plan acknowledged by the reps"),
}


async def completion_chart(t: Translator, db: Database, where: Where, today: date, tz, title: str) -> bytes:
    """Share of units that have done each step, per child of the place (e.g. per trust)."""
    return await workers.run(_in_worker, _completion, db.url, where, today, tz, _labels(t), title)


async def weekly_chart(t: Translator, db: Database, where: Where, today: date, tz, title: str) -> bytes:
    """Cumulative share of units over the weeks of the year."""
    return await workers.run(_in_worker, _weekly, db.url, where, today, tz, _labels(t), title)


def _labels(t: Translator) -> dict[str, str]:
    return {key: t._(label) for key, label in SERIES.items()}


def _in_worker(draw, database_url: str, where: Where, today: date, tz, labels: dict[str, str], title: str) -> bytes:
    """In the worker process: its own connection for the one chart, closed after."""
    async def work():
        db = Database(database_url)
        try:
            return await draw(db, where, today, tz, labels, title)
        finally:
            await db.dispose()
    return asyncio.run(work())


async def _completion(db: Database, where: Where, today: date, tz, labels: dict[str, str], title: str) -> bytes:
    node = await progress.node(db, where, today, tz)
    children = node.children[:30]
    series = {labels[key]: [100 * getattr(c, key) / c.units if c.units else 0 for c in children] for key in SERIES}
    return draw_completion([str(c.name) or "–" for c in children], series, title)


async def _weekly(db: Database, where: Where, today: date, tz, labels: dict[str, str], title: str) -> bytes:
    weeks, series = await progress.weekly(db, where, today)
    return draw_weekly(weeks, {labels[key]: values for key, values in series.items()}, title)


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # no display on a server
    import matplotlib.pyplot as plt

    return plt


def _png(plt, fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()


def draw_completion(labels: list[str], series: dict[str, list[float]], title: str) -> bytes:
    """In the worker process: grouped bars, one group per label, one bar per series."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(max(6, 1.2 * len(labels) + 3), 4.5), dpi=100)
    width = 0.8 / len(series)
    for i, (label, values) in enumerate(series.items()):
        ax.bar([x + i * width for x in range(len(labels))], values, width, label=label)
    ax.set_xticks([x + 0.4 - width / 2 for x in range(len(labels))], labels, rotation=30, ha="right", fontsize=8)
    ax.set_ylim(0, 100)
    ax.set_ylabel("%")
    ax.set_title(title)
    ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    return _png(plt, fig)


def draw_weekly(weeks: list[date], series: dict[str, list[float]], title: str) -> bytes:
    """In the worker process: one line per series over the weeks."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=100)
    for label, values in series.items():
        ax.plot(weeks, values, label=label)
    ax.set_ylim(0, 100)
    ax.set_ylabel("%")
    ax.set_title(title)
    ax.legend(fontsize=7, loc="upper left")
    fig.autofmt_xdate()
    fig.tight_layout()
    return _png(plt, fig)
