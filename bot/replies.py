"""Replying in the chat an update came from: long answers split to fit Telegram."""

from __future__ import annotations

from telegram import Update

MESSAGE_LIMIT = 4000  # Telegram's is 4096; leave room


def split_message(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split at line breaks so that no part is longer than Telegram allows.
    Lines are whole, so an HTML tag (never spanning lines here) is never cut."""
    parts, current = [], ""
    for line in text.split("\n"):
        while len(line) > limit:  # a single over-long line: cut at the limit
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:limit])
            line = line[limit:]
        if current and len(current) + 1 + len(line) > limit:
            parts.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    parts.append(current)
    return [p for p in parts if p.strip()] or [text]


async def reply(update: Update, text: str, reply_markup=None) -> None:
    """Answer in the chat the update came from, whether a message or a button press;
    long answers go as several messages, the buttons on the last."""
    parts = split_message(text)
    for part in parts[:-1]:
        await update.effective_chat.send_message(part)
    await update.effective_chat.send_message(parts[-1], reply_markup=reply_markup)
