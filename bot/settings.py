"""One validated settings class, read from the environment and `.env`."""

from __future__ import annotations

import secrets
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every setting of Omnibot; names are the environment variables of README."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    database_url: str | None = None
    redis_url: str | None = None
    secret_key: str | None = None
    omnibot_data_dir: Path = Path(".omnibot")
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str | None = None
    default_language: str = "pl"
    embedding_model: str | None = None
    embedding_backend: str = Field(default="onnx-int8", pattern="^(auto|onnx|onnx-int8|torch)$")
    nlu_oos_threshold: float = Field(default=0.35, ge=0, le=1)
    nlu_batch_window_ms: float = Field(default=2.0, ge=0, le=100)
    action_endpoint: str | None = None
    actions_domain: Path | None = None

    telegram_bot_token: str | None = None
    telegram_webhook_secret: str | None = None
    telegram_api_base: str = "https://api.telegram.org"

    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_from_number: str | None = None
    twilio_api_base: str = "https://api.twilio.com"

    # Beyond DESIGN.md's table (documented in README).
    staff_token_minutes: int = Field(default=480, ge=1)
    support_hours: str = "09:00-21:00"
    support_timezone: str = "Europe/Warsaw"
    cart_reminder_minutes: int = Field(default=60, ge=1)
    reminder_hours: str = "09:00-21:00"
    sms_transliterate: bool = False
    sms_max_segments: int = Field(default=4, ge=1)
    catalog_path: Path | None = None
    cache_dir: Path | None = None  # default: $OMNIBOT_DATA_DIR/cache
    webchat_session_days: int = Field(default=90, ge=1)
    webchat_new_sessions_per_ip: int = Field(default=120, ge=1)  # per 10 minutes
    sms_code_prefixes: str = "+48"  # comma-separated E.164 prefixes codes may be texted to
    link_wrong_codes_limit: int = Field(default=100, ge=1)  # everyone's, per 10 minutes
    max_message_chars: int = Field(default=4000, ge=1)
    outbox_max_attempts: int = Field(default=8, ge=1)
    outbox_retry_base_seconds: float = Field(default=1.0, gt=0)
    nlu_backend: str = "auto"  # auto | keywords
    log_level: str = "INFO"

    @property
    def data_dir(self) -> Path:
        return self.omnibot_data_dir

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'omnibot.db').resolve()}"

    def resolved_secret_key(self) -> str:
        """The configured key, or one generated on first run and kept in the data dir."""
        if self.secret_key:
            return self.secret_key
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key_file = self.data_dir / "secret_key"
        if key_file.exists():
            return key_file.read_text().strip()
        key = secrets.token_urlsafe(48)
        key_file.write_text(key)
        key_file.chmod(0o600)
        return key
