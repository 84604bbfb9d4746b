"""Settings, read from the environment and an optional ``.env`` file.

Every setting is documented in ``.env.example``. Errors are turned into one readable line by
:func:`load_settings` so an operator never has to read a pydantic traceback (and never sees the
token echoed back).
"""

from __future__ import annotations

import re
from datetime import time
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.timezones import InvalidZoneError, zone_from_name

DEFAULT_SQLITE_PATH = Path("data") / "secure_base.db"

# Bot API tokens look like "123456789:AA...": a numeric bot id, a colon, then 30+ url-safe chars.
_TOKEN_PATTERN = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{30,}$")

# How to fix each setting, shown in the one-line error.
_FIX_HINTS: dict[str, str] = {
    "bot_token": "get a token from @BotFather in Telegram and set BOT_TOKEN in .env "
    "or the environment",
    "database_url": "use e.g. sqlite+aiosqlite:///data/secure_base.db or "
    "postgresql+asyncpg://user:password@host/dbname",
    "telegram_base_url": "use a URL such as https://api.telegram.org/bot",
    "telegram_base_file_url": "use a URL such as https://api.telegram.org/file/bot",
    "log_level": "use one of DEBUG, INFO, WARNING, ERROR",
    "admin_ids": "use Telegram user ids separated by commas, e.g. 12345,67890",
    "default_checkin_time": "use HH:MM, e.g. 20:00",
    "default_time_zone": "use an IANA zone name such as Europe/Berlin or UTC",
    "invite_ttl_hours": "use a whole number of hours from 1 to 720",
    "checkin_grace_hours": "use a number of hours above 0 and at most 24, e.g. 3",
    "checkin_reminder_minutes": "use minutes from 0 (no reminder) to 720, e.g. 120",
    "dispatch_interval_seconds": "use seconds from 1 to 3600, e.g. 30",
    "telegram_max_messages_per_second": "use a number from 0 (no limit) to 1000, e.g. 25",
    "max_concurrent_updates": "use a number from 1 (one update at a time) to 256, e.g. 32",
    "updates": "use polling (the default) or none (periodic jobs only)",
    "claim_lease_seconds": "use seconds from 5 to 3600, e.g. 60",
}


class SettingsError(Exception):
    """A setting is missing or invalid; the message is one line meant for the operator."""


class Settings(BaseSettings):
    """What an operator can configure. Names map to upper-case environment variables."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=True
    )

    bot_token: SecretStr
    database_url: str = f"sqlite+aiosqlite:///{DEFAULT_SQLITE_PATH.as_posix()}"
    telegram_base_url: str = "https://api.telegram.org/bot"
    telegram_base_file_url: str = "https://api.telegram.org/file/bot"
    log_level: str = "INFO"
    admin_ids: Annotated[frozenset[int], NoDecode] = Field(default_factory=frozenset)
    default_checkin_time: time = time(20, 0)
    default_time_zone: str = "UTC"
    invite_ttl_hours: int = Field(default=48, ge=1, le=24 * 30)
    checkin_grace_hours: float = Field(default=3, gt=0, le=24)
    checkin_reminder_minutes: int = Field(default=120, ge=0, le=12 * 60)
    dispatch_interval_seconds: int = Field(default=30, ge=1, le=3600)
    telegram_max_messages_per_second: int = Field(default=25, ge=0, le=1000)
    max_concurrent_updates: int = Field(default=32, ge=1, le=256)
    # How this process takes updates: "polling" (long polling), or "none" (only the periodic
    # jobs, next to a process that polls).
    updates: Literal["polling", "none"] = "polling"
    # A check-in claim not renewed for this long belonged to a process that died: another
    # takes it over. The sender renews its claims every third of it while it sends.
    claim_lease_seconds: int = Field(default=60, ge=5, le=3600)

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr) -> SecretStr:
        if not _TOKEN_PATTERN.match(value.get_secret_value().strip()):
            # Never include the value: it may be a real token with a typo.
            raise ValueError("does not look like a bot token")
        return SecretStr(value.get_secret_value().strip())

    @field_validator("database_url")
    @classmethod
    def _database_driver(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        try:
            make_url(value)
        except (ArgumentError, ValueError):
            # Never echo it: it may hold a password.
            raise ValueError("is not a valid database URL") from None
        return value

    @field_validator("telegram_base_url", "telegram_base_file_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("is not a log level")
        return level

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _comma_separated_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [part.strip() for part in value.split(",") if part.strip()]
            if not all(part.lstrip("-").isdigit() for part in parts):
                raise ValueError("must be numbers separated by commas")
            return frozenset(int(part) for part in parts)
        return value

    @field_validator("default_time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            zone_from_name(value)
        except InvalidZoneError as exc:
            raise ValueError("is not a known time zone") from exc
        return value


def load_settings(**overrides: object) -> Settings:
    """Build :class:`Settings`, turning validation errors into one :class:`SettingsError` line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        error = exc.errors()[0]
        field = str(error["loc"][0]) if error["loc"] else "settings"
        if error["type"] == "missing":
            problem = "is not set"
        else:
            problem = str(error["msg"]).removeprefix("Value error, ")
        hint = _FIX_HINTS.get(field, "see .env.example")
        raise SettingsError(f"{field.upper()} {problem}: {hint}.") from None
