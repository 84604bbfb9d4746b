"""Build the wheel, install it into a clean venv outside the checkout, and run it from there.

Run from the repository's own venv (it needs the test suite's fake Bot API)::

    .venv/bin/python scripts/check_wheel.py

Checks, in a temporary folder outside the checkout:

* the wheel holds the migrations (as ``bot/migrations``, never a top-level ``alembic``) and every
  content file of the checkout (``bot/content/*.toml``, ``bot/content/frameworks/*.toml``), and
  the Mini App's static files (``bot/web/static/``);
* ``pip install <wheel>`` into a fresh venv, and ``bot`` is imported from that venv;
* the installed ``secure-base`` command, started from an empty folder against the fake Bot
  API over HTTP on 127.0.0.1, migrates a fresh SQLite database to the newest revision, answers
  ``/start``, and exits with status 0 on SIGTERM;
* ``alembic upgrade head`` from the checkout (``alembic.ini``) still migrates a database.

Exits non-zero with a message on the first failure.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from alembic.config import Config
from alembic.script import ScriptDirectory

from bot.config import Settings
from tests.fake_server import FakeTelegramServer
from tests.telegram_fake import BOT_ID

ROOT = Path(__file__).resolve().parents[1]
TOKEN = f"{BOT_ID}:AAE-wheel_check_Zq9xY3wV7uT5sR1pN0mLkJ"
USER_ID = 4242
STARTUP_TIMEOUT = 90.0  # a fresh venv: first imports compile bytecode
EXIT_TIMEOUT = 20.0
SETTINGS_VARIABLES = frozenset(name.upper() for name in Settings.model_fields)


class CheckFailedError(Exception):
    pass


def run(*command: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    print("+", " ".join(str(part) for part in command), flush=True)
    result = subprocess.run(  # noqa: S603 - our own interpreters, pip and alembic
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise CheckFailedError(
            f"exit status {result.returncode}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return result.stdout


def clean_environment(**values: str) -> dict[str, str]:
    """This environment without Python paths or bot settings, then ``values``."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name.upper() not in SETTINGS_VARIABLES
        and name not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")
    }
    env.update(values)
    return env


def head_revision() -> str:
    """The newest revision, read through the checkout's ``alembic.ini``."""
    head = ScriptDirectory.from_config(Config(str(ROOT / "alembic.ini"))).get_current_head()
    assert head is not None
    return head


def stored_revision(database: Path) -> str:
    with sqlite3.connect(database) as connection:
        rows = connection.execute("SELECT version_num FROM alembic_version").fetchall()
    connection.close()
    if len(rows) != 1:
        raise CheckFailedError(f"{database}: alembic_version holds {rows}")
    return str(rows[0][0])


def build_wheel(work: Path) -> Path:
    dist = work / "dist"
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", dist, ROOT)
    wheels = list(dist.glob("secure_base-*.whl"))
    if len(wheels) != 1:
        raise CheckFailedError(f"expected one wheel in {dist}, found {wheels}")
    return wheels[0]


