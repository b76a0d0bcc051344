"""Counts and words: plural forms for every count, labels cut at a word, the
commands under their Norwegian names, and the wording a native speaker expects."""

from __future__ import annotations

import ast
from pathlib import Path

from bot.rules.labels import short_label

ROOT = Path(__file__).resolve().parent.parent


# --- labels cut at a word ---

def test_a_short_text_is_left_as_it_is():
    assert short_label("Pauserom", 10) == "Pauserom"
    assert short_label("Pauserom  borte\nfra", 40) == "Pauserom borte fra"


def test_a_long_text_is_cut_after_a_whole_word_with_an_ellipsis():
    text = "Fast månedlig møte mellom leder, verneombud og tillitsvalgt"
    for limit in range(6, len(text)):
        label = short_label(text, limit)
        assert len(label) <= limit and label.endswith("…")
        head = label[:-1]
        assert text.startswith(head) and text[len(head)] in " ,", label  # whole words only
    assert short_label(text, 30) == "Fast månedlig møte mellom…"
    assert short_label(text, 33) == "Fast månedlig møte mellom leder…"  # no comma before the "…"


def test_a_word_longer_than_the_limit_is_cut_inside_it():
    assert short_label("Arbeidsmiljøutvalgsmøte", 10) == "Arbeidsmi…"


def test_a_cut_right_before_a_space_keeps_the_whole_word():
    assert short_label("Kort tekst her", 11) == "Kort tekst…"


# --- counts only in plural forms ---

# Names of values that are counts when passed to a translated text.
COUNT_WORDS = {"n", "count", "counts", "total", "units", "overdue", "recipients", "sent", "pending", "failed",
               "blocked", "minutes", "days", "weeks", "length", "limit", "limits", "people", "leaders",
               "measures", "representatives"}
# Placeholders that always hold a count, also in texts marked with N_() and formatted elsewhere.
COUNT_PLACEHOLDERS = {"n", "count"}
# conversations/measure_new.py is being rewritten elsewhere; its counts are listed here until then.
# Remove an entry once its text uses plural forms (the test fails on entries no longer found).
PENDING = {
    ("conversations/measure_new.py", "Write a short title (at most {limit} characters)."),
    ("conversations/measure_new.py",
     "What will you do, and how will you notice that it works? (at most {limit} characters)"),
    ("conversations/measure_new.py",
     "That is {length} characters; the limit is {limit}. Please shorten it – nothing was cut."),
}


def _is_count(expr: ast.expr) -> bool:
    """Does this value, passed to a translated text, look like a number of things?"""
    if isinstance(expr, ast.Call):
        func = expr.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        return name in ("number", "len", "round", "int", "sum", "max", "min")
    if isinstance(expr, ast.Constant):
        return isinstance(expr.value, int) and not isinstance(expr.value, bool)
    if isinstance(expr, ast.Name):
        return expr.id.lower() in COUNT_WORDS
    if isinstance(expr, ast.Attribute):
        return expr.attr.lower() in COUNT_WORDS
    if isinstance(expr, ast.Subscript):
        return _is_count(expr.value)
    if isinstance(expr, ast.IfExp):
        return _is_count(expr.body) or _is_count(expr.orelse)
    if isinstance(expr, ast.BinOp):
        return any(_is_count(side) for side in (expr.left, expr.right) if not isinstance(side, ast.Constant))
    return False


def counts_outside_plural_forms() -> set[tuple[str, str]]:
    """(file, text) for every translated text outside ngettext that is given a count."""
    found = set()
    for folder in ("bot", "conversations"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call) or not node.args:
                    continue
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                first = node.args[0]
                if name not in ("_", "N_", "gettext") or not isinstance(first, ast.Constant) \
                        or not isinstance(first.value, str):
                    continue
                placeholders = {p.split("}")[0] for p in first.value.split("{")[1:]}
                if placeholders & COUNT_PLACEHOLDERS or any(
                        k.arg in placeholders and _is_count(k.value) for k in node.keywords):
                    found.add((str(path.relative_to(ROOT)), first.value))
    return found


def test_every_count_is_in_a_plural_form():
    found = counts_outside_plural_forms()
    assert sorted(found - PENDING) == [], "use t.ngettext(singular, plural, n) for these"
    assert sorted(PENDING - found) == [], "these use plural forms now: remove them from PENDING"


def test_ngettext_picks_the_form_by_the_count_in_each_language():
    from bot.i18n import Translator

    assert Translator("nb").ngettext("{n} measure", "{n} measures", 1) == "1 tiltak"
    assert Translator("en").ngettext("{n} measure", "{n} measures", 1) == "1 measure"
    assert Translator("en").ngettext("{n} measure", "{n} measures", 0) == "0 measures"
    assert Translator("nn").ngettext("This goes to {n} person.", "This goes to {n} people.", 1) == \
        "Dette går til 1 person."
    assert Translator("nn").ngettext("This goes to {n} person.", "This goes to {n} people.", 2) == \
        "Dette går til 2 personar."
