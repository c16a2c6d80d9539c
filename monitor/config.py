"""One configuration class per environment. Secrets come from the environment."""

import os
from datetime import timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Config:
    ENV_NAME = "base"
    SECRET_KEY: str | None = os.environ.get("SECRET_KEY")
    DATABASE_URL = os.environ.get(
        "DATABASE_URL", f"sqlite:///{PROJECT_ROOT / 'instance' / 'monitor.sqlite3'}"
    )
    CHECKLIST_TEMPLATE_DIR = str(PROJECT_ROOT / "checklist_templates")
    DEFAULT_TEMPLATE = ("hep-light-touch", 1)
    DEMO_MODE = os.environ.get("MONITOR_DEMO", "0") == "1"

    # Sessions: no remember-me, idle timeout, cookie flags.
    SESSION_COOKIE_NAME = "hep_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = True
    PERMANENT_SESSION_LIFETIME = timedelta(hours=8)
    IDLE_TIMEOUT = timedelta(minutes=30)
    # However active, a session ends this long after sign-in (monitor.web.security).
    ABSOLUTE_SESSION_LIFETIME = timedelta(hours=12)
    REMEMBER_COOKIE_DURATION = timedelta(seconds=0)

    # Sign-in throttling.
    LOCKOUT_THRESHOLD = 10
    LOCKOUT_PERIOD = timedelta(minutes=15)
    ADDRESS_FAILURE_LIMIT = 30
    ADDRESS_FAILURE_WINDOW = timedelta(minutes=15)

    # argon2id cost (argon2-cffi's RFC 9106 low-memory profile).
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 65536

    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    MAX_CONTENT_LENGTH = 5 * 1024 * 1024
    # Endpoints allowed a larger body than MAX_CONTENT_LENGTH: the national files an ICB
    # is set up from (epraccur ~3 MB, a Fingertips national export ~2 MB, a Cloud Based
    # Telephony workbook several MB) are uploaded several at once; a national GP
    # appointments month imported for the practices' figures is hundreds of MB (streamed
    # to disk, never held in memory).
    UPLOAD_LIMITS = {
        "organisations.update": 60 * 1024 * 1024,
        "national_imports.upload": 1024 * 1024 * 1024,
    }
    # Number of trusted reverse proxies in front of the app (X-Forwarded-For hops).
    PROXY_FIX_X_FOR = int(os.environ.get("PROXY_FIX_X_FOR", "0"))
    TEMPLATES_AUTO_RELOAD = False
    # Background jobs (monitor.jobs): on SQLite the queue is this file (default: beside
    # the database); JOBS_IN_PROCESS runs a worker thread inside the app, so the
    # embedded deployment (`make run`) needs nothing else started.
    JOBS_SQLITE_PATH = os.environ.get("JOBS_SQLITE_PATH")
    JOBS_IN_PROCESS = os.environ.get("JOBS_IN_PROCESS", "0") == "1"
    JOBS_POLL_SECONDS = float(os.environ.get("JOBS_POLL_SECONDS", "1"))
    # A running import no worker has reported on for this long is taken to be lost (its
    # worker died) and is queued again when a worker starts.
    JOBS_LOST_AFTER_SECONDS = float(os.environ.get("JOBS_LOST_AFTER_SECONDS", "600"))
    # Rendered charts, shared by every worker (monitor.web.chart_cache): a directory all
    # of them can write, on a volume every app server mounts. Default: <instance>/chart-cache.
    CHART_CACHE_DIR = os.environ.get("CHART_CACHE_DIR")
    # Draw a practice's charts in a job when its data change (monitor.jobs), so its next
    # views read them from the cache. Off in tests (TestConfig): no worker runs there, so
    # queued jobs would only pile up; tests/services/test_prerender.py turns it on.
    PRERENDER_CHARTS = os.environ.get("PRERENDER_CHARTS", "1") == "1"
    # The job starts this long after the change that queued it: a practice manager saving
    # a month's figures one page after another gets one job for them all (changes made
    # while a job waits need none of their own), not one per page.
    PRERENDER_DELAY_SECONDS = float(os.environ.get("PRERENDER_DELAY_SECONDS", "30"))


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    DEBUG = True
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-not-secret")
    SESSION_COOKIE_SECURE = False  # http://127.0.0.1 in development
    DEMO_MODE = os.environ.get("MONITOR_DEMO", "1") == "1"
    TEMPLATES_AUTO_RELOAD = True
    JOBS_IN_PROCESS = os.environ.get("JOBS_IN_PROCESS", "1") == "1"


