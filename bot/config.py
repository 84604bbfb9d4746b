"""Settings, read from the environment and an optional ``.env`` file.

Every setting is documented in ``.env.example``. Errors are turned into one readable line by
:func:`load_settings` so an operator never has to read a pydantic traceback (and never sees the
token echoed back).
"""

from __future__ import annotations

import re
from datetime import time
from pathlib import Path
from typing import Annotated, Literal, Self
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.timezones import InvalidZoneError, zone_from_name

DEFAULT_SQLITE_PATH = Path("data") / "secure_base.db"

# What Telegram allows as a webhook's secret_token.
_SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
# The bot's own HTTP server listens here in webhook mode unless HTTP_PORT says otherwise.
DEFAULT_WEBHOOK_PORT = 8080

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
    "updates": "use polling (the default), webhook (several instances behind a proxy) or none "
    "(periodic jobs only)",
    "webhook_url": "use the public HTTPS address Telegram posts updates to, e.g. "
    "https://bot.example.org/telegram",
    "webhook_secret": "use 1 to 256 characters of A-Z, a-z, 0-9, _ and -, e.g. from "
    "`openssl rand -hex 32`",
    "http_host": "use an address to listen on, e.g. 127.0.0.1 (behind a proxy) or 0.0.0.0",
    "http_port": "use a port from 1 to 65535, e.g. 8080",
    "claim_lease_seconds": "use seconds from 5 to 3600, e.g. 60",
    "mini_app_url": "use the public HTTPS address of the page, e.g. https://bot.example.org/app/",
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
    # How this process takes updates: "polling" (long polling), "webhook" (Telegram posts them
    # to WEBHOOK_URL; several instances may share one PostgreSQL database), or "none" (only
    # the periodic jobs, next to a process that polls).
    updates: Literal["polling", "webhook", "none"] = "polling"
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    # The bot's own HTTP server: the webhook (webhook mode) and /healthz, /readyz, /metrics.
    http_host: str = "127.0.0.1"
    http_port: int | None = Field(default=None, ge=1, le=65535)
    # A check-in claim not renewed for this long belonged to a process that died: another
    # takes it over. The sender renews its claims every third of it while it sends.
    claim_lease_seconds: int = Field(default=60, ge=5, le=3600)
    # The Mini App ("Open our week"): its public HTTPS address, served by the bot's own HTTP
    # server under /app/ behind the TLS proxy. Unset: no button, though the page is served.
    mini_app_url: str | None = None

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

    @field_validator("webhook_url", "webhook_secret", "http_port", "mini_app_url", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # ``WEBHOOK_URL=`` in .env means "not set", as in .env.example.
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an https:// URL")
        if parts.query or parts.fragment:
            raise ValueError("must not have a query (?...) or fragment (#...)")
        return value.strip()

    @field_validator("mini_app_url")
    @classmethod
    def _mini_app_url(cls, value: str | None) -> str | None:
        """Telegram opens Mini Apps over HTTPS only."""
        if value is None:
            return None
        parts = urlsplit(value.strip())
        if parts.scheme != "https" or not parts.hostname:
            raise ValueError("must be an https:// URL")
        if parts.fragment:
            raise ValueError("must not have a fragment (#...)")
        return value.strip()

    @field_validator("webhook_secret")
    @classmethod
    def _secret_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _SECRET_PATTERN.match(value.get_secret_value()):
            raise ValueError("has characters Telegram does not allow, or is too long")  # no echo
        return value

    @field_validator("http_host")
    @classmethod
    def _host(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("is empty")
        return value.strip()

    @model_validator(mode="after")
    def _webhook_settings_together(self) -> Self:
        if self.updates == "webhook" and self.webhook_url is None:
            raise ValueError("WEBHOOK_URL is not set: with UPDATES=webhook, set it to the public "
                             "HTTPS address Telegram posts updates to")  # fmt: skip
        if self.webhook_url is not None and self.updates != "webhook":
            raise ValueError(f"WEBHOOK_URL is set but UPDATES is {self.updates}: set "
                             "UPDATES=webhook, or remove WEBHOOK_URL")  # fmt: skip
        if self.updates == "webhook" and self.webhook_secret is None:
            raise ValueError("WEBHOOK_SECRET is not set: with UPDATES=webhook, set 1 to 256 "
                             "characters of A-Z, a-z, 0-9, _ and -")  # fmt: skip
        return self

    @property
    def server_port(self) -> int | None:
        """Where the bot's own HTTP server listens; ``None``: no server (polling without
        ``HTTP_PORT``, or jobs only without it)."""
        if self.http_port is None and self.updates == "webhook":
            return DEFAULT_WEBHOOK_PORT
        return self.http_port

    @property
    def webhook_path(self) -> str:
        """The path of ``WEBHOOK_URL``, where the bot's server takes Telegram's posts."""
        return urlsplit(self.webhook_url or "").path or "/"

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
        if not error["loc"]:  # settings that only go together: the message says it all
            message = str(error["msg"]).removeprefix("Value error, ")
            raise SettingsError(f"{message}.") from None
        field = str(error["loc"][0])
        if error["type"] == "missing":
            problem = "is not set"
        else:
            problem = str(error["msg"]).removeprefix("Value error, ")
        hint = _FIX_HINTS.get(field, "see .env.example")
        raise SettingsError(f"{field.upper()} {problem}: {hint}.") from None
