"""``python -m bot`` as an operator runs it: a real process, real HTTP, a real database.

The process talks to :class:`~tests.fake_server.FakeTelegramServer` on 127.0.0.1. Every
setting is passed in the environment (and inherited ones removed), so neither the developer's
shell nor a ``.env`` file changes what is tested.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.content import Html
from tests.fake_server import FakeTelegramServer
from tests.harness import TEXTS, shown, shown_pattern
from tests.processes import (
    REPLY_TIMEOUT,
    STARTUP_TIMEOUT,
    TOKEN,
    TOKEN_SECRET,
    bot_environment,
    run_to_exit,
    running_bot,
)
from tests.telegram_fake import BOT_ID

# Every test here starts ``python -m bot`` as a subprocess.
pytestmark = pytest.mark.slow

USER_ID = 4242


# --- configuration errors ------------------------------------------------------------------


def test_missing_token_is_one_line_naming_botfather(tmp_path: Path) -> None:
    env = bot_environment()
    del env["BOT_TOKEN"]

    result, elapsed = run_to_exit(env, tmp_path)

    assert result.returncode == 2, result.stderr
    assert elapsed < 10
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "BOT_TOKEN" in lines[0]
    assert "@BotFather" in lines[0]
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stdout == ""


@pytest.mark.parametrize(
    "bad_token",
    [
        "AAE-looks_like_a_secret_but_has_no_bot_id_0123456789",  # no "<id>:"
        f"{BOT_ID}:too-short-LEAKCHECK",  # secret part under 30 characters
        f"{BOT_ID}:AAE-secret with spaces_LEAKCHECK_0123456789",  # characters Telegram never uses
    ],
)
def test_malformed_token_is_one_line_without_the_value(tmp_path: Path, bad_token: str) -> None:
    result, _ = run_to_exit(bot_environment(BOT_TOKEN=bad_token), tmp_path)

    assert result.returncode == 2, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "BOT_TOKEN" in lines[0]
    assert "Traceback" not in result.stderr + result.stdout
    for output in (result.stdout, result.stderr):
        assert bad_token not in output
        assert bad_token.split(":")[-1] not in output


def test_token_rejected_by_telegram_exits_2_without_printing_it(tmp_path: Path) -> None:
    other_token = f"{BOT_ID}:AAE-the_token_telegram_knows_0123456789"
    with FakeTelegramServer(other_token) as server:  # so TOKEN gets 401 Unauthorized
        env = bot_environment(
            DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
            TELEGRAM_BASE_URL=server.base_url,
            TELEGRAM_BASE_FILE_URL=server.base_file_url,
        )
        result, _ = run_to_exit(env, tmp_path)

    assert result.returncode == 2, result.stderr
    last_line = result.stderr.splitlines()[-1]
    assert "BOT_TOKEN" in last_line
    assert "@BotFather" in last_line
    assert "Traceback" not in result.stderr
    for output in (result.stdout, result.stderr):
        assert TOKEN not in output
        assert TOKEN_SECRET not in output
    assert server.unauthorized == ["getMe"]


def test_unreachable_bot_api_is_one_line_exit_1(tmp_path: Path) -> None:
    env = bot_environment(DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")

    result, _ = run_to_exit(env, tmp_path)  # TELEGRAM_BASE_URL points at a closed port

    assert result.returncode == 1, result.stderr
    assert result.stderr.splitlines()[-1].startswith(
        "secure-base: cannot reach http://127.0.0.1:9/bot"
    )
    assert "Traceback" not in result.stderr
    assert TOKEN_SECRET not in result.stderr + result.stdout


# --- the whole journey -----------------------------------------------------------------------


def test_onboarding_over_http_survives_a_restart(database_url: str, tmp_path: Path) -> None:
    words = TEXTS.onboarding
    with FakeTelegramServer(TOKEN) as server:
        env = bot_environment(
            DATABASE_URL=database_url,
            TELEGRAM_BASE_URL=server.base_url,
            TELEGRAM_BASE_FILE_URL=server.base_file_url,
        )

        with running_bot(env, tmp_path, "first") as bot:
            server.send_text(USER_ID, "/start")
            server.wait_for_message(
                USER_ID,
                shown(words.welcome, first_name="Alex"),
                timeout=STARTUP_TIMEOUT,
                abort=bot.exited,
            )
            consent = server.wait_for_message(
                USER_ID, shown(words.consent_question), timeout=REPLY_TIMEOUT, abort=bot.exited
            )

            mark = server.mark()
            server.press_button(USER_ID, "consent:yes", message=consent)
            server.wait_for_message(
                USER_ID, shown(words.ask_time_zone), after=mark, abort=bot.exited
            )

            mark = server.mark()
            server.send_text(USER_ID, "Europe/Berlin")
            # At whatever time it is in Berlin now.
            saved = shown_pattern(words.zone_saved, zone="Europe/Berlin")
            server.wait_for_message(USER_ID, saved, after=mark, abort=bot.exited)
            server.wait_for_message(
                USER_ID, shown(words.ask_checkin_time), after=mark, abort=bot.exited
            )

            mark = server.mark()
            server.press_button(USER_ID, "time:21:00")
            done = shown(words.done, first_name="Alex", checkin_time="21:00", zone="Europe/Berlin")
            server.wait_for_message(USER_ID, done, after=mark, abort=bot.exited)

            assert bot.terminate() == 0, bot.stderr[-3000:]
            bot.assert_token_never_printed()
            assert "Traceback" not in bot.stderr

        # Every update was confirmed before exiting, so a restart does not replay them.
        assert server.pending_updates() == []
        expected_commands = [item.command for item in TEXTS.commands]
        assert [command["command"] for command in server.api.commands] == expected_commands
        assert all(call.ok for call in server.calls("setMyCommands"))
        answered = server.calls("answerCallbackQuery")
        assert len(answered) == 2
        assert all(call.ok for call in answered)

        with running_bot(env, tmp_path, "second") as bot:
            mark = server.mark()
            server.send_text(USER_ID, "/settings")
            settings = TEXTS.settings
            summary = server.wait_for_message(
                USER_ID,
                shown_pattern(
                    settings.summary,
                    zone="Europe/Berlin",
                    checkin_time="21:00",
                    weekly_day=settings.weekdays[6],
                    pause_line=Html(settings.running_line),
                    nudge=settings.nudge_off,
                ),
                after=mark,
                timeout=STARTUP_TIMEOUT,
                abort=bot.exited,
            )
            # Nothing from the first run was handled again.
            assert [m["text"] for m in server.sent_messages(USER_ID, after=mark)] == [
                summary["text"]
            ]

            assert bot.terminate() == 0, bot.stderr[-3000:]
            bot.assert_token_never_printed()
            assert "Traceback" not in bot.stderr

        assert server.errors == []
        assert [e for e in server.exchanges if not e.ok] == []
