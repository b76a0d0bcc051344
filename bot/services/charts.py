"""Charts as PNG (matplotlib, headless)."""

from __future__ import annotations

import io
from datetime import date

import matplotlib

matplotlib.use("Agg")  # no display on a server
import matplotlib.pyplot as plt  # noqa: E402

from bot.i18n import N_, Translator  # noqa: E402
from bot.services.progress import Node  # noqa: E402

SERIES = {
    "reviewed": N_("Reviewed with the parties"),
    "feedback": N_("Feedback meeting held"),
    "areas": N_("Areas chosen"),
    "submitted": N_("Plan submitted"),
    "acknowledged": N_("Plan acknowledged by the reps"),
}


def completion_chart(t: Translator, node: Node, title: str) -> bytes:
    """Share of units that have done each step, per child of the node (e.g. per trust)."""
    children = node.children[:30]
    labels = [str(c.name) or "–" for c in children]
    fig, ax = plt.subplots(figsize=(max(6, 1.2 * len(children) + 3), 4.5), dpi=100)
    width = 0.8 / len(SERIES)
    for i, (key, label) in enumerate(SERIES.items()):
        values = [100 * getattr(c, key) / c.units if c.units else 0 for c in children]
        ax.bar([x + i * width for x in range(len(children))], values, width, label=t._(label))
    ax.set_xticks([x + 0.4 - width / 2 for x in range(len(children))], labels, rotation=30, ha="right", fontsize=8)
    ax.set_ylim(0, 100)
    ax.set_ylabel("%")
    ax.set_title(title)
    ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()


def weekly_chart(t: Translator, weeks: list[date], series: dict[str, list[float]], title: str) -> bytes:
    """Cumulative share of units over the weeks of the year."""
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=100)
    for key, values in series.items():
        ax.plot(weeks, values, label=t._(SERIES[key]))
    ax.set_ylim(0, 100)
    ax.set_ylabel("%")
    ax.set_title(title)
    ax.legend(fontsize=7, loc="upper left")
    fig.autofmt_xdate()
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()
