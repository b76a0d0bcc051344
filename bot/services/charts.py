"""Charts as PNG (matplotlib, headless).

The figures are counted by the database in the bot; the drawing (matplotlib, CPU work)
is done in the worker process (bot/workers.py), which gets only the translated labels
and the numbers and returns the PNG. matplotlib is imported there, not here.
"""

from __future__ import annotations

import io
from datetime import date

from bot import workers
from bot.i18n import N_, Translator
from bot.services.progress import Node

SERIES = {
    "reviewed": N_("Reviewed with the parties"),
    "feedback": N_("Feedback meeting held"),
    "areas": N_("Areas chosen"),
    "submitted": N_("Plan submitted"),
    "acknowledged": N_("Plan acknowledged by the reps"),
}


async def completion_chart(t: Translator, node: Node, title: str) -> bytes:
    """Share of units that have done each step, per child of the node (e.g. per trust)."""
    children = node.children[:30]
    labels = [str(c.name) or "–" for c in children]
    series = {t._(label): [100 * getattr(c, key) / c.units if c.units else 0 for c in children]
              for key, label in SERIES.items()}
    return await workers.run(draw_completion, labels, series, title)


async def weekly_chart(t: Translator, weeks: list[date], series: dict[str, list[float]], title: str) -> bytes:
    """Cumulative share of units over the weeks of the year."""
    return await workers.run(draw_weekly, weeks, {t._(SERIES[key]): values for key, values in series.items()},
                             title)


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