class TestConfig(Config):
    ENV_NAME = "test"
    TESTING = True
    SECRET_KEY = "test-secret-key"
    SESSION_COOKIE_SECURE = False
    DATABASE_URL = "sqlite://"
    DEMO_MODE = True
    # Argon2 at production cost makes a suite of hundreds of sign-ins slow; the
    # algorithm and code path are unchanged.
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 8
    CHART_CACHE_DIR = None  # each test app its own temporary directory
    PRERENDER_CHARTS = False
    PRERENDER_DELAY_SECONDS = 0.0


class ProductionConfig(Config):
    ENV_NAME = "production"
    DEBUG = False
    # The __Host- prefix makes the browser refuse the cookie unless it is Secure, for
    # Path=/ and without a Domain: no sibling subdomain or plain-HTTP page can plant or
    # overwrite a session cookie for this site.
    SESSION_COOKIE_NAME = "__Host-session"
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_PATH = "/"
    SESSION_COOKIE_DOMAIN = None
    # Flask-Login never sets a remember-me cookie here (remember=False); were one ever
    # set, it would carry the same protections.
    REMEMBER_COOKIE_NAME = "__Host-remember_token"
    REMEMBER_COOKIE_SECURE = True
    REMEMBER_COOKIE_PATH = "/"
    REMEMBER_COOKIE_DOMAIN = None

    @classmethod
    def check(cls) -> None:
        key = os.environ.get("SECRET_KEY")
        if not key:
            raise RuntimeError(
                "SECRET_KEY must be set in the environment in production. " + SECRET_KEY_ADVICE
            )
        problem = secret_key_problem(key)
        if problem:
            raise RuntimeError(f"SECRET_KEY {problem}. {SECRET_KEY_ADVICE}")
        if os.environ.get("FLASK_DEBUG", "0") not in ("", "0", "false", "False"):
            raise RuntimeError("Refusing to start in production with debug on (FLASK_DEBUG)")


SECRET_KEY_MIN_LENGTH = 32
SECRET_KEY_ADVICE = 'Generate one with: python -c "import secrets; print(secrets.token_hex(32))"'


def secret_key_problem(key: str) -> str | None:
    """Why a key is too weak to sign sessions with, or None: it must carry at least 32
    random bytes' worth, so 32 printable characters, or 64 if it is written in hex (4
    bits a character), and not be one character or a short pattern repeated."""
    if all(ch in "0123456789abcdefABCDEF" for ch in key):
        if len(key) < 2 * SECRET_KEY_MIN_LENGTH:
            return (
                f"is {len(key)} hexadecimal characters: it must be at least "
                f"{2 * SECRET_KEY_MIN_LENGTH} (32 random bytes)"
            )
    elif len(key) < SECRET_KEY_MIN_LENGTH:
        return (
            f"is {len(key)} characters: it must be at least {SECRET_KEY_MIN_LENGTH} "
            "(32 random bytes' worth)"
        )
    if len(set(key)) < 10:
        return "repeats too few characters to be random"
    return None


CONFIGS = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}


def config_for(name: str | None) -> type[Config]:
    name = name or os.environ.get("MONITOR_ENV", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(
            f"Unknown MONITOR_ENV {name!r}: choose one of {', '.join(CONFIGS)}"
        ) from None
