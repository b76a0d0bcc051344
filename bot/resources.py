"""The resources file (`resources.toml`): links for each method's steps and phases, shown
as URL buttons under a step's guidance in /followup, and the link in the survey-window
reminders.

The file is read and checked when the settings are loaded (RESOURCES_FILE, or the file
shipped in this package), so a broken file stops the program at start with one line that
names the line of the file. Only https:// links are accepted.

    [survey]
    url = "https://www.sammenomforbedring.no/"   # in the reminders when the survey opens

    [[forbedring.review]]                         # a button under the step "review"
    nb = "Agendamal: gjennomgang med partene"     # the button's label in each language
    nn = "Agendamal: gjennomgang med partane"     # (or one `label = "…"` for all three)
    en = "Agenda template: review with the parties"
    url = "https://…"

    [[dst.all]]                                   # "all": under every step or phase of the method
    label = "Der skoen trykker"
    url = "https://derskoentrykker.no/"

Methods: `forbedring`, `dst` (Der skoen trykker), `ttp` (Tidlig og tett på). A method
that bot/rules/methods.py defines accepts its own step keys and `all`; the others accept
any key written in lower case, so that their phases' links can be written down before the
method's steps exist.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlparse

DEFAULT_FILE = Path(__file__).with_name("resources.toml")
METHOD_KEYS = ("forbedring", "dst", "ttp")
ALL = "all"
LABEL_LANGUAGES = ("nb", "nn", "en")
MAX_LABEL = 60  # a button's label; Telegram shows about this much
PLACEHOLDER_HOSTS = ("example.org", "example.com", "example.net")
_KEY = re.compile(r"^[a-z0-9_]{1,40}$")


class ResourcesError(Exception):
    """The resources file cannot be used; the message names the file and the line."""


@dataclass(frozen=True)
class Link:
    url: str
    labels: dict[str, str]  # language -> the button's label

    def label(self, language: str) -> str:
        return self.labels.get(language) or self.labels["nb"]

    @property
    def placeholder(self) -> bool:
        return (urlparse(self.url).hostname or "") in PLACEHOLDER_HOSTS


@dataclass(frozen=True, eq=False)  # compared and hashed as one object: Settings stays hashable
class Resources:
    source: str
    survey_url: str = ""
    links: dict[tuple[str, str], tuple[Link, ...]] = field(default_factory=dict)

    def for_step(self, method: str, step: str) -> tuple[Link, ...]:
        """The step's (or phase's) own links, then the method's links for every step."""
        own = self.links.get((method, step), ())
        return own if step == ALL else own + self.links.get((method, ALL), ())

    @property
    def placeholders(self) -> list[str]:
        return [link.url for links in self.links.values() for link in links if link.placeholder]


def _check_url(url) -> str | None:
    """Why this is no link the bot may show, or None."""
    if not isinstance(url, str) or not url.strip():
        return "a link needs url = \"https://…\""
    parsed = urlparse(url)
    if parsed.scheme != "https":
        return f"{url!r} is not an https:// link"
    if not parsed.hostname or " " in url:
        return f"{url!r} is not a valid link"
    return None


class _Lines:
    """Finds the line of the file a problem is on (tomllib gives no positions for values)."""

    def __init__(self, text: str):
        self.lines = text.splitlines()

    def header(self, name: str, occurrence: int = 0) -> int | None:
        pattern = re.compile(r"^\s*\[\[?\s*" + r"\s*\.\s*".join(map(re.escape, name.split("."))) + r"\s*\]\]?")
        found = [number for number, line in enumerate(self.lines, 1) if pattern.match(line)]
        return found[occurrence] if occurrence < len(found) else (found[0] if found else None)

    def after(self, start: int | None, needle: str) -> int | None:
        """The first line from `start` on that holds `needle` (or the first in the file)."""
        for begin in ((start or 1), 1):
            for number, line in enumerate(self.lines[begin - 1:], begin):
                if needle in line.split("#", 1)[0]:
                    return number
        return None


def parse(text: str, source: str) -> Resources:
    """The resources in `text`; ResourcesError naming `source` and the line when it cannot be used."""
    lines = _Lines(text)

    def fail(line: int | None, problem: str):
        where = f"{source} line {line}" if line else source
        raise ResourcesError(f"{where}: {problem}")

    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = re.search(r"\(at line (\d+), column \d+\)", message)
        fail(int(match.group(1)) if match else None, re.sub(r"\s*\(at line .*\)$", "", message))

    from bot.rules.methods import METHODS  # the steps each known method has

    survey_url = ""
    links: dict[tuple[str, str], tuple[Link, ...]] = {}
    for top, value in document.items():
        if top == "survey":
            line = lines.header("survey")
            if not isinstance(value, dict) or set(value) - {"url"}:
                fail(line, "[survey] holds only url = \"https://…\"")
            if "url" in value:
                if problem := _check_url(value["url"]):
                    fail(lines.after(line, str(value["url"])) or line, problem)
                survey_url = value["url"]
            continue
        if top not in METHOD_KEYS:
            fail(lines.header(top) or lines.after(None, top),
                 f"unknown method {top!r}: use survey, {', '.join(METHOD_KEYS)}")
        if not isinstance(value, dict):
            fail(lines.after(None, top), f"{top} must be a table of steps, e.g. [[{top}.all]]")
        steps = {s.key for s in METHODS[top].steps} if top in METHODS else None
        for step, entries in value.items():
            name = f"{top}.{step}"
            line = lines.header(name) or lines.after(None, step)
            if not _KEY.match(step) or (steps is not None and step != ALL and step not in steps):
                known = ", ".join(sorted(steps) + [ALL]) if steps is not None else "lower-case keys"
                fail(line, f"unknown step {name!r}: use {known}")
            if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
                fail(line, f"{name} must be a list of links: [[{name}]] with url and label")
            made = []
            for occurrence, entry in enumerate(entries):
                start = lines.header(name, occurrence)
                unknown = set(entry) - {"url", "label", *LABEL_LANGUAGES}
                if unknown:
                    fail(lines.after(start, sorted(unknown)[0]) or start,
                         f"unknown key {sorted(unknown)[0]!r} in [[{name}]]: use url, and label or nb, nn, en")
                if problem := _check_url(entry.get("url")):
                    fail(lines.after(start, str(entry["url"])) if "url" in entry else start, problem)
                if "label" in entry:
                    labels = {language: entry["label"] for language in LABEL_LANGUAGES}
                elif all(language in entry for language in LABEL_LANGUAGES):
                    labels = {language: entry[language] for language in LABEL_LANGUAGES}
                else:
                    fail(start, f"[[{name}]] needs label = \"…\", or nb, nn and en")
                for language, label in labels.items():
                    if not isinstance(label, str) or not label.strip() or len(label) > MAX_LABEL:
                        fail(lines.after(start, str(label)) or start,
                             f"a label must be text of 1-{MAX_LABEL} characters ({language} in [[{name}]])")
                made.append(Link(entry["url"], {k: v.strip() for k, v in labels.items()}))
            links[top, step] = tuple(made)
    return Resources(source, survey_url, links)


def load(path: Path | None = None) -> Resources:
    """The file at `path`, or the one shipped in this package."""
    if path is None:
        return default_resources()
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ResourcesError(f"{path}: cannot be read ({exc.__class__.__name__})") from exc
    return parse(text, str(path))


@lru_cache(maxsize=1)
def default_resources() -> Resources:
    return parse(DEFAULT_FILE.read_text(encoding="utf-8"), DEFAULT_FILE.name)
