"""One validated settings class, read from the environment and `.env`."""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

MIN_SECRET_KEY_CHARS = 32


class Settings(BaseSettings):
    """Every setting of Omnibot; names are the environment variables of README."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    database_url: str | None = None
    redis_url: str | None = None
    # Prefix of every Redis key and pub/sub channel of this deployment (see
    # `resolved_redis_namespace`); pub/sub ignores the database number in REDIS_URL.
    redis_namespace: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.:-]{1,64}$")
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
    nlu_process: bool = True  # parse in a worker process (false: on a thread of the server's)
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
    # per LOGIN_LOCKOUT_MINUTES: one account from one address (or one known device)
    login_attempts_per_account: int = Field(default=10, ge=1)
    # per LOGIN_LOCKOUT_MINUTES: one account's failures from all unknown clients together
    login_failures_per_account: int = Field(default=100, ge=1)
    login_attempts_per_ip: int = Field(default=60, ge=1)  # per LOGIN_LOCKOUT_MINUTES
    login_lockout_minutes: int = Field(default=15, ge=1)
    # argon2id cost of new staff password hashes (argon2-cffi's defaults: 3 passes over
    # 64 MiB, 4 lanes). A stored hash keeps verifying under the parameters it was made with.
    password_hash_time_cost: int = Field(default=3, ge=1)
    password_hash_memory_kib: int = Field(default=65_536, ge=8)
    password_hash_parallelism: int = Field(default=4, ge=1)
    support_hours: str = "09:00-21:00"
    support_timezone: str = "Europe/Warsaw"
    cart_reminder_minutes: int = Field(default=60, ge=1)
    reminder_hours: str = "09:00-21:00"
    sms_transliterate: bool = False
    sms_max_segments: int = Field(default=4, ge=1)
    catalog_path: Path | None = None
    cache_dir: Path | None = None  # default: $OMNIBOT_DATA_DIR/cache
    webchat_session_days: int = Field(default=14, ge=1)  # renewed on every visit
    webchat_new_sessions_per_ip: int = Field(default=120, ge=1)  # per 10 minutes
    webchat_reads_per_minute: int = Field(default=60, ge=1)  # history pages + sockets
    sms_code_prefixes: str = "+48"  # comma-separated E.164 prefixes codes may be texted to
    sms_codes_per_ip: int = Field(default=5, ge=1)  # per client address per hour
    sms_codes_per_hour: int = Field(default=100, ge=1)  # the whole shop's, per hour
    link_wrong_codes_per_ip: int = Field(default=20, ge=1)  # per client address, 10 minutes
    link_wrong_codes_limit: int = Field(default=100, ge=1)  # everyone's, per 10 minutes
    max_message_chars: int = Field(default=4000, ge=1)
    # Abuse limits (README "Limits"): request sizes, slow clients, message and NLU rates.
    max_body_bytes: int = Field(default=262_144, ge=1024)
    import_max_bytes: int = Field(default=2_000_000, ge=1024)
    import_max_unpacked_bytes: int = Field(default=5_000_000, ge=1024)
    import_max_files: int = Field(default=50, ge=1)
    ws_max_frame_bytes: int = Field(default=65_536, ge=1024)
    ws_connections_per_ip: int = Field(default=50, ge=1)  # open at once, per client address
    http_header_timeout_seconds: float = Field(default=10.0, gt=0)
    http_max_header_bytes: int = Field(default=65_536, ge=1024)
    http_body_timeout_seconds: float = Field(default=30.0, gt=0)
    http_keep_alive_seconds: int = Field(default=5, ge=1)
    max_connections: int = Field(default=1000, ge=1)
    api_docs: bool = True  # /docs and /redoc (assets served locally)
    messages_per_minute: int = Field(default=30, ge=1)  # per conversation, every channel
    nlu_parse_per_minute: int = Field(default=60, ge=1)  # per client address
    outbox_max_attempts: int = Field(default=8, ge=1)
    outbox_retry_base_seconds: float = Field(default=1.0, gt=0)
    # Channels whose replies interrupted mid-send are sent again (at least once); the
    # others' are marked `unknown` and reported to the agents (at most once). SMS costs
    # money per message, so it is not in the default.
    outbox_resend_uncertain: str = "webchat,telegram"
    outbox_sending_lease_seconds: float = Field(default=30.0, gt=0)
    nlu_backend: str = "auto"  # auto | keywords
    log_level: str = "INFO"
    log_format: str = Field(default="text", pattern="^(text|json)$")
    # Addresses whose X-Forwarded-For / -Proto uvicorn believes: your reverse proxy only.
    forwarded_allow_ips: str = "127.0.0.1"
    # The per-customer lock across instances (REDIS_URL): renewed while held.
    customer_lock_seconds: float = Field(default=30.0, gt=0)
    customer_lock_wait_seconds: float = Field(default=120.0, gt=0)
    otel_exporter_otlp_endpoint: str | None = None
    sentry_dsn: str | None = None

    @model_validator(mode="after")
    def _argon2_memory_fits_its_lanes(self) -> Settings:
        # argon2 needs at least 8 KiB per lane; refused at start, not at the first login.
        if self.password_hash_memory_kib < 8 * self.password_hash_parallelism:
            raise ValueError(
                "PASSWORD_HASH_MEMORY_KIB must be at least 8 x PASSWORD_HASH_PARALLELISM"
            )
        return self

    @property
    def data_dir(self) -> Path:
        return self.omnibot_data_dir

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'omnibot.db').resolve()}"

    def resend_uncertain_channels(self) -> frozenset[str]:
        return frozenset(c.strip() for c in self.outbox_resend_uncertain.split(",") if c.strip())

    def resolved_redis_namespace(self) -> str:
        """REDIS_NAMESPACE, or one derived from the database this deployment uses.

        Instances of one deployment share a database, so they agree on it; two deployments
        on one Redis never do. The password is left out so that rotating it changes nothing.
        """
        if self.redis_namespace:
            return self.redis_namespace
        url = make_url(self.resolved_database_url())
        identity = "|".join(
            str(part or "")
            for part in (url.get_backend_name(), url.username, url.host, url.port, url.database)
        )
        return "omnibot:" + hashlib.sha256(identity.encode()).hexdigest()[:12]

    def resolved_secret_key(self) -> str:
        """The configured key, or one generated on first run and kept in the data dir.

        Never a fixed default: whoever knows the key can forge staff tokens. Instances that
        share work (REDIS_URL) must share the key too, so there it has to be set.
        """
        if self.secret_key:
            if len(self.secret_key) < MIN_SECRET_KEY_CHARS:
                # "changeme", "secret", a shop's name: tried offline against one session
                # token, it would let anyone sign any customer's web chat session.
                raise ValueError(
                    f"SECRET_KEY must be at least {MIN_SECRET_KEY_CHARS} characters (random); "
                    "generate one with: python -c "
                    '"import secrets; print(secrets.token_urlsafe(48))"'
                )
            return self.secret_key
        if self.redis_url:
            raise ValueError(
                "SECRET_KEY must be set (the same on every instance) when REDIS_URL is set; "
                'generate one with: python -c "import secrets; print(secrets.token_urlsafe(48))"'
            )
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key_file = self.data_dir / "secret_key"
        if not key_file.exists():
            # Written aside, then linked into place: two processes starting at once on one
            # data dir agree on one key, and nobody reads a half-written file.
            draft = self.data_dir / f".secret_key.{os.getpid()}"
            fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_urlsafe(48))
            with contextlib.suppress(FileExistsError):
                os.link(draft, key_file)
            draft.unlink()
        key = key_file.read_text().strip()
        if not key:
            raise ValueError(f"{key_file} is empty; delete it to generate a new key")
        self.secret_key = key  # read once
        return key
