"""Callback data, typed: one codec builds every button's data and parses it back.

A `Route` is a prefix and a list of typed fields: `Route("me", measure=Int)`
builds `me:812` and parses it back to `Press(measure=812)`. Telegram takes at
most 64 bytes and PTB does not check it, so building checks it. Parsing never
trusts the data: anything malformed gives None, and the handler refuses it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from types import SimpleNamespace

MAX_BYTES = 64
SEPARATOR = ":"


class CallbackTooLong(ValueError):
    """A button's data would not fit Telegram's 64 bytes (a programming error)."""


class Kind:
    """One field's type: how it is written into callback data and read back."""

    def dump(self, value) -> str:
        raise NotImplementedError

    def load(self, text: str):
        """The value, or None when `text` is not a valid value of this kind."""
        raise NotImplementedError


class IntKind(Kind):
    def dump(self, value) -> str:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"not a non-negative int: {value!r}")
        return str(value)

    def load(self, text: str):
        return int(text) if text.isdigit() and len(text) <= 18 else None


class DateKind(Kind):
    def dump(self, value) -> str:
        return value.strftime("%Y%m%d")

    def load(self, text: str):
        if len(text) != 8 or not text.isdigit():
            return None
        try:
            return date(int(text[:4]), int(text[4:6]), int(text[6:]))
        except ValueError:
            return None


class MonthKind(Kind):
    """(year, month) as YYYYMM."""

    def dump(self, value) -> str:
        year, month = value
        return f"{year:04d}{month:02d}"

    def load(self, text: str):
        if len(text) != 6 or not text.isdigit() or not 1 <= int(text[4:]) <= 12:
            return None
        return int(text[:4]), int(text[4:])


class Choice(Kind):
    """One of a fixed set of short codes (an enum's values, a dict's keys)."""

    def __init__(self, values):
        self.values = tuple(str(v) for v in values)

    def dump(self, value) -> str:
        if str(value) not in self.values:
            raise ValueError(f"{value!r} is not one of {self.values}")
        return str(value)

    def load(self, text: str):
        return text if text in self.values else None


class Word(Kind):
    """A short ASCII word (a dialog token, a key): letters, digits, '_' and '-'."""

    PATTERN = re.compile(r"[A-Za-z0-9_\-]{1,32}")

    def dump(self, value) -> str:
        if not self.PATTERN.fullmatch(str(value)):
            raise ValueError(f"not a short word: {value!r}")
        return str(value)

    def load(self, text: str):
        return text if self.PATTERN.fullmatch(text) else None


class Flag(Kind):
    def dump(self, value) -> str:
        return "1" if value else "0"

    def load(self, text: str):
        return {"1": True, "0": False}.get(text)


Int, Date, Month, Token, Bool = IntKind(), DateKind(), MonthKind(), Word(), Flag()


class Optional(Kind):
    """A field that may be left out (it must come last)."""

    def __init__(self, kind: Kind):
        self.kind = kind


class Press(SimpleNamespace):
    """The parsed fields of a press, by name (`press.measure`)."""


@dataclass(frozen=True)
class Route:
    prefix: str
    fields: tuple[tuple[str, Kind], ...]

    def __init__(self, prefix: str, **fields: Kind):
        if not re.fullmatch(r"[a-z]{1,4}", prefix):
            raise ValueError(f"a route prefix is 1–4 small letters: {prefix!r}")
        object.__setattr__(self, "prefix", prefix)
        object.__setattr__(self, "fields", tuple(fields.items()))

    @property
    def pattern(self) -> str:
        """For PTB's CallbackQueryHandler: this route's presses and nothing else."""
        return rf"^{self.prefix}(:|$)"

    def build(self, *values, **named) -> str:
        values = list(values) + [named[name] for name, _ in self.fields[len(values):] if name in named]
        parts = [self.prefix]
        for (name, kind), value in zip(self.fields, values):
            if isinstance(kind, Optional):
                if value is None:
                    break
                kind = kind.kind
            parts.append(kind.dump(value))
        data = SEPARATOR.join(parts)
        if len(data.encode("utf-8")) > MAX_BYTES:
            raise CallbackTooLong(f"{data!r} is over {MAX_BYTES} bytes")
        return data

    def parse(self, data: str | None) -> Press | None:
        if not data:
            return None
        parts = data.split(SEPARATOR)
        if parts[0] != self.prefix or len(parts) - 1 > len(self.fields):
            return None
        values = {}
        for index, (name, kind) in enumerate(self.fields, start=1):
            if isinstance(kind, Optional):
                if index >= len(parts):
                    values[name] = None
                    continue
                kind = kind.kind
            elif index >= len(parts):
                return None
            value = kind.load(parts[index])
            if value is None:
                return None
            values[name] = value
        return Press(**values)
