"""Webhook settings: each bad combination is one line naming the setting and the fix, and
the secret is never echoed."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import DEFAULT_WEBHOOK_PORT, SettingsError, load_settings
from tests.harness import TEST_TOKEN

SECRET = "a-Valid_secret-0123"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("UPDATES", "WEBHOOK_URL", "WEBHOOK_SECRET", "HTTP_HOST", "HTTP_PORT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BOT_TOKEN", TEST_TOKEN)
    monkeypatch.chdir(tmp_path)  # no .env from the checkout


def test_webhook_mode_listens_on_8080_at_the_path_of_the_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("UPDATES", "webhook")
    monkeypatch.setenv("WEBHOOK_URL", "https://bot.example.org/telegram/in")
    monkeypatch.setenv("WEBHOOK_SECRET", SECRET)

    settings = load_settings()

    assert settings.server_port == DEFAULT_WEBHOOK_PORT
    assert settings.http_host == "127.0.0.1"
    assert settings.webhook_path == "/telegram/in"
    assert SECRET not in repr(settings)


def test_polling_runs_a_server_only_with_a_port(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().server_port is None
    monkeypatch.setenv("HTTP_PORT", "9100")
    assert load_settings().server_port == 9100
    monkeypatch.setenv("HTTP_PORT", "")  # as .env.example leaves it
    assert load_settings().server_port is None


@pytest.mark.parametrize(
    ("values", "starts"),
    [
        ({"UPDATES": "webhook"}, "WEBHOOK_URL is not set"),
        ({"UPDATES": "webhook", "WEBHOOK_URL": "https://b.example/t"}, "WEBHOOK_SECRET is not set"),
        ({"WEBHOOK_URL": "https://b.example/t", "WEBHOOK_SECRET": SECRET}, "WEBHOOK_URL is set"),
        ({"UPDATES": "webhook", "WEBHOOK_URL": "bot.example/t", "WEBHOOK_SECRET": SECRET},
         "WEBHOOK_URL must be an https:// URL"),
        ({"UPDATES": "webhook", "WEBHOOK_URL": "https://b.example/t",
          "WEBHOOK_SECRET": "has spaces LEAK"}, "WEBHOOK_SECRET has characters"),
        ({"UPDATES": "webhook", "WEBHOOK_URL": "https://b.example/t",
          "WEBHOOK_SECRET": "LEAK" * 65}, "WEBHOOK_SECRET has characters"),
        ({"HTTP_PORT": "70000"}, "HTTP_PORT"),
        ({"UPDATES": "webhooks"}, "UPDATES"),
    ],
)  # fmt: skip
def test_a_bad_combination_is_one_line(
    monkeypatch: pytest.MonkeyPatch, values: dict[str, str], starts: str
) -> None:
    for name, value in values.items():
        monkeypatch.setenv(name, value)

    with pytest.raises(SettingsError) as error:
        load_settings()

    message = str(error.value)
    assert message.startswith(starts)
    assert "\n" not in message
    assert "LEAK" not in message
