"""Settings read from the environment once, validated at start.

| variable | default | meaning |
|---|---|---|
| AUTOGESTION_ENV | dev | dev, test or production |
| AUTOGESTION_DATA_DIR | ./var | SQLite file, uploaded documents, dev Maildir and SMS outbox |
| DATABASE_URL | sqlite+aiosqlite:///<data dir>/autogestion.db | sqlite+aiosqlite://… or postgresql+asyncpg://… |
| AUTOGESTION_BASE_URL | http://localhost:3000 | public address of the portal (links in e-mails, websocket origin) |
| AUTOGESTION_SECRET_KEY | dev-only value | key for code HMACs and signed download links (≥ 32 chars in production) |
| AUTOGESTION_SMTP_HOST | 127.0.0.1 | SMTP server |
| AUTOGESTION_SMTP_PORT | 8025 | SMTP port |
| AUTOGESTION_SMTP_USER | (empty) | SMTP user, if the relay needs one |
| AUTOGESTION_SMTP_PASSWORD | (empty) | SMTP password |
| AUTOGESTION_SMTP_TLS | none | none, starttls or tls |
| AUTOGESTION_MAIL_FROM | avisos@energiasanjuan.com.ar | sender of every e-mail |
| AUTOGESTION_SMTP_SINK | true in dev/test | start the local SMTP sink (Maildir under <data dir>/mail); refused in production |
| AUTOGESTION_SMS_GATEWAY_URL | (empty) | HTTP gateway for SMS (JSON POST); empty = <data dir>/sms/outbox.jsonl (dev only) |
| AUTOGESTION_SMS_GATEWAY_TOKEN | (empty) | bearer token for the SMS gateway |
| AUTOGESTION_BCRYPT_COST | 12 | bcrypt work factor (10–15) |
| AUTOGESTION_BRAND | Energía San Juan S.A. | distributor's name shown in pages and e-mails |
| AUTOGESTION_CAPTCHA_TEST_ANSWER | (empty) | QA only: the captcha also accepts this answer; refused in production |
| AUTOGESTION_DEV_PAGES | true in dev/test | the /dev/bandeja page showing captured mail and SMS; refused in production |
| AUTOGESTION_PORT | 3000 | port the portal listens on |
| AUTOGESTION_HOST | 127.0.0.1 | address the portal listens on (`make run`); 0.0.0.0 only behind a proxy |
| AUTOGESTION_TRUSTED_PROXIES | (empty) | reverse proxies (IPs or CIDRs, comma-separated) whose X-Forwarded-For is believed |
| AUTOGESTION_SMS_PER_HOUR | 500 | SMS the portal may send in any hour, all users together (SMS-pumping brake) |
| AUTOGESTION_PLAN_MONTHLY_RATE_BP | 250 | Plan de Pago: monthly interest in basis points (250 = 2,5 %), 0 to 1000 |
| AUTOGESTION_PAYMENTS | demo | payment provider: demo (a page of the portal, charges nothing; refused in production) or mercadopago |
| AUTOGESTION_MP_ACCESS_TOKEN | (empty) | Mercado Pago access token (required in production) |
| AUTOGESTION_MP_WEBHOOK_SECRET | (empty) | Mercado Pago webhook secret, checks x-signature (required in production) |
| AUTOGESTION_MP_API_URL | https://api.mercadopago.com | Mercado Pago API base address |
| AUTOGESTION_ALLOWED_ORIGINS | (empty) | extra origins (comma-separated) allowed for the websocket and CORS, beyond the base URL |
| REFLEX_REDIS_URL | (empty) | Redis for Reflex's state (redis://host:6379/0); required when AUTOGESTION_WORKERS > 1 |
| AUTOGESTION_WORKERS | 1; with Redis: the CPU count | backend worker processes on this host (the start command sets GRANIAN_WORKERS from it) |
| AUTOGESTION_HOSTS | 1 | hosts running that many backend workers against the same database (capacity formula) |
| AUTOGESTION_OUTBOX_PROCESSES | 1 | `autogestion worker` processes against the same database (capacity formula) |
| AUTOGESTION_DB_POOL_SIZE | 5 | connections each process keeps open to PostgreSQL |
| AUTOGESTION_DB_MAX_OVERFLOW | 5 | extra connections each process may open at a peak |
| AUTOGESTION_DB_POOL_TIMEOUT | 5 | seconds a request waits for a free connection before "El portal está con mucha demanda" |
| AUTOGESTION_DB_RESERVE | 5 | PostgreSQL connections left free for migrations, the CLI, monitoring and psql |

Capacity (checked at start against PostgreSQL's `SHOW max_connections`, see `autogestion/capacity.py`):
(AUTOGESTION_WORKERS × AUTOGESTION_HOSTS + AUTOGESTION_OUTBOX_PROCESSES) × (AUTOGESTION_DB_POOL_SIZE +
AUTOGESTION_DB_MAX_OVERFLOW) + AUTOGESTION_DB_RESERVE ≤ max_connections − superuser_reserved_connections
(− reserved_connections on PostgreSQL 16+).
| AUTOGESTION_OUTBOX_IN_BACKEND | true | each backend worker also delivers the outbox; false when dedicated `autogestion worker` processes run |
| AUTOGESTION_HANDLER_TIMING | false | log each event handler's wall time (guard + service + DB) on the `autogestion.timing` logger (benchmarks, diagnosis) |
"""

