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


# --- commands under their Norwegian names ---

def registered_commands(application) -> set[str]:
    from telegram.ext import CommandHandler

    return {name for handlers in application.handlers.values() for h in handlers
            if isinstance(h, CommandHandler) for name in h.commands}


async def test_every_name_a_menu_shows_is_a_registered_command(harness):
    from bot.i18n import LANGUAGES
    from bot.rules.access import COMMANDS

    registered = registered_commands(harness.application)
    shown = {spec.name_in(language) for spec in COMMANDS for language in LANGUAGES}
    assert shown - registered == set()
    assert {spec.name for spec in COMMANDS} <= registered  # the English names work for everyone


def person_menus(harness, user_id) -> list[list[str]]:
    return [[c["command"] for c in call.params["commands"]] for call in harness.telegram.calls_to("setMyCommands")
            if call.params.get("scope", {}).get("chat_id") == user_id]


async def test_menus_show_nb_and_nn_users_the_norwegian_names(harness):
    menus = {c.params.get("language_code"): [(m["command"], m["description"]) for m in c.params["commands"]]
             for c in harness.telegram.calls_to("setMyCommands") if "scope" not in c.params}
    assert menus["nb"] == menus["no"] == [("start", "Menyen din"), ("hjelp", "Hva du kan gjøre")]
    assert menus["nn"] == [("start", "Menyen din"), ("hjelp", "Kva du kan gjere")]
    assert menus["en"] == [("start", "Your menu"), ("help", "What you can do")]

    await harness.member(821, "leader", "Kari", language="Bokmål")
    await harness.member(822, "leader", "Ola", language="Nynorsk")
    await harness.member(823, "leader", "Ann", language="English")
    assert person_menus(harness, 821)[-1] == [
        "start", "oppfolging", "tiltak", "nyttiltak", "handlingsplan", "framdrift", "forsinket", "eksport",
        "diagram", "innstillinger", "avbryt", "hjelp", "sprak"]
    assert person_menus(harness, 822)[-1] == [
        "start", "oppfolging", "tiltak", "nyttiltak", "handlingsplan", "framdrift", "forseinka", "eksport",
        "diagram", "innstillingar", "avbryt", "hjelp", "sprak"]
    assert person_menus(harness, 823)[-1] == [
        "start", "followup", "measures", "newmeasure", "plan", "progress", "overdue", "export", "chart",
        "settings", "cancel", "help", "language"]


async def test_help_names_the_commands_the_menu_shows_and_both_names_work(harness):
    kari = await harness.member(824, "leader", "Kari", language="Bokmål")
    help_text = (await kari.send("/hjelp"))[0].plain
    shown = person_menus(harness, 824)[-1]
    assert [line.split(" – ")[0] for line in help_text.split("\n") if line.startswith("/")] == \
        [f"/{c}" for c in shown]
    assert (await kari.send("/tiltak"))[0].plain == (await kari.send("/measures"))[0].plain
    assert (await kari.send("/oppfolging"))[0].plain == (await kari.send("/followup"))[0].plain
    assert (await kari.send("/innstillinger"))[0].plain.startswith("Påminnelser")

    ola = await harness.member(825, "union_rep", "Ola", language="Nynorsk")
    assert "/forseinka – Einingar med forseinka steg eller tiltak" in (await ola.send("/help"))[0].plain
    assert (await ola.send("/innstillingar"))[0].plain.startswith("Påminningar")
    assert (await ola.send("/avbryt"))[0].plain == "Det var ingenting å avbryte."