def check_wheel_contents(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    expected = {
        f"bot/content/{path.relative_to(ROOT / 'bot' / 'content').as_posix()}"
        for pattern in ("**/*.toml",)  # the course, and every language's folder
        for path in (ROOT / "bot" / "content").glob(pattern)
    }
    # The Mini App's page, script and styles (bot/web/static/).
    expected |= {
        f"bot/web/static/{path.name}" for path in (ROOT / "bot" / "web" / "static").iterdir()
    }
    expected |= {
        f"bot/migrations/{path.relative_to(ROOT / 'alembic').as_posix()}"
        for pattern in ("env.py", "script.py.mako", "versions/*.py")
        for path in (ROOT / "alembic").glob(pattern)
    }
    missing = sorted(expected - names)
    if missing:
        raise CheckFailedError(f"{wheel.name} lacks {missing}")
    top_level = {name.split("/", 1)[0] for name in names if not name.startswith("secure_base-")}
    if top_level != {"bot"}:
        raise CheckFailedError(f"{wheel.name}: top-level entries {sorted(top_level)}, not bot")
    print(f"{wheel.name}: {len(expected)} content and migration files, only bot/ at the top")


def install(wheel: Path, work: Path) -> Path:
    venv = work / "venv"
    run(sys.executable, "-m", "venv", venv)
    run(venv / "bin" / "python", "-m", "pip", "install", "--quiet", wheel)
    return venv


def check_imported_from(venv: Path, cwd: Path) -> None:
    python = venv / "bin" / "python"
    where = "import bot; print(bot.__file__)"
    location = run(python, "-c", where, cwd=cwd, env=clean_environment()).strip()
    if not Path(location).is_relative_to(venv) or Path(location).is_relative_to(ROOT):
        raise CheckFailedError(f"bot was imported from {location}, not from {venv}")
    print(f"bot is imported from {location}")


def run_installed_bot(venv: Path, cwd: Path) -> None:
    """Start ``secure-base`` in ``cwd`` on a fresh database; /start; SIGTERM."""
    database = cwd / "data" / "secure_base.db"  # the default URL's folder does not exist yet
    stdout, stderr = cwd / "bot.stdout", cwd / "bot.stderr"
    with FakeTelegramServer(TOKEN) as server:
        env = clean_environment(
            BOT_TOKEN=TOKEN,
            DATABASE_URL="sqlite+aiosqlite:///data/secure_base.db",
            TELEGRAM_BASE_URL=server.base_url,
            TELEGRAM_BASE_FILE_URL=server.base_file_url,
            LOG_LEVEL="INFO",
            PYTHONUNBUFFERED="1",
        )
        with stdout.open("wb") as out, stderr.open("wb") as err:
            bot = subprocess.Popen(  # noqa: S603 - the bot's command from the venv we made
                [str(venv / "bin" / "secure-base")],
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
            )
        try:

            def exited() -> str | None:
                status = bot.poll()
                if status is None:
                    return None
                return f"the bot exited with status {status}:\n{stderr.read_text()[-3000:]}"

            server.send_text(USER_ID, "/start")
            server.wait_for_message(USER_ID, "Hi Alex", timeout=STARTUP_TIMEOUT, abort=exited)
            print("the installed bot answered /start")
            bot.send_signal(signal.SIGTERM)
            status = bot.wait(timeout=EXIT_TIMEOUT)
        finally:
            if bot.poll() is None:
                bot.kill()
                bot.wait(timeout=10)
    log = stderr.read_text(errors="replace")
    if status != 0:
        raise CheckFailedError(f"exit status {status} after SIGTERM:\n{log[-3000:]}")
    if "Traceback" in log:
        raise CheckFailedError(f"a traceback in the bot's log:\n{log[-3000:]}")
    if TOKEN.split(":", 1)[1] in log + stdout.read_text(errors="replace"):
        raise CheckFailedError("the token appears in the bot's output")
    revision, head = stored_revision(database), head_revision()
    if revision != head:
        raise CheckFailedError(f"the database is at {revision}, not at the head {head}")
    print(f"the installed bot migrated a fresh database to {head} and stopped on SIGTERM")


def check_alembic_command_line(work: Path) -> None:
    database = work / "alembic-cli.db"
    run(
        Path(sys.executable).parent / "alembic",
        "upgrade",
        "head",
        cwd=ROOT,
        env=clean_environment(DATABASE_URL=f"sqlite+aiosqlite:///{database}"),
    )
    if stored_revision(database) != head_revision():
        raise CheckFailedError("alembic upgrade head from the checkout did not reach the head")
    print("alembic upgrade head from the checkout (alembic.ini) works")


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="secure-base-wheel-") as folder:
        work = Path(folder)
        cwd = work / "run"
        cwd.mkdir()
        try:
            wheel = build_wheel(work)
            check_wheel_contents(wheel)
            venv = install(wheel, work)
            check_imported_from(venv, cwd)
            run_installed_bot(venv, cwd)
            check_alembic_command_line(work)
        except CheckFailedError as exc:
            print(f"check_wheel: FAILED: {exc}", file=sys.stderr)
            return 1
    print("check_wheel: the wheel installs, migrates and runs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
