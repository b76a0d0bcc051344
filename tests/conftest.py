"""Fixtures. The suite runs on SQLite by default and on PostgreSQL when
TEST_DATABASE_URL names one (tests/run_suites.py does both)."""

from __future__ import annotations

import asyncio
import os
import shutil

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from bot.cli import main
from bot.settings import load_settings
from storage import migrate
from storage.database import Database
from tests.harness import Harness

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")


def on_postgres() -> bool:
    return bool(TEST_DATABASE_URL) and make_url(TEST_DATABASE_URL).get_backend_name() == "postgresql"


async def _upgrade(url: str) -> None:
    db = Database(url)
    await migrate.upgrade(db.engine)
    await db.dispose()


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory) -> str:
    """Migrate once per run: a template SQLite file, or the PostgreSQL test database."""
    if on_postgres():
        asyncio.run(_upgrade(TEST_DATABASE_URL))
        return TEST_DATABASE_URL
    path = tmp_path_factory.mktemp("template") / "template.db"
    url = f"sqlite+aiosqlite:///{path}"
    asyncio.run(_upgrade(url))
    return str(path)


async def _truncate_all(url: str) -> None:
    db = Database(url)
    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    async with db.engine.begin() as connection:
        await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    await db.dispose()


@pytest.fixture
async def db_url(migrated_template, tmp_path) -> str:
    """A migrated, empty database for this test."""
    if on_postgres():
        await _truncate_all(migrated_template)
        return migrated_template
    path = tmp_path / "test.db"
    shutil.copy(migrated_template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
async def db(db_url):
    database = Database(db_url)
    yield database
    await database.dispose()


@pytest.fixture
def settings(db_url, tmp_path):
    return load_settings(env={"DATABASE_URL": db_url, "DATA_DIR": str(tmp_path)}, env_file=None)


@pytest.fixture
async def harness(settings, db, tmp_path):
    h = Harness(settings, db)
    await h.import_org(tmp_path)
    await h.start()
    yield h
    await h.stop()


@pytest.fixture
def cli(db_url, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env

    def run(*args):
        code = main(list(args))
        out = capsys.readouterr()
        return code, out.out, out.err
    return run
