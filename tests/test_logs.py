"""The token never reaches a log line, not even inside a library's exception text."""

from __future__ import annotations

import logging

import pytest

from bot.config import Settings
from bot.logs import configure_logging
from tests.harness import TEST_TOKEN


@pytest.fixture
def settings() -> Settings:
    return Settings(bot_token=TEST_TOKEN, _env_file=None)  # type: ignore[arg-type, call-arg]


@pytest.fixture(autouse=True)
def restore_logging() -> object:
    """configure_logging replaces the root handlers; give pytest its own back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_token_is_redacted_from_messages_and_tracebacks(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(settings)
    logger = logging.getLogger("test.redaction")
    try:
        raise ConnectionError(f"POST https://api.telegram.org/bot{TEST_TOKEN}/getMe failed")
    except ConnectionError:
        logger.exception("request to %s failed", f"/bot{TEST_TOKEN}/getUpdates")

    err = capsys.readouterr().err
    assert TEST_TOKEN not in err
    assert err.count("[BOT_TOKEN]") == 2
    assert "ConnectionError" in err


def test_httpx_request_lines_are_not_logged(settings: Settings) -> None:
    configure_logging(settings.model_copy(update={"log_level": "DEBUG"}))

    assert not logging.getLogger("httpx").isEnabledFor(logging.INFO)
