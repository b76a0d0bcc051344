"""The package installs anywhere: a wheel built from this tree, installed (not
editable) into a fresh virtual environment, runs from its own files and speaks
Bokmål, Nynorsk and English.

No network: the wheel is built with the setuptools of the running environment
(`--no-build-isolation`), and the new environment borrows the already installed
dependencies through a .pth file naming this environment's site-packages. Such a
plain path line does not run that directory's own .pth files, so the editable
install of this project (a .pth naming the source tree) does not leak in, and
every command runs from the temporary directory, so the source tree is not on
sys.path either.
"""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import textwrap
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

from tests.conftest import on_postgres

# No database of the suite's is involved: one run (the SQLite one) is enough.
pytestmark = pytest.mark.skipif(on_postgres(), reason="packaging does not depend on the database")

ROOT = Path(__file__).resolve().parent.parent
MIN_SETUPTOOLS = (77,)  # as in pyproject.toml's [build-system]


def _run(args: list, cwd: Path, **kw) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")}
    env.update(PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")
    # Settings come from the environment: none of the outer test run's may steer the installed bot.
    for name in list(env):
        if name in ("TELEGRAM_BOT_TOKEN", "DATABASE_URL", "WEBHOOK_URL", "WEBHOOK_SECRET", "DATA_DIR"):
            del env[name]
    result = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=120, **kw)
    assert result.returncode == 0, f"{args} failed:\n{result.stdout}\n{result.stderr}"
    return result


def _copy_sources(dest: Path) -> None:
    """What the build needs: pyproject.toml, the README and the packages it lists, not build/
    or *.egg-info left in the tree (an in-tree build would write there, and stale files in
    build/lib would end up in the wheel)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    dest.mkdir()
    shutil.copy(ROOT / "pyproject.toml", dest)
    shutil.copy(ROOT / config["project"]["readme"], dest)
    for pattern in config["tool"]["setuptools"]["packages"]["find"]["include"]:
        top = pattern.rstrip("*")
        shutil.copytree(ROOT / top, dest / top, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    """A fresh virtual environment with the wheel installed; returns its directory."""
    have = tuple(int(part) for part in metadata.version("setuptools").split(".")[:1])
    if have < MIN_SETUPTOOLS:
        message = (f"setuptools {metadata.version('setuptools')} is too old to build the wheel offline; "
                   "`make install` brings it up to date")
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)

    work = tmp_path_factory.mktemp("packaging")
    _copy_sources(work / "src")
    build = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                  "-w", work / "wheels", work / "src"], cwd=work)
    # `make install` on a fresh machine shows what the build backend warns about: nothing, please.
    noise = [line for line in (build.stdout + build.stderr).splitlines()
             if "Warning" in line or "would be ignored" in line]
    assert noise == []
    [wheel] = (work / "wheels").glob("forbedring_bot-*.whl")

    env_dir = work / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", env_dir], cwd=work)
    python = env_dir / "bin" / "python"
    # Install first: with the outer site-packages visible, pip would see (and replace) the
    # outer editable install.
    _run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", wheel],
         cwd=work)
    inner_site = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                           cwd=work).stdout.strip())
    (inner_site / "_outer_dependencies.pth").write_text(
        "".join(f"{path}\n" for path in site.getsitepackages()), encoding="utf-8")
    return env_dir


def test_the_installed_package_runs_from_its_own_files(venv):
    work = venv.parent
    script = textwrap.dedent("""
        import bot, conversations, locales, storage.migrations
        from bot.i18n import LOCALES_DIR, Translator
        from storage import migrate

        for module in (bot, conversations, locales, storage.migrations):
            print(module.__file__)
        print(LOCALES_DIR)
        print(migrate.head_revision())
        for language in ("nb", "nn", "en"):
            print(language, Translator(language)._("Change language"))
    """)
    lines = _run([venv / "bin" / "python", "-c", script], cwd=work).stdout.splitlines()
    *files, locales_dir, head, nb, nn, en = lines
    for path in files + [locales_dir]:
        assert Path(path).resolve().is_relative_to(venv.resolve()), path
        assert not Path(path).resolve().is_relative_to(ROOT), path
    assert head  # the migrations are there, and alembic reads them
    assert (nb, nn, en) == ("nb Bytt språk", "nn Byt språk", "en Change language")
    # The resources file (the links under the steps) ships inside the package, and loads.
    shipped, survey = _run([venv / "bin" / "python", "-c", "from bot.resources import DEFAULT_FILE, default_resources; "
                            "print(DEFAULT_FILE); print(default_resources().survey_url)"], cwd=work).stdout.splitlines()
    assert Path(shipped).resolve().is_relative_to(venv.resolve()) and Path(shipped).is_file()
    assert survey == "https://www.sammenomforbedring.no/"

    usage = _run([venv / "bin" / "forbedring-bot", "--help"], cwd=work).stdout
    assert usage.startswith("usage: forbedring-bot") and "demo" in usage and "run" in usage


def test_the_installed_bot_answers_in_each_language(venv, tmp_path):
    """The real Application with the fake Bot API (the demo), from the installed console
    script: migrations from the wheel make the demo database, and /help comes back in
    Bokmål, Nynorsk and English."""
    session = "\n".join([
        "/help",  # Kari: Bokmål
        "!as safety_rep", "/help",  # Ola: Nynorsk
        "!as programme_staff", "/help",  # Priya: English
        "!as newcomer", "!invite leader", "/start $INVITE",  # Nils joins; Telegram says nn
        "!quit",
    ]) + "\n"
    transcript = _run([venv / "bin" / "forbedring-bot", "demo"], cwd=tmp_path, input=session).stdout

    answers = transcript.split("Kari> /help", 1)[1]
    nb, rest = answers.split("── you are now Ola", 1)
    nn, rest = rest.split("── you are now Priya", 1)
    en, joining = rest.split("── you are now Nils", 1)
    assert "Dette kan du gjøre:" in nb and " – Hva du kan gjøre" in nb
    assert "Dette kan du gjere:" in nn and " – Kva du kan gjere" in nn
    assert "What you can do:" in en and " – What you can do" in en
    assert "Velkomen! No er du registrert som leiar" in joining
    assert (tmp_path / "data" / "demo.db").exists()
