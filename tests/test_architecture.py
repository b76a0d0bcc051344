"""The rooms of the code base keep to themselves: checked on every module's imports (ast).

- bot/rules/ holds plain functions: no storage, no Telegram, no database library, no services
  or conversations;
- bot/services/ holds the use cases: no Telegram, no conversations;
- only storage/ runs SQL: nothing else imports sqlmodel, or sqlalchemy beyond reading a
  database URL (sqlalchemy.engine.make_url and the error it raises); a service hands its session
  to storage/ functions and calls none of the session's own methods (add, get, exec, flush …).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "conversations", "storage")

# sqlalchemy outside storage/: the settings and the runner read the database URL, nothing more
SQL_ALLOWED_OUTSIDE_STORAGE = {"sqlalchemy.engine": {"make_url"}, "sqlalchemy.exc": {"ArgumentError"}}


def modules() -> list[tuple[str, Path]]:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found.append((".".join(parts[:-1] if parts[-1] == "__init__" else parts), path))
    return found


def imports(module: str, source: str, is_package: bool = False) -> list[tuple[int, str, list[str]]]:
    """(line, imported module, names) for every import, relative ones resolved; the names are
    those of `from module import a, b` (empty for `import module`)."""
    package = module.split(".") if is_package else module.split(".")[:-1]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
            found.append((node.lineno, base, [alias.name for alias in node.names]))
    return found


def within(name: str, *roots: str) -> bool:
    return any(name == root or name.startswith(root + ".") for root in roots)


def problems(module: str, source: str, is_package: bool = False) -> list[str]:
    found = []
    for line, imported, names in imports(module, source, is_package):
        where = f"{module} (line {line}) imports {imported}"
        if within(module, "bot.rules") and within(
                imported, "storage", "telegram", "sqlalchemy", "sqlmodel", "bot.services", "conversations"):
            found.append(f"{where}: rules are plain functions")
        if within(module, "bot.services") and within(imported, "telegram", "conversations"):
            found.append(f"{where}: services know nothing of Telegram")
        if not within(module, "storage") and within(imported, "sqlalchemy", "sqlmodel"):
            allowed = SQL_ALLOWED_OUTSIDE_STORAGE.get(imported, set())
            if not names or not set(names) <= allowed:
                found.append(f"{where}: only storage/ talks SQL")
    return found


def test_every_package_is_seen():
    names = {module for module, _ in modules()}
    assert {"bot.rules.access", "bot.services.followup", "conversations.plan", "storage.models"} <= names


@pytest.mark.parametrize("module, path", modules(), ids=[module for module, _ in modules()])
def test_imports_keep_to_their_room(module, path):
    assert problems(module, path.read_text(encoding="utf-8"), path.name == "__init__.py") == []


@pytest.mark.parametrize("module, source, count", [
    ("bot.rules.x", "from storage.progress import Where\nimport telegram\nfrom ..services import y\n", 3),
    ("bot.rules.x", "from . import dates\nfrom bot.i18n import N_\nfrom bot.rules.vocabulary import Role\n", 0),
    ("bot.services.x", "from telegram import Update\nfrom storage import audit\n", 1),
    ("conversations.x", "from sqlmodel import select\nfrom sqlalchemy.engine import create_engine\n", 2),
    ("bot.settings", "from sqlalchemy.engine import make_url\nfrom sqlalchemy.exc import ArgumentError\n", 0),
    ("storage.x", "from sqlmodel import select\nimport sqlalchemy\n", 0),
])
def test_the_check_fires_on_a_module_that_breaks_a_rule(module, source, count):
    assert len(problems(module, source)) == count


# The session's methods that read or write rows: storage/ calls them, a service never does.
SESSION_METHODS = {"add", "add_all", "get", "exec", "execute", "delete", "flush", "merge", "refresh", "scalar",
                   "scalars", "stream", "connection"}


def session_calls(source: str) -> list[str]:
    """`session.add(...)`, `session.get(...)` … (a name `session` or `s`), as 'line: session.add'."""
    return [f"{node.lineno}: {node.func.value.id}.{node.func.attr}" for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name) and node.func.value.id in ("session", "s")
            and node.func.attr in SESSION_METHODS]


SERVICES = [(module, path) for module, path in modules() if module.startswith("bot.services.")]


@pytest.mark.parametrize("module, path", SERVICES, ids=[module for module, _ in SERVICES])
def test_services_leave_the_session_to_storage(module, path):
    assert session_calls(path.read_text(encoding="utf-8")) == []


def test_the_session_check_fires():
    source = ("async def f(db):\n    async with db.session() as session:\n        session.add(x)\n"
              "        await session.get(Person, 1)\n        await store.get(session, 1)\n")
    assert session_calls(source) == ["3: session.add", "4: session.get"]
