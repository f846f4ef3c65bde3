"""Configuration: every setting comes from a ``SURVEYAPP_*`` environment variable."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any, ClassVar

INSTANCE_DIR = Path(os.environ.get("SURVEYAPP_INSTANCE_DIR", Path.cwd() / "instance"))


def env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"SURVEYAPP_{name}", default)


def env_bool(name: str, default: bool) -> bool:
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def database_url(url: str | None) -> str:
    """Default to SQLite in the instance folder; a plain ``postgresql://`` means psycopg 3."""
    if not url:
        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)  # SQLite creates the file, not the folder
        return f"sqlite:///{INSTANCE_DIR / 'surveyapp.sqlite'}"
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def demo_secret_key() -> str:
    """A key generated once into instance/ so demo sessions survive restarts."""
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


class ConfigError(RuntimeError):
    """The environment does not describe a runnable app."""


class Config:
    """Production defaults; ``from_env`` fills it in."""

    SECRET_KEY: str | None = None
    SQLALCHEMY_DATABASE_URI = ""
    SQLALCHEMY_ENGINE_OPTIONS: ClassVar[dict[str, Any]] = {"pool_pre_ping": True}
    BASE_URL = "http://127.0.0.1:5000"
    REDIS_URL: str | None = None
    PROXY_HOPS = 0  # reverse proxies in front that set X-Forwarded-For/-Proto/-Host
    # Respondent pages are small forms; staff uploads raise this per request.
    MAX_CONTENT_LENGTH = 64 * 1024
    UPLOAD_MAX_BYTES = 200 * 1024 * 1024
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT: int | None = None  # a respondent may leave a page open for hours
    BABEL_DEFAULT_LOCALE = "vi"
    BABEL_DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
    LANGUAGES = ("vi", "en")
    RATELIMIT_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = False  # see errors.retry_after
    RATELIMIT_STORAGE_URI = "memory://"  # SURVEYAPP_REDIS_URL, when set, shares counts
    RATELIMIT_KEY_PREFIX = "surveyapp"
    # Redis down must not turn respondent pages into errors: count in memory meanwhile.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    # Failed sign-ins (see accounts/views/auth.py): refused per e-mail and address, and per address
    # far higher (an office signs in together); per e-mail from anywhere, only slowed.
    RATELIMIT_LOGIN = "10 per 15 minutes"
    RATELIMIT_LOGIN_IP = "100 per 15 minutes"
    RATELIMIT_LOGIN_ACCOUNT = "30 per hour"
    RATELIMIT_TOKEN = "60 per minute"  # posts per token
    # Unknown tokens per IP: generous, since one office network is many respondents.
    RATELIMIT_TOKEN_MISSES = "20 per 10 minutes"
    RATELIMIT_OPEN_LINK = "120 per minute"
    # A counter tablet's visit idle this long since its last saved page is the next
    # person's: it starts over (the answers so far stay, unsent).
    KIOSK_IDLE_SECONDS = 300
    SMTP_URL: str | None = None
    # Exports of more responses than this run as background jobs; their files live in
    # EXPORT_DIR (shared by web and worker processes) for EXPORT_RETENTION_HOURS.
    EXPORT_ASYNC_ROWS = 20_000
    EXPORT_DIR = str(INSTANCE_DIR / "exports")
    EXPORT_RETENTION_HOURS = 24
    # Frame files of more rows than this are checked and imported as background jobs.
    FRAME_ASYNC_ROWS = 50_000
    DEMO = False
    TESTING = False

    @classmethod
    def from_env(cls, *, demo: bool = False) -> dict[str, Any]:
        settings = {k: getattr(cls, k) for k in dir(cls) if k.isupper()}
        settings["SQLALCHEMY_DATABASE_URI"] = database_url(env("DATABASE_URL"))
        settings["BASE_URL"] = (env("BASE_URL") or cls.BASE_URL).rstrip("/")
        settings["REDIS_URL"] = env("REDIS_URL")
        settings["PROXY_HOPS"] = int(env("PROXY_HOPS") or 0)
        if settings["REDIS_URL"]:
            settings["RATELIMIT_STORAGE_URI"] = settings["REDIS_URL"]
        settings["SESSION_COOKIE_SECURE"] = env_bool("SECURE_COOKIES", False)
        settings["REMEMBER_COOKIE_SECURE"] = settings["SESSION_COOKIE_SECURE"]
        settings["RATELIMIT_ENABLED"] = env_bool("RATELIMIT_ENABLED", True)
        settings["SMTP_URL"] = env("SMTP_URL")
        settings["KIOSK_IDLE_SECONDS"] = int(env("KIOSK_IDLE_SECONDS") or cls.KIOSK_IDLE_SECONDS)
        settings["EXPORT_ASYNC_ROWS"] = int(env("EXPORT_ASYNC_ROWS") or cls.EXPORT_ASYNC_ROWS)
        settings["EXPORT_DIR"] = env("EXPORT_DIR") or cls.EXPORT_DIR
        settings["EXPORT_RETENTION_HOURS"] = float(
            env("EXPORT_RETENTION_HOURS") or cls.EXPORT_RETENTION_HOURS
        )
        settings["FRAME_ASYNC_ROWS"] = int(env("FRAME_ASYNC_ROWS") or cls.FRAME_ASYNC_ROWS)
        settings["DEMO"] = demo
        settings["SECRET_KEY"] = env("SECRET_KEY") or (demo_secret_key() if demo else None)
        return settings


def check(settings: dict[str, Any]) -> None:
    """Refuse to start without what production needs."""
    if not settings.get("SECRET_KEY"):
        raise ConfigError(
            "SURVEYAPP_SECRET_KEY is not set. Generate one with "
            "`python -c 'import secrets; print(secrets.token_urlsafe(48))'` "
            "(only `surveyapp demo` makes its own)."
        )
