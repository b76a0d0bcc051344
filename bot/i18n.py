"""Translation and formatting per person.

Catalogs live in `locales/<lang>/LC_MESSAGES/messages.po`. They are read
through the `locales` package, so they are found wherever the project is
installed (from a wheel as from a checkout), and compiled in memory when first
used, so a fresh clone needs no build step and a compiled file can never be
stale. There is no global locale: every update gets its own
`Translator`.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from functools import lru_cache
from importlib import resources

from babel.core import Locale
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations

LOCALES_DIR = resources.files("locales")
LANGUAGES = ("nb", "nn", "en")
# Babel locales used for dates and numbers.
_BABEL_LOCALE = {"nb": "nb_NO", "nn": "nn_NO", "en": "en_GB"}


def N_(message: str) -> str:
    """Mark a module-level string for extraction; it is translated when sent."""
    return message


@lru_cache(maxsize=None)
def _translations(language: str) -> Translations:
    path = LOCALES_DIR / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as po_file:
        catalog = read_po(po_file, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(buffer)


class Translator:
    """Strings, dates and numbers in one person's language."""

    def __init__(self, language: str):
        self.language = language if language in LANGUAGES else "nb"
        self._catalog = _translations(self.language)
        self.locale = Locale.parse(_BABEL_LOCALE[self.language])

    def _(self, message: str, **values) -> str:
        text = self._catalog.gettext(message)
        return text.format(**values) if values else text

    def ngettext(self, singular: str, plural: str, n: float, **values) -> str:
        """The form for `n`, with `n` written as a number of this language in {n}. A decimal
        (an average) takes the singular only when it is exactly 1, as in "1 measure per unit"."""
        form = n if isinstance(n, int) else (1 if n == 1 else 2)
        text = self._catalog.ngettext(singular, plural, form)
        return text.format(n=self.number(n), **values)

    def date(self, value: date) -> str:
        """'14. mars 2027' in nb/nn, '14 March 2027' in en."""
        return format_date(value, "long", locale=self.locale)

    def datetime(self, value: datetime, tz) -> str:
        return format_datetime(value, "d. MMM y HH:mm" if self.language != "en" else "d MMM y HH:mm",
                               tzinfo=tz, locale=self.locale)

    def month_year(self, year: int, month: int) -> str:
        """'mars 2027' / 'March 2027', for the date picker."""
        return format_date(date(year, month, 1), "LLLL y", locale=self.locale)

    def number(self, value: float) -> str:
        return format_decimal(value, locale=self.locale)


@lru_cache(maxsize=None)
def translator(language: str) -> Translator:
    return Translator(language)
