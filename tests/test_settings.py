"""Settings: one clear line naming the setting, exit code 2, never the token."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bot.settings import SettingsError, load_settings

TOKEN = "123456789:AAHsecretsecretsecretsecretsecret12"


def test_defaults():
    s = load_settings(env={}, env_file=None)
    assert s.database_url == "sqlite+aiosqlite:///data/forbedring.db"
    assert s.telegram_api_url == "https://api.telegram.org"
    assert s.bot_api_base_url == "https://api.telegram.org/bot"
    assert s.bot_api_file_url == "https://api.telegram.org/file/bot"
    assert str(s.bot_timezone) == "Europe/Oslo" and s.default_language == "nb"
    assert s.webhook_url is None


def test_local_bot_api_server_and_postgres_url():
    s = load_settings(env={"TELEGRAM_API_URL": "http://botapi.sykehus.local:8081/",
                           "DATABASE_URL": "postgresql://postgres@db:5432/forbedring"}, env_file=None)
    assert s.bot_api_base_url == "http://botapi.sykehus.local:8081/bot"
    assert s.bot_api_file_url == "http://botapi.sykehus.local:8081/file/bot"
    assert s.database_url == "postgresql+asyncpg://postgres@db:5432/forbedring"


def test_env_file_is_read_and_environment_wins(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("DEFAULT_LANGUAGE=nn\nBOT_TIMEZONE=UTC\n")
    s = load_settings(env={"DEFAULT_LANGUAGE": "en"}, env_file=env_file)
    assert (s.default_language, str(s.bot_timezone)) == ("en", "UTC")


@pytest.mark.parametrize("env, named", [
    ({"TELEGRAM_BOT_TOKEN": "not-a-token-" + "x" * 30}, "TELEGRAM_BOT_TOKEN"),
    ({"DATABASE_URL": "mysql://root@localhost/x"}, "DATABASE_URL"),
    ({"DATABASE_URL": "::::"}, "DATABASE_URL"),
    ({"TELEGRAM_API_URL": "ftp://x"}, "TELEGRAM_API_URL"),
    ({"WEBHOOK_URL": "http://bot.example.no/hook", "WEBHOOK_SECRET": "abc"}, "WEBHOOK_URL"),
    ({"WEBHOOK_URL": "https://bot.example.no/hook"}, "WEBHOOK_SECRET"),
    ({"WEBHOOK_SECRET": "has spaces!"}, "WEBHOOK_SECRET"),
    ({"WEBHOOK_PORT": "99999"}, "WEBHOOK_PORT"),
    ({"BOT_TIMEZONE": "Europe/Bergen"}, "BOT_TIMEZONE"),
    ({"DEFAULT_LANGUAGE": "de"}, "DEFAULT_LANGUAGE"),
])
def test_bad_settings_name_the_setting(env, named):
    with pytest.raises(SettingsError) as error:
        load_settings(env=env, env_file=None)
    assert str(error.value).startswith(named)


def run_cli(*args, env):
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", **env}, timeout=60)


def test_cli_exits_2_with_one_line_and_never_prints_the_token(tmp_path):
    bad_token = "12345:" + "S3cr3t" * 6 + "!"
    result = run_cli("invite", "list", env={"TELEGRAM_BOT_TOKEN": bad_token, "DATA_DIR": str(tmp_path)})
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "TELEGRAM_BOT_TOKEN" in result.stderr
    assert "S3cr3t" not in result.stderr + result.stdout


def test_run_without_token_says_so(tmp_path):
    result = run_cli("run", env={"DATA_DIR": str(tmp_path)})
    assert result.returncode == 2
    assert result.stderr.strip() == "error: TELEGRAM_BOT_TOKEN is missing: set it to the token @BotFather gave you."


def test_settings_repr_hides_secrets():
    s = load_settings(env={"TELEGRAM_BOT_TOKEN": TOKEN, "WEBHOOK_URL": "https://x.no/h",
                           "WEBHOOK_SECRET": "topsecret-topsecret"}, env_file=None)
    assert "AAHsecret" not in repr(s) and "topsecret" not in repr(s)


def test_settings_never_show_the_database_password():
    s = load_settings(env={"TELEGRAM_BOT_TOKEN": TOKEN, "WEBHOOK_URL": "https://x.no/h",
                           "WEBHOOK_SECRET": "topsecret-topsecret",
                           "DATABASE_URL": "postgresql://forbedring:Pa55word-xyz@db.example.no:5432/forbedring"},
                      env_file=None)
    for shown in (repr(s), str(s), f"{s}", "%s" % (s,), repr([s])):
        assert "Pa55word-xyz" not in shown and "topsecret-topsecret" not in shown and "AAHsecret" not in shown
        assert "db.example.no" in shown  # still useful
