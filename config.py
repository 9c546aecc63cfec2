"""Configuration, read from the environment (12-factor).

``create_app`` takes one of the classes below (or its name). Every variable is listed in
``.env.example``. Production refuses to start without its required secrets: nothing secret has
a default there.
"""

from __future__ import annotations

import json
import os
import secrets
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("KITODECK_INSTANCE_DIR", BASE_DIR / "instance"))


def env_str(name: str, default: str | None = None) -> str | None:
    """A variable's value, with empty strings treated as unset."""
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def env_int(name: str, default: int) -> int:
    """An integer variable."""
    value = env_str(name)
    return int(value) if value is not None else default


def env_bool(name: str, default: bool = False) -> bool:
    """A boolean variable: 1/true/yes/on are true."""
    value = env_str(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    """A comma-separated list."""
    return [item.strip() for item in (env_str(name, default) or "").split(",") if item.strip()]


def normalise_database_url(url: str | None) -> str | None:
    """Make any PostgreSQL URL use the psycopg 3 driver."""
    if not url:
        return url
    for prefix in ("postgres://", "postgresql://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def development_secret(name: str) -> str:
    """A random secret kept under instance/ so development tokens survive a restart."""
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    path = INSTANCE_DIR / f"{name.lower()}.dev"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


class Config:
    """Settings shared by every environment."""

    ENV_NAME = "base"
    GENERATE_DEV_SECRETS = False
    REQUIRED: tuple[str, ...] = ()

    SECRET_KEY = env_str("SECRET_KEY")
    JWT_SECRET_KEY = env_str("JWT_SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = normalise_database_url(env_str("DATABASE_URL"))
    SQLALCHEMY_ENGINE_OPTIONS = {
        "pool_pre_ping": True,
        "pool_size": env_int("DB_POOL_SIZE", 5),
        "max_overflow": env_int("DB_MAX_OVERFLOW", 5),
        "pool_timeout": env_int("DB_POOL_TIMEOUT", 5),
        "pool_recycle": 1800,
        "connect_args": {
            "connect_timeout": env_int("DB_CONNECT_TIMEOUT", 3),
            # A runaway query must not hold a worker forever.
            "options": f"-c statement_timeout={env_int('DB_STATEMENT_TIMEOUT_MS', 15000)}",
        },
    }
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    #: The per-request session/user lookup runs outside a transaction (see common/auth.py).
    AUTH_LOOKUP_AUTOCOMMIT = env_bool("AUTH_LOOKUP_AUTOCOMMIT", True)

    # API docs (flask-smorest). Swagger UI and ReDoc assets are vendored under static/docs.
    API_TITLE = "KitoDeck API"
    API_VERSION = "1.0.0"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/schema"
    OPENAPI_JSON_PATH = "openapi.json"
    OPENAPI_SWAGGER_UI_PATH = "/swagger-ui/"
    OPENAPI_SWAGGER_UI_URL = "/static/docs/swagger-ui/"
    OPENAPI_SWAGGER_UI_CONFIG = {"persistAuthorization": False, "tryItOutEnabled": True}
    OPENAPI_REDOC_PATH = "/redoc/"
    OPENAPI_REDOC_URL = "/static/docs/redoc/redoc.standalone.js"
    API_SPEC_OPTIONS = {
        "info": {
            "description": (
                "KitoDeck protects people on dating and social apps from setups ('kito'): "
                "image scanning with NudeNet, chat analysis with Detoxify and conversation-level "
                "kito pattern detection, accounts, moderation and reports."
            ),
            "license": {"name": "Proprietary"},
        },
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            }
        },
    }
    PAGINATION_MAX_PAGE_SIZE = 100

    # Limits on what a request may carry.
    MAX_CONTENT_LENGTH = env_int("MAX_CONTENT_LENGTH", 12 * 1024 * 1024)
    MAX_JSON_BYTES = env_int("MAX_JSON_BYTES", 1024 * 1024)
    MAX_JSON_DEPTH = env_int("MAX_JSON_DEPTH", 20)
    MAX_IMAGE_BYTES = env_int("MAX_IMAGE_BYTES", 10 * 1024 * 1024)
    MAX_IMAGE_PIXELS = env_int("MAX_IMAGE_PIXELS", 40_000_000)

    # JWT: short access tokens, refresh tokens bounded by the session's absolute lifetime.
    JWT_TOKEN_LOCATION = ["headers"]
    JWT_ACCESS_TOKEN_EXPIRES = timedelta(minutes=env_int("JWT_ACCESS_MINUTES", 15))
    JWT_REFRESH_TOKEN_EXPIRES = timedelta(days=env_int("SESSION_LIFETIME_DAYS", 30))
    SESSION_LIFETIME = timedelta(days=env_int("SESSION_LIFETIME_DAYS", 30))
    JWT_ALGORITHM = "HS256"
    JWT_DECODE_ALGORITHMS = ["HS256"]
    JWT_ERROR_MESSAGE_KEY = "message"
    PROPAGATE_EXCEPTIONS = False

    # Cache (Flask-Caching): Redis when configured, else in-process.
    REDIS_URL = env_str("REDIS_URL")
    CACHE_TYPE = "RedisCache" if REDIS_URL else "SimpleCache"
    CACHE_REDIS_URL = REDIS_URL
    CACHE_DEFAULT_TIMEOUT = env_int("CACHE_DEFAULT_TIMEOUT", 60)
    # The in-process cache prunes a third of its entries past this size; image-analysis
    # entries must not push out the report and rules version keys.
    CACHE_THRESHOLD = env_int("CACHE_THRESHOLD", 20_000)
    CACHE_KEY_PREFIX = "kitodeck:"

    # Rate limits (Flask-Limiter notation).
    RATELIMIT_STORAGE_URI = REDIS_URL or "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    # Redis down: requests go on unthrottled (logged) rather than failing; see README.
    RATELIMIT_SWALLOW_ERRORS = env_bool("RATELIMIT_SWALLOW_ERRORS", True)
    RATELIMIT_STRATEGY = "moving-window"
    RATELIMIT_ENABLED = env_bool("RATELIMIT_ENABLED", True)
    RATELIMIT_LOGIN_ACCOUNT = env_str("RATELIMIT_LOGIN_ACCOUNT", "10/minute;100/hour")
    RATELIMIT_LOGIN_IP = env_str("RATELIMIT_LOGIN_IP", "30/minute")
    RATELIMIT_SIGNUP_IP = env_str("RATELIMIT_SIGNUP_IP", "20/hour")
    RATELIMIT_EMAIL_IP = env_str("RATELIMIT_EMAIL_IP", "20/hour")
    RATELIMIT_SCANS_USER = env_str("RATELIMIT_SCANS_USER", "60/minute")
    TRUSTED_PROXIES = env_int("TRUSTED_PROXIES", 0)

    # Mail.
    PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", "http://localhost:8000")
    MAIL_SERVER = env_str("MAIL_SERVER")
    MAIL_PORT = env_int("MAIL_PORT", 25)
    MAIL_USE_TLS = env_bool("MAIL_USE_TLS", False)
    MAIL_USE_SSL = env_bool("MAIL_USE_SSL", False)
    MAIL_USERNAME = env_str("MAIL_USERNAME")
    MAIL_PASSWORD = env_str("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = env_str("MAIL_DEFAULT_SENDER", "KitoDeck <no-reply@kitodeck.local>")
    MAIL_TIMEOUT = env_int("MAIL_TIMEOUT", 5)
    # Without MAIL_SERVER, emails are written to the log (development only).
    MAIL_LOG_ONLY = MAIL_SERVER is None
    # Flask-Mail would suppress sending whenever TESTING is on; the tests use a real SMTP server.
    MAIL_SUPPRESS_SEND = env_bool("MAIL_SUPPRESS_SEND", False)
    # Send from a small thread pool (a slow SMTP server never holds a request).
    MAIL_ASYNC = env_bool("MAIL_ASYNC", True)
    MAIL_WORKERS = env_int("MAIL_WORKERS", 2)

    # Accounts: password hashing (argon2id), password policy, emailed tokens, links.
    ARGON2_TIME_COST = env_int("ARGON2_TIME_COST", 2)
    ARGON2_MEMORY_COST = env_int("ARGON2_MEMORY_COST", 19456)  # KiB
    ARGON2_PARALLELISM = env_int("ARGON2_PARALLELISM", 1)
    PASSWORD_MIN_LENGTH = env_int("PASSWORD_MIN_LENGTH", 8)
    PASSWORD_MAX_LENGTH = env_int("PASSWORD_MAX_LENGTH", 128)
    PASSWORD_MIN_SCORE = env_int("PASSWORD_MIN_SCORE", 2)  # zxcvbn score 0..4
    EMAIL_VERIFICATION_TTL = timedelta(hours=env_int("EMAIL_VERIFICATION_HOURS", 48))
    PASSWORD_RESET_TTL = timedelta(minutes=env_int("PASSWORD_RESET_MINUTES", 20))
    # Paths under PUBLIC_BASE_URL of the client pages that emails link to.
    EMAIL_VERIFY_PATH = env_str("EMAIL_VERIFY_PATH", "/verify-email?token={token}")
    PASSWORD_RESET_PATH = env_str("PASSWORD_RESET_PATH", "/reset-password?token={token}")
    LOGIN_PATH = env_str("LOGIN_PATH", "/login")
    FORGOT_PASSWORD_PATH = env_str("FORGOT_PASSWORD_PATH", "/forgot-password")
    RATELIMIT_EMAIL_ACCOUNT = env_str("RATELIMIT_EMAIL_ACCOUNT", "5/hour")
    RATELIMIT_EMAIL_USER = env_str("RATELIMIT_EMAIL_USER", "5/hour")

    # HTTP.
    CORS_ORIGINS = env_list("CORS_ORIGINS")
    JSON_LOGS = env_bool("JSON_LOGS", True)
    LOG_LEVEL = env_str("LOG_LEVEL", "INFO")

    # Engines.
    TEXT_ENGINE = env_str("TEXT_ENGINE", "auto")
    DETOXIFY_MODEL = env_str("DETOXIFY_MODEL", "original")
    DETOXIFY_CHECKPOINT = env_str("DETOXIFY_CHECKPOINT")
    DETOXIFY_CONFIG_DIR = env_str("DETOXIFY_CONFIG_DIR")
    ENGINE_THREADS = env_int("ENGINE_THREADS", 1)
    NUDENET_MODEL_PATH = env_str("NUDENET_MODEL_PATH")
    NUDENET_RESOLUTION = env_int("NUDENET_RESOLUTION", 320)
    #: JSON overrides of the image policy, e.g. {"min_scores": {"explicit": 0.5}} (README).
    IMAGE_POLICY = json.loads(env_str("IMAGE_POLICY", "{}") or "{}")
    CHAT_MAX_MESSAGES = env_int("CHAT_MAX_MESSAGES", 500)
    CHAT_MAX_MESSAGE_CHARS = env_int("CHAT_MAX_MESSAGE_CHARS", 5000)
    CHAT_MAX_TOTAL_CHARS = env_int("CHAT_MAX_TOTAL_CHARS", 200_000)
    STORE_TRANSCRIPTS = env_bool("STORE_TRANSCRIPTS", False)
    REPORTS_CACHE_SECONDS = env_int("REPORTS_CACHE_SECONDS", 60)
    SCAN_RETENTION_DAYS = env_int("SCAN_RETENTION_DAYS", 365)

    @classmethod
    def missing(cls) -> list[str]:
        """Required settings that are not set."""
        return [name for name in cls.REQUIRED if not getattr(cls, name, None)]


class DevelopmentConfig(Config):
    """`make run`: the embedded PostgreSQL, emails in the log, secrets kept under instance/."""

    ENV_NAME = "development"
    #: Missing secrets are generated once and kept under instance/ (see ``apply_dev_secrets``).
    GENERATE_DEV_SECRETS = True
    JSON_LOGS = env_bool("JSON_LOGS", False)


class TestingConfig(Config):
    """pytest: a throwaway PostgreSQL, fixed secrets, limits on unless a test turns them off."""

    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-secret-key-not-for-production-0123456789"  # noqa: S105
    JWT_SECRET_KEY = "testing-jwt-secret-key-not-for-production-0123456789"  # noqa: S105
    SQLALCHEMY_DATABASE_URI = normalise_database_url(env_str("TEST_DATABASE_URL"))
    REDIS_URL = None
    CACHE_TYPE = "SimpleCache"
    CACHE_REDIS_URL = None
    RATELIMIT_STORAGE_URI = "memory://"
    PUBLIC_BASE_URL = "https://kitodeck.test"
    MAIL_SERVER = "localhost"
    MAIL_LOG_ONLY = False
    JSON_LOGS = True
    TEXT_ENGINE = "fallback"
    # Tests share one rolled-back transaction, which a separate autocommit connection
    # cannot see; tests/test_auth_autocommit.py turns it on over committed data.
    AUTH_LOOKUP_AUTOCOMMIT = False


class ProductionConfig(Config):
    """gunicorn behind a proxy: every secret and the database come from the environment."""

    ENV_NAME = "production"
    REQUIRED = ("SECRET_KEY", "JWT_SECRET_KEY", "SQLALCHEMY_DATABASE_URI")
    SESSION_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def get_config(name: str | None = None) -> type[Config]:
    """The config class for ``name`` or ``KITODECK_ENV`` (default: development)."""
    key = (name or env_str("KITODECK_ENV", "development") or "development").lower()
    if key not in CONFIGS:
        raise ValueError(f"Unknown KITODECK_ENV {key!r}; choose one of {sorted(CONFIGS)}")
    return CONFIGS[key]
