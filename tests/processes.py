"""``python -m bot`` as a real process, for the process tests and bench/faults.py.

Not a test module: what starts the bot with a clean environment (no inherited setting, no
``.env``), watches it, stops it, and counts the check-in prompts it sent through
:class:`~tests.fake_server.FakeTelegramServer`. The benchmarks import it from here rather than
from the tests that use it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from tests.fake_server import FakeTelegramServer
from tests.journeys import is_checkin
from tests.telegram_fake import BOT_ID

ROOT = Path(__file__).resolve().parents[1]
TOKEN = f"{BOT_ID}:AAE-e2e_secret_Zq9xY3wV7uT5sR1pN0mLkJ"
TOKEN_SECRET = TOKEN.split(":", 1)[1]
SETTINGS_VARIABLES = frozenset(name.upper() for name in Settings.model_fields)
STARTUP_TIMEOUT = 20.0  # imports, migration check, getMe, setMyCommands, first getUpdates
REPLY_TIMEOUT = 10.0
EXIT_TIMEOUT = 10.0
RATE = 4  # messages a second: slow, so that a kill lands in the middle of a run
LEASE = 5  # seconds before a dead process's claims are taken over


def bot_environment(**values: str) -> dict[str, str]:
    """``os.environ`` without any setting (in any letter case), then ``values`` on top."""
    env = {
        name: value for name, value in os.environ.items() if name.upper() not in SETTINGS_VARIABLES
    }
    env.update(
        {
            "BOT_TOKEN": TOKEN,
            "DATABASE_URL": "sqlite+aiosqlite:///unused.db",
            # Port 9 (discard): nothing should be sent there.
            "TELEGRAM_BASE_URL": "http://127.0.0.1:9/bot",
            "TELEGRAM_BASE_FILE_URL": "http://127.0.0.1:9/file/bot",
            # DEBUG logs the most, which is what the "token never printed" checks want.
            "LOG_LEVEL": "DEBUG",
            "ADMIN_IDS": "",
            "DEFAULT_CHECKIN_TIME": "20:00",
            "DEFAULT_TIME_ZONE": "UTC",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(values)
    return env


def working_directory(tmp_path: Path) -> Path:
    """The repo root, as operators run it, unless a local ``.env`` there could interfere.

    A variable from the environment beats ``.env``, but a *removed* one (the missing-token
    test) would be filled in from it, so then run from an empty folder instead.
    """
    if not (ROOT / ".env").exists():
        return ROOT
    folder = tmp_path / "cwd"
    folder.mkdir(exist_ok=True)
    return folder


def python_path_for(cwd: Path, env: dict[str, str]) -> dict[str, str]:
    if cwd != ROOT:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def run_to_exit(
    env: dict[str, str], tmp_path: Path
) -> tuple[subprocess.CompletedProcess[str], float]:
    cwd = working_directory(tmp_path)
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "bot"],
        cwd=cwd,
        env=python_path_for(cwd, env),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    return result, time.monotonic() - started


class BotProcess:
    """A running ``python -m bot`` with its output going to files (a pipe could fill up)."""

    def __init__(self, proc: subprocess.Popen[bytes], stdout: Path, stderr: Path) -> None:
        self.proc = proc
        self.stdout_path = stdout
        self.stderr_path = stderr

    @property
    def stdout(self) -> str:
        return self.stdout_path.read_text(encoding="utf-8", errors="replace")

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def exited(self) -> str | None:
        """For ``abort=``: why waiting for a reply is pointless, or ``None``."""
        status = self.proc.poll()
        if status is None:
            return None
        return f"the bot exited with status {status}; stderr ends:\n{self.stderr[-3000:]}"

    def terminate(self) -> int:
        """SIGTERM, as systemd or docker stop would send; the exit status (bounded wait)."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=EXIT_TIMEOUT)
        except subprocess.TimeoutExpired:
            pytest.fail(
                f"no exit within {EXIT_TIMEOUT} s of SIGTERM; stderr ends:\n{self.stderr[-3000:]}"
            )

    def assert_token_never_printed(self) -> None:
        for name, output in (("stdout", self.stdout), ("stderr", self.stderr)):
            assert TOKEN not in output, f"the token appears in {name}"
            assert TOKEN_SECRET not in output, f"the token's secret part appears in {name}"


@contextmanager
def running_bot(env: dict[str, str], tmp_path: Path, name: str) -> Iterator[BotProcess]:
    cwd = working_directory(tmp_path)
    stdout, stderr = tmp_path / f"{name}.stdout", tmp_path / f"{name}.stderr"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot"],
            cwd=cwd,
            env=python_path_for(cwd, env),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
        )
    try:
        yield BotProcess(proc, stdout, stderr)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


# --- check-in delivery -------------------------------------------------------------------------


def is_checkin_message(message: dict[str, Any]) -> bool:
    """Whether ``message`` (as the Bot API returned it) is a check-in: it has its buttons."""
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return is_checkin([button for row in rows for button in row])


def prompts_per_chat(server: FakeTelegramServer, chats: range) -> Counter[int]:
    counts: Counter[int] = Counter()
    for exchange in server.calls("sendMessage"):
        if exchange.ok and is_checkin_message(exchange.result):
            chat = exchange.result["chat"]["id"]
            if chat in chats:
                counts[chat] += 1
    return counts


def tally(server: FakeTelegramServer, people: range) -> tuple[int, int, int]:
    """Prompts sent to ``people``, how many of them got none, and how many extra copies."""
    counts = prompts_per_chat(server, people)
    return (
        sum(counts.values()),
        len(people) - len(counts),
        sum(count - 1 for count in counts.values()),
    )


def delivery_env(database_url: str, server: FakeTelegramServer, **extra: str) -> dict[str, str]:
    settings = {
        "DATABASE_URL": database_url,
        "TELEGRAM_BASE_URL": server.base_url,
        "TELEGRAM_BASE_FILE_URL": server.base_file_url,
        "LOG_LEVEL": "INFO",
        "DISPATCH_INTERVAL_SECONDS": "1",
        "TELEGRAM_MAX_MESSAGES_PER_SECOND": str(RATE),
        "CLAIM_LEASE_SECONDS": str(LEASE),
        "CHECKIN_REMINDER_MINUTES": "0",
    }
    return bot_environment(**{**settings, **extra})
