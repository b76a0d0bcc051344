"""Heavy work off the event loop, heavy libraries imported when first used.

- `forbedring-bot --help` (and any command before it runs) imports neither the
  Application nor matplotlib, openpyxl, Alembic or SQLAlchemy;
- the running bot imports the Application, but matplotlib and openpyxl only in the
  worker process, and Alembic only when it migrates;
- the worker is another process, made when first needed and stopped with the Application.

How fast `--help` answers and how other people's replies fare during a national export
are measured by bench/heavy_bench.py, not asserted here.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot import workers

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("matplotlib", "openpyxl", "alembic", "PIL", "numpy")


def imported_after(code: str) -> set[str]:
    """The top-level packages (and bot/conversations modules) imported by `code` in a fresh interpreter."""
    probe = code + "\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stdout.strip().splitlines()[-1]))


def test_help_imports_nothing_heavy():
    modules = imported_after(
        "import contextlib, io\nfrom bot.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n    main(['--help'])")
    assert "bot.cli" in modules
    loaded = {m for m in modules if m.split(".")[0] in HEAVY + ("telegram", "sqlalchemy", "sqlmodel", "babel")}
    assert loaded == set()
    assert not {m for m in modules if m.startswith(("conversations", "storage", "bot.app", "bot.runner"))}


def test_the_bot_imports_charts_and_spreadsheets_only_in_the_worker():
    modules = imported_after("import bot.app, bot.runner, bot.cli")
    assert "bot.app" in modules and "conversations.progress" in modules and "bot.services.export" in modules
    assert {m for m in modules if m.split(".")[0] in HEAVY} == set()


@pytest.mark.parametrize("module", ["bot.services.export", "bot.services.charts", "bot.services.staff_summary"])
def test_the_worker_functions_import_their_library_themselves(module):
    assert {m for m in imported_after(f"import {module}") if m.split(".")[0] in HEAVY} == set()


async def test_the_worker_is_another_process_stopped_with_the_application(harness):
    assert await workers.run(os.getpid) != os.getpid()
    assert workers.started()
    await harness.stop()
    assert not workers.started()
    await harness.start()
    assert await workers.run(os.getpid) != os.getpid()  # a new one when needed again


async def test_the_worker_ends_when_idle_and_runs_below_the_bot(monkeypatch):
    monkeypatch.setattr(workers, "IDLE_SECONDS", 0.2)
    try:
        assert await workers.run(os.nice, 0) == os.nice(0) + workers.NICENESS
        assert workers.started()
        await asyncio.sleep(0.5)
        assert not workers.started()  # retired; the next job gets a new worker
        assert await workers.run(os.getpid) != os.getpid()
    finally:
        await workers.shutdown()


def report_three_steps(pause: float) -> str:
    """In the worker: a job that says how far it has come, three times."""
    import time
    for done in (1, 2, 3):
        workers.report(done, 3)
        time.sleep(pause)
    return "done"


async def test_a_jobs_progress_reaches_the_bot_in_order_and_only_its_own(monkeypatch):
    monkeypatch.setattr(workers, "PROGRESS_SECONDS", 0.02)
    seen, others = [], []

    async def collect(done, total):
        seen.append((done, total))

    async def other(done, total):
        others.append((done, total))
    try:
        # The second job waits behind the first: it must not show the first one's progress.
        first = asyncio.create_task(workers.run(report_three_steps, 0.4, on_progress=collect))
        second = asyncio.create_task(workers.run(os.getpid, on_progress=other))
        assert await first == "done"
        await second
    finally:
        await workers.shutdown()
    assert seen and seen == sorted(set(seen)) and all(total == 3 for _, total in seen)
    assert others == []