from __future__ import annotations

import math
import os
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from autogestion.client import parse_networks

DEV_SECRET_KEY = "dev-secret-key-not-for-production-0123456789"
ENVIRONMENTS = ("dev", "test", "production")
SMTP_TLS_MODES = ("none", "starttls", "tls")
PAYMENT_PROVIDERS = ("demo", "mercadopago")


class ConfigError(ValueError):
    """A setting is missing or unsafe; the message names the variable."""


def _bool(name: str, value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, not {value!r}")


def _int(name: str, value: str | None, default: int, low: int, high: int) -> int:
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {value!r}") from None
    if not low <= number <= high:
        raise ConfigError(f"{name} must be between {low} and {high}, not {number}")
    return number


def _origins(name: str, value: str) -> tuple[str, ...]:
    origins = []
    for item in value.split(","):
        origin = item.strip().rstrip("/")
        if not origin:
            continue
        scheme, _, rest = origin.partition("://")
        if scheme not in ("http", "https") or not rest or "/" in rest or "*" in rest:
            raise ConfigError(f"{name}: {origin!r} is not an origin like https://portal.example.com")
        origins.append(origin)
    return tuple(origins)


def _default_workers(environ, redis_url: str) -> int:
    # Several workers share state only through Redis; without it there is one. A GRANIAN_WORKERS already
    # in the environment is honoured (and then counted in the capacity formula).
    if environ.get("GRANIAN_WORKERS", "").strip().isdigit():
        return int(environ["GRANIAN_WORKERS"])
    return (os.cpu_count() or 1) if redis_url else 1


def _seconds(name: str, value: str | None, default: float) -> float:
    if value is None or value.strip() == "":
        return default
    try:
        number = float(value)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, not {value!r}") from None
    if not 0.1 <= number <= 120:
        raise ConfigError(f"{name} must be between 0.1 and 120 seconds, not {value}")
    return number


def _networks(name: str, value: str) -> tuple:
    try:
        return parse_networks(value)
    except ValueError as exc:
        raise ConfigError(f"{name}: {exc}") from None


def _entropy_bits(text: str) -> float:
    """Shannon estimate of the information in text (a key made of few distinct characters scores low)."""
    counts = Counter(text)
    return -sum(n * math.log2(n / len(text)) for n in counts.values())


LOCAL_HOSTS = ("127.0.0.1", "::1", "localhost")


@dataclass(frozen=True)
class Settings:
    env: str
    data_dir: Path
    database_url: str
    base_url: str
    secret_key: str
    smtp_host: str
    smtp_port: int
    smtp_user: str
    smtp_password: str
    smtp_tls: str
    mail_from: str
    smtp_sink: bool
    sms_gateway_url: str
    sms_gateway_token: str
    bcrypt_cost: int
    brand: str
    captcha_test_answer: str
    dev_pages: bool
    port: int
    host: str
    trusted_proxies: tuple
    sms_per_hour: int
    plan_monthly_rate_bp: int = 250  # Plan de Pago: monthly interest in basis points (250 = 2,5 %)
    payments: str = "demo"
    mp_access_token: str = ""
    mp_webhook_secret: str = ""
    mp_api_url: str = "https://api.mercadopago.com"
    allowed_origins: tuple[str, ...] = ()
    redis_url: str = ""
    workers: int = 1
    hosts: int = 1
    outbox_processes: int = 1
    db_pool_size: int = 5
    db_max_overflow: int = 5
    db_pool_timeout: float = 5.0
    db_reserve: int = 5

    @property
    def db_processes(self) -> int:
        """Processes holding a pool on the database: backend workers on every host plus outbox workers."""
        return self.workers * self.hosts + self.outbox_processes

    @property
    def cors_origins(self) -> tuple[str, ...]:
        """Origins allowed for the websocket handshake and CORS: the base URL first, then the extra ones."""
        return tuple(dict.fromkeys((self.base_url, *self.allowed_origins)))

    # outbox delivery (issue 10, ops)
    outbox_in_backend: bool = True

    # handler timing (issue 10, bench): one log line per event handler on `autogestion.timing`
    handler_timing: bool = False

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def mail_dir(self) -> Path:
        return self.data_dir / "mail"

    @property
    def sms_outbox(self) -> Path:
        return self.data_dir / "sms" / "outbox.jsonl"

    @property
    def documents_dir(self) -> Path:
        return self.data_dir / "documents"


def load_settings(environ: dict[str, str] | os._Environ = os.environ) -> Settings:
    """Read and validate the settings; raise ConfigError naming the wrong variable."""
    redis_url = environ.get("REFLEX_REDIS_URL", "").strip()
    if redis_url and not redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError("REFLEX_REDIS_URL must start with redis://, rediss:// or unix://")
    env = environ.get("AUTOGESTION_ENV", "dev").strip().lower() or "dev"
    if env not in ENVIRONMENTS:
        raise ConfigError(f"AUTOGESTION_ENV must be one of {', '.join(ENVIRONMENTS)}, not {env!r}")
    dev_like = env != "production"
    data_dir = Path(environ.get("AUTOGESTION_DATA_DIR", "") or "./var").resolve()
    database_url = environ.get("DATABASE_URL", "") or f"sqlite+aiosqlite:///{data_dir / 'autogestion.db'}"
    if database_url.startswith("postgresql://") or database_url.startswith("postgres://"):
        database_url = "postgresql+asyncpg://" + database_url.split("://", 1)[1]
    if not (database_url.startswith("sqlite+aiosqlite://") or database_url.startswith("postgresql+asyncpg://")):
        raise ConfigError("DATABASE_URL must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
    smtp_tls = (environ.get("AUTOGESTION_SMTP_TLS", "") or "none").lower()
    if smtp_tls not in SMTP_TLS_MODES:
        raise ConfigError(f"AUTOGESTION_SMTP_TLS must be one of {', '.join(SMTP_TLS_MODES)}, not {smtp_tls!r}")
    payments = (environ.get("AUTOGESTION_PAYMENTS", "") or "demo").strip().lower()
    if payments not in PAYMENT_PROVIDERS:
        raise ConfigError(f"AUTOGESTION_PAYMENTS must be one of {', '.join(PAYMENT_PROVIDERS)}, not {payments!r}")
    mp_api_url = (environ.get("AUTOGESTION_MP_API_URL", "") or "https://api.mercadopago.com").strip().rstrip("/")
    if not mp_api_url.startswith(("https://", "http://")):
        raise ConfigError("AUTOGESTION_MP_API_URL must be an http(s):// address")
    settings = Settings(
        env=env,
        data_dir=data_dir,
        database_url=database_url,
        base_url=(environ.get("AUTOGESTION_BASE_URL", "") or "http://localhost:3000").rstrip("/"),
        secret_key=environ.get("AUTOGESTION_SECRET_KEY", "") or DEV_SECRET_KEY,
        smtp_host=environ.get("AUTOGESTION_SMTP_HOST", "") or "127.0.0.1",
        smtp_port=_int("AUTOGESTION_SMTP_PORT", environ.get("AUTOGESTION_SMTP_PORT"), 8025, 1, 65535),
        smtp_user=environ.get("AUTOGESTION_SMTP_USER", ""),
        smtp_password=environ.get("AUTOGESTION_SMTP_PASSWORD", ""),
        smtp_tls=smtp_tls,
        mail_from=environ.get("AUTOGESTION_MAIL_FROM", "") or "avisos@energiasanjuan.com.ar",
        smtp_sink=_bool("AUTOGESTION_SMTP_SINK", environ.get("AUTOGESTION_SMTP_SINK"), dev_like),
        sms_gateway_url=environ.get("AUTOGESTION_SMS_GATEWAY_URL", ""),
        sms_gateway_token=environ.get("AUTOGESTION_SMS_GATEWAY_TOKEN", ""),
        bcrypt_cost=_int(
            "AUTOGESTION_BCRYPT_COST", environ.get("AUTOGESTION_BCRYPT_COST"), 12, 4 if dev_like else 10, 15
        ),
        brand=environ.get("AUTOGESTION_BRAND", "") or "Energía San Juan S.A.",
        captcha_test_answer=environ.get("AUTOGESTION_CAPTCHA_TEST_ANSWER", ""),
        dev_pages=_bool("AUTOGESTION_DEV_PAGES", environ.get("AUTOGESTION_DEV_PAGES"), dev_like),
        port=_int("AUTOGESTION_PORT", environ.get("AUTOGESTION_PORT"), 3000, 1, 65535),
        host=(environ.get("AUTOGESTION_HOST", "") or "127.0.0.1").strip(),
        trusted_proxies=_networks("AUTOGESTION_TRUSTED_PROXIES", environ.get("AUTOGESTION_TRUSTED_PROXIES", "")),
        sms_per_hour=_int("AUTOGESTION_SMS_PER_HOUR", environ.get("AUTOGESTION_SMS_PER_HOUR"), 500, 1, 1_000_000),
        plan_monthly_rate_bp=_int(
            "AUTOGESTION_PLAN_MONTHLY_RATE_BP", environ.get("AUTOGESTION_PLAN_MONTHLY_RATE_BP"), 250, 0, 1000
        ),
        payments=payments,
        mp_access_token=environ.get("AUTOGESTION_MP_ACCESS_TOKEN", "").strip(),
        mp_webhook_secret=environ.get("AUTOGESTION_MP_WEBHOOK_SECRET", "").strip(),
        mp_api_url=mp_api_url,
        allowed_origins=_origins("AUTOGESTION_ALLOWED_ORIGINS", environ.get("AUTOGESTION_ALLOWED_ORIGINS", "")),
        redis_url=redis_url,
        workers=_int(
            "AUTOGESTION_WORKERS", environ.get("AUTOGESTION_WORKERS"), _default_workers(environ, redis_url), 1, 64
        ),
        hosts=_int("AUTOGESTION_HOSTS", environ.get("AUTOGESTION_HOSTS"), 1, 1, 100),
        outbox_processes=_int("AUTOGESTION_OUTBOX_PROCESSES", environ.get("AUTOGESTION_OUTBOX_PROCESSES"), 1, 0, 100),
        db_pool_size=_int("AUTOGESTION_DB_POOL_SIZE", environ.get("AUTOGESTION_DB_POOL_SIZE"), 5, 1, 1000),
        db_max_overflow=_int("AUTOGESTION_DB_MAX_OVERFLOW", environ.get("AUTOGESTION_DB_MAX_OVERFLOW"), 5, 0, 1000),
        db_pool_timeout=_seconds("AUTOGESTION_DB_POOL_TIMEOUT", environ.get("AUTOGESTION_DB_POOL_TIMEOUT"), 5.0),
        db_reserve=_int("AUTOGESTION_DB_RESERVE", environ.get("AUTOGESTION_DB_RESERVE"), 5, 0, 10000),
        outbox_in_backend=_bool("AUTOGESTION_OUTBOX_IN_BACKEND", environ.get("AUTOGESTION_OUTBOX_IN_BACKEND"), True),
        handler_timing=_bool("AUTOGESTION_HANDLER_TIMING", environ.get("AUTOGESTION_HANDLER_TIMING"), False),
    )
    if settings.workers > 1 and not settings.redis_url:
        # Reflex keeps each tab's state in the worker's memory (or its disk) without Redis: a second
        # worker would see another state for the same tab.
        raise ConfigError(
            f"AUTOGESTION_WORKERS={settings.workers} needs REFLEX_REDIS_URL (the workers share state through Redis)"
        )
    if settings.is_production:
        _refuse_unsafe_production(settings)
    return settings


def _refuse_unsafe_production(settings: Settings) -> None:
    if settings.captcha_test_answer:
        raise ConfigError("AUTOGESTION_CAPTCHA_TEST_ANSWER must not be set in production")
    if settings.dev_pages:
        raise ConfigError("AUTOGESTION_DEV_PAGES (the dev mail page) must be off in production")
    if settings.smtp_sink:
        raise ConfigError("AUTOGESTION_SMTP_SINK (the local SMTP sink) must be off in production")
    if settings.secret_key == DEV_SECRET_KEY or len(settings.secret_key) < 32:
        raise ConfigError(
            "AUTOGESTION_SECRET_KEY must be set to a random value of at least 32 characters in production"
        )
    if _entropy_bits(settings.secret_key) < 96 or len(set(settings.secret_key)) < 10:
        raise ConfigError(
            "AUTOGESTION_SECRET_KEY looks guessable (too few distinct characters); use e.g. "
            "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`"
        )
    if not settings.base_url.startswith("https://"):
        raise ConfigError("AUTOGESTION_BASE_URL must be https:// in production (the session cookie is Secure)")
    if settings.smtp_tls == "none" and settings.smtp_host not in LOCAL_HOSTS:
        raise ConfigError("AUTOGESTION_SMTP_TLS must be starttls or tls for a relay that is not on this machine")
    if not settings.sms_gateway_url:
        raise ConfigError(
            "AUTOGESTION_SMS_GATEWAY_URL must be set in production (the SMS file outbox is for development)"
        )
    if settings.database_url.startswith("sqlite"):
        raise ConfigError("DATABASE_URL must point to PostgreSQL in production")
    if settings.payments == "demo":
        raise ConfigError("AUTOGESTION_PAYMENTS=demo (a checkout that charges nothing) is refused in production")
    if not settings.mp_access_token:
        raise ConfigError("AUTOGESTION_MP_ACCESS_TOKEN must be set in production")
    if not settings.mp_webhook_secret:
        raise ConfigError("AUTOGESTION_MP_WEBHOOK_SECRET must be set in production")
    if not settings.mp_api_url.startswith("https://"):
        raise ConfigError("AUTOGESTION_MP_API_URL must be https:// in production")
    if any(not origin.startswith("https://") for origin in settings.allowed_origins):
        raise ConfigError("AUTOGESTION_ALLOWED_ORIGINS must list only https:// origins in production")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (tests call get_settings.cache_clear() after changing the environment)."""
    return load_settings()
