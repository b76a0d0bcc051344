"""Short texts for buttons and lists: cut at a word, never in the middle of one."""

from __future__ import annotations

ELLIPSIS = "…"


def short_label(text: str, limit: int) -> str:
    """`text` if it fits in `limit` characters, else cut after the last whole word
    that fits and ended with "…" (the result, "…" included, is at most `limit` long).
    A single word longer than the limit is cut inside it: there is no better place."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    room = text[:limit - len(ELLIPSIS) + 1]  # one more: is the cut right before a space?
    cut = room.rfind(" ")
    head = (room[:cut] if cut > 0 else room[:-1]).rstrip(" ,.;:–-")
    return (head or room[:-1]) + ELLIPSIS
