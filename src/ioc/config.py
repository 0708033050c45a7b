"""Settings, read from ``IOC_*`` environment variables (and a ``.env`` file if present)."""

from __future__ import annotations

import json
import secrets
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ConfigError(RuntimeError):
    """The configuration cannot work; the process must not start."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="IOC_", env_file=".env", extra="ignore")

    env: Literal["development", "test", "production"] = Field(
        "development", description="development, test or production (production is strict)."
    )
    data_dir: Path = Field(
        Path("var"), description="Where the SQLite file, uploads and the generated secret key live."
    )
    database_url: str = Field(
        "",
        description="SQLAlchemy URL; empty means SQLite at DATA_DIR/ioc.sqlite3. "
        "PostgreSQL: postgresql+psycopg://user@host/db",
    )
    secret_key: str = Field(
        "",
        description=(
            "Signs CSRF tokens; generated into DATA_DIR/secret_key on first run unless "
            "given. Required in production."
        ),
    )
    redis_url: str = Field(
        "",
        description=(
            "redis://host:6379/0 turns on cross-process event fan-out (live feeds in every "
            "process)."
        ),
    )
    base_url: str = Field(
        "http://127.0.0.1:8000", description="Public address, used in links and Open311 discovery."
    )
    host: str = Field("127.0.0.1", description="Address `ioc serve` listens on.")
    port: int = Field(8000, description="Port `ioc serve` listens on.")
    default_locale: Literal["vi", "en"] = Field(
        "vi", description="Interface language for new visitors."
    )
    timezone: str = Field("Asia/Ho_Chi_Minh", description="Local time zone of the province.")
    province_code: str = Field(
        "19", description="Official code of the province this IOC serves (19 = Thái Nguyên)."
    )
    session_days: int = Field(14, description="How long a sign-in lasts without activity, in days.")
    secure_cookies: bool = Field(False, description="Mark cookies Secure (set true behind TLS).")
    signin_max_failures: int = Field(
        5,
        description="Failed sign-ins per account in the window before it is locked for the window.",
    )
    signin_max_failures_per_ip: int = Field(
        20, description="Failed sign-ins per client address in the window."
    )
    signin_window_minutes: int = Field(15, description="Rate-limit window for sign-in, in minutes.")
    scheduler: bool = Field(
        True,
        description="Run periodic jobs inside `ioc serve` (turn off when `ioc worker` runs them).",
    )
    log_format: Literal["json", "console"] = Field(
        "json", description="Structured JSON logs or readable lines."
    )
    log_level: str = Field("INFO", description="Logging level.")
    max_upload_mb: int = Field(10, description="Largest accepted photo, in megabytes.")
    max_image_pixels: int = Field(40_000_000, description="Largest accepted photo, in pixels.")
    tile_url: str = Field(
        "",
        description=(
            "Optional map tile server URL template for production; empty uses the "
            "built-in offline layers only."
        ),
    )
    sms_gateway_url: str = Field(
        "",
        description=(
            "HTTP endpoint of the SMS gateway; empty keeps messages in the outbox page (demo)."
        ),
    )
    sms_gateway_template: str = Field(
        "",
        description=(
            'JSON body the SMS gateway expects, with "{phone}" and "{text}" placeholders '
            '(e.g. {"to": "{phone}", "content": "{text}", "brand": "UBND-TN"}); empty sends '
            '{"phone": …, "text": …}.'
        ),
    )
    smtp_url: str = Field(
        "",
        description=(
            "smtp://user:pass@host:port for e-mail; empty keeps messages in the outbox page (demo)."
        ),
    )

    @model_validator(mode="after")
    def _check_sms_template(self) -> Settings:
        if self.sms_gateway_template:
            try:
                template = json.loads(self.sms_gateway_template)
            except ValueError as exc:
                raise ValueError(f"IOC_SMS_GATEWAY_TEMPLATE is not valid JSON: {exc}") from exc
            if not isinstance(template, dict):
                raise ValueError("IOC_SMS_GATEWAY_TEMPLATE must be a JSON object")
        return self

    @model_validator(mode="after")
    def _check_production(self) -> Settings:
        if self.env == "production" and not self.secret_key:
            raise ConfigError(
                "IOC_SECRET_KEY must be set in production (a long random string); "
                "refusing to start."
            )
        if self.env == "production" and len(self.secret_key) < 32:
            raise ConfigError("IOC_SECRET_KEY must be at least 32 characters in production.")
        return self

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'ioc.sqlite3').resolve()}"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    @cached_property
    def resolved_secret_key(self) -> str:
        """The configured key, else one generated once into the data directory."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.write_text(key)
        path.chmod(0o600)
        return key

    @property
    def files_dir(self) -> Path:
        return self.data_dir / "files"


def describe_settings() -> list[tuple[str, str, str]]:
    """(variable, default, description) for every setting; the README's table comes from this."""
    rows = []
    for name, field in Settings.model_fields.items():
        default = field.default
        rows.append(
            (
                f"IOC_{name.upper()}",
                str(default) if default not in (None, "") else "(empty)",
                field.description or "",
            )
        )
    return rows
