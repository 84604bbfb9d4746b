"""Settings: every problem is one line that names the setting and the fix, never the token."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from bot.config import Settings, SettingsError, load_settings
from tests.harness import TEST_TOKEN

ALL_VARIABLES = [
    "BOT_TOKEN", "DATABASE_URL", "TELEGRAM_BASE_URL", "TELEGRAM_BASE_FILE_URL", "LOG_LEVEL",
    "ADMIN_IDS", "DEFAULT_CHECKIN_TIME", "DEFAULT_TIME_ZONE",
]  # fmt: skip


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ALL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no .env from the checkout


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TOKEN", TEST_TOKEN)

    settings = load_settings()

    assert settings.database_url == "sqlite+aiosqlite:///data/secure_base.db"
    assert settings.telegram_base_url == "https://api.telegram.org/bot"
    assert settings.default_checkin_time == time(20, 0)
    assert settings.admin_ids == frozenset()
    assert TEST_TOKEN not in repr(settings)


def test_values_from_a_dotenv_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        f"BOT_TOKEN={TEST_TOKEN}\nADMIN_IDS=12, 34\nLOG_LEVEL=debug\nDEFAULT_TIME_ZONE=Asia/Tokyo\n"
    )

    settings = load_settings()

    assert settings.admin_ids == frozenset({12, 34})
    assert settings.log_level == "DEBUG"
    assert settings.default_time_zone == "Asia/Tokyo"


def test_missing_token() -> None:
    with pytest.raises(SettingsError) as error:
        load_settings()
    assert str(error.value) == (
        "BOT_TOKEN is not set: get a token from @BotFather in Telegram and set BOT_TOKEN in .env "
        "or the environment."
    )


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("BOT_TOKEN", "123:short", "BOT_TOKEN"),
        ("DATABASE_URL", "mysql://localhost/db", "DATABASE_URL"),
        ("TELEGRAM_BASE_URL", "ftp://example", "TELEGRAM_BASE_URL"),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL"),
        ("ADMIN_IDS", "alice,bob", "ADMIN_IDS"),
        ("DEFAULT_CHECKIN_TIME", "25:99", "DEFAULT_CHECKIN_TIME"),
        ("DEFAULT_TIME_ZONE", "Mars/Olympus", "DEFAULT_TIME_ZONE"),
    ],
)
def test_invalid_setting_is_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, named: str
) -> None:
    monkeypatch.setenv("BOT_TOKEN", TEST_TOKEN)
    monkeypatch.setenv(variable, value)

    with pytest.raises(SettingsError) as error:
        load_settings()

    message = str(error.value)
    assert message.startswith(named + " ")
    assert "\n" not in message
    assert TEST_TOKEN not in message


def test_a_bad_token_is_never_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "123456789:almost-a-real-token-but@with-a-typo!!"
    monkeypatch.setenv("BOT_TOKEN", secret)

    with pytest.raises(SettingsError) as error:
        load_settings()

    assert secret not in str(error.value)
    assert "BOT_TOKEN does not look like a bot token" in str(error.value)


def test_env_example_documents_every_setting() -> None:
    example = Path(__file__).resolve().parents[1] / ".env.example"
    documented = {
        line.split("=", 1)[0].lstrip("# ").strip()
        for line in example.read_text().splitlines()
        if "=" in line and line.lstrip("# ").split("=", 1)[0].isupper()
    }
    assert {name.upper() for name in Settings.model_fields} <= documented
