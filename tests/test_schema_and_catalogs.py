"""The schema is made by migrations only, and the three catalogs are complete."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from babel.messages.pofile import read_po
from sqlmodel import SQLModel

import storage.models  # noqa: F401
from bot.i18n import LANGUAGES, LOCALES_DIR, Translator
from storage import migrate

ROOT = Path(__file__).resolve().parent.parent


async def test_models_and_migrations_agree(db):
    def diff(sync_connection):
        return compare_metadata(MigrationContext.configure(sync_connection, opts={"compare_type": True}),
                                SQLModel.metadata)

    async with db.engine.connect() as connection:
        assert await connection.run_sync(diff) == []
    assert await migrate.current_revision(db.engine) == migrate.head_revision()


def extracted_messages(tmp_path) -> set:
    pot = tmp_path / "fresh.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", str(ROOT / "babel.cfg"),
                    "-k", "N_", "-o", str(pot), str(ROOT)], check=True, capture_output=True, cwd=ROOT)
    with pot.open("rb") as f:
        return {m.id for m in read_po(f) if m.id}


def test_every_message_is_translated_in_every_language(tmp_path):
    in_code = extracted_messages(tmp_path)
    assert len(in_code) > 20
    for language in LANGUAGES:
        with (LOCALES_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as f:
            catalog = read_po(f, locale=language)
        problems = []
        for message_id in in_code:
            message = catalog.get(message_id)
            if message is None:
                problems.append(f"missing: {message_id!r}")
            elif message.fuzzy:
                problems.append(f"fuzzy: {message_id!r}")
            elif not all(message.string if isinstance(message.string, tuple) else [message.string]):
                problems.append(f"untranslated: {message_id!r}")
        assert problems == [], f"{language}: " + "\n".join(problems)


def test_placeholders_survive_translation():
    import re

    for language in LANGUAGES:
        with (LOCALES_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as f:
            catalog = read_po(f, locale=language)
        for message in catalog:
            if not message.id:
                continue
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            wanted = set(re.findall(r"\{\w+\}", ids[0]))
            for string in strings:
                assert set(re.findall(r"\{\w+\}", string)) == wanted, (language, message.id)


def test_dates_and_numbers_in_each_language():
    from datetime import date

    day = date(2027, 3, 14)
    assert Translator("nb").date(day) == "14. mars 2027"
    assert Translator("nn").date(day) == "14. mars 2027"
    assert Translator("en").date(day) == "14 March 2027"
    assert Translator("nb").number(1234.5).replace("\xa0", " ") == "1 234,5"
    assert Translator("en").number(1234.5) == "1,234.5"


def test_texts_babel_cannot_see_are_translated_too():
    """Babel (on Python 3.11) does not look inside f-strings: every literal passed
    to the translator anywhere in the code must still be in the catalogs."""
    import re

    # One literal, then the end of the argument (concatenated literals are left to Babel).
    literal = re.compile(r"""\b(?:t|rt|context\.t)\._\(\s*(["'])((?:(?!\1).)+)\1\s*[,)]""")
    used = set()
    for folder in ("bot", "conversations"):
        for path in (ROOT / folder).rglob("*.py"):
            used |= {m.group(2) for m in literal.finditer(path.read_text(encoding="utf-8"))}
    for language in LANGUAGES:
        with (LOCALES_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as f:
            catalog = read_po(f, locale=language)
        missing = sorted(u for u in used if "\\" not in u and (catalog.get(u) is None or not catalog.get(u).string))
        assert missing == [], f"{language}: {missing}"
