"""Settings shared by every environment.

Everything that differs between machines is read from the environment here, once; `dev`, `test` and
`production` only choose defaults and tighten what must be tight. Nothing branches on DEBUG.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    value = env(name)
    if value is None:
        return list(default or [])
    return [item.strip() for item in value.split(",") if item.strip()]


SECRET_KEY = env("SECRET_KEY", "insecure-dev-key-change-me-this-is-not-for-production-use")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
SITE_NAME = env("SITE_NAME", "Brand Community")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "django.contrib.postgres",
    "channels",
    "taggit",
    "django_tasks",
    "django_tasks_db",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "accounts",
    "community.metrics",
    "community.loyalty",
    "community.forum",
    "community.notifications",
    "community.content",
    "community.live",
    "events",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Ours are synchronous only, and last: under ASGI, Django runs every middleware outside the innermost
    # synchronous one synchronously too, so the whole chain runs in one thread. Put in the middle, they made
    # the ones inside them switch to async mode, each hook a hop between threads.
    "accounts.middleware.MemberLocaleMiddleware",
    "community.metrics.middleware.VisitMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
SITE_ID = 1

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.site",
                "community.notifications.context_processors.unread_count",
            ],
            # {% url %} with literal arguments remembered per process; the language switcher (config/templatetags)
            "builtins": ["config.templatetags.site"],
        },
    },
]

# --- Database: DATABASE_URL, or a SQLite file beside the code -------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(env("DB_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Stock SQLite plus a few connections kept open between requests (config/db/sqlite3/base.py says why).
    DATABASES["default"]["ENGINE"] = "config.db.sqlite3"
    # WAL lets the task worker and the web server share the file without "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )


# Threads one server process works on HTTP requests with (config/asgi_http.py); each holds a database connection
# while it works, so DB_POOL_MAX should be at least this.
HTTP_THREADS = int(env("HTTP_THREADS", "8"))


def use_postgres_pool(database: dict) -> None:
    """Django's connection pool (psycopg_pool) for a PostgreSQL database: requests run on several threads, and
    opening a PostgreSQL connection per request cost 4 to 9 ms. Production uses it unless
    DB_POOL=0; elsewhere DB_POOL=1 turns it on."""
    if database["ENGINE"] != "django.db.backends.postgresql":
        return
    database["CONN_MAX_AGE"] = 0  # the pool replaces persistent connections (Django refuses both)
    database.setdefault("OPTIONS", {})["pool"] = {
        "min_size": int(env("DB_POOL_MIN", "2")),
        "max_size": int(env("DB_POOL_MAX", "10")),
        "timeout": int(env("DB_POOL_TIMEOUT", "10")),
    }


if env_bool("DB_POOL", False):
    use_postgres_pool(DATABASES["default"])
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: channel layer and cache shared by all workers, or in-process defaults -------------------------
REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": env("CHANNEL_PREFIX", "community")},
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_PREFIX", "community"),
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Background work: Django's tasks API ----------------------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": env("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default", "email", "digests", "newsletters"],
    }
}

# --- Accounts -------------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
# Django's and allauth's backends, loading the signed-in member with one raw query (accounts/backends.py).
AUTHENTICATION_BACKENDS = [
    "accounts.backends.ModelBackend",
    "accounts.backends.AuthenticationBackend",
]
SESSION_ENGINE = "accounts.sessions"  # Django's database sessions, read with one raw query
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"

ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_PRESERVE_USERNAME_CASING = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{SITE_NAME}] "
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupExtraForm"
# allauth keeps its counters in the default cache, which is Redis (shared by all workers) in production.
ACCOUNT_RATE_LIMITS = {
    "login_failed": env("RATE_LIMIT_LOGIN_FAILED", "5/5m/ip,5/5m/key"),
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
}
SOCIALACCOUNT_PROVIDERS: dict = {}  # providers are configured here and enabled per brand; none by default
SOCIALACCOUNT_EMAIL_VERIFICATION = "mandatory"

AVATAR_MAX_BYTES = 2 * 1024 * 1024
AVATAR_MAX_PIXELS = 4096 * 4096
AVATAR_SIZE = 256

# --- Internationalisation -------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("sw", _("Swahili")),
    ("lv", _("Latvian")),
    ("hy", _("Armenian")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

# --- Static and media -----------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = env("MEDIA_URL", "/media/")
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": env("MEDIA_STORAGE", "django.core.files.storage.FileSystemStorage")},
    "staticfiles": {"BACKEND": "config.storage.StaticFilesStorage"},  # whitenoise's, URLs remembered
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440


# --- Email ----------------------------------------------------------------------------------------------
def _email_from_url(url: str) -> dict:
    """EMAIL_URL such as smtp://user:pass@host:587?tls=1, console:// or locmem://."""
    parsed = urlparse(url)
    scheme = parsed.scheme
    backends = {
        "console": "django.core.mail.backends.console.EmailBackend",
        "locmem": "django.core.mail.backends.locmem.EmailBackend",
        "smtp": "django.core.mail.backends.smtp.EmailBackend",
        "smtps": "django.core.mail.backends.smtp.EmailBackend",
    }
    if scheme not in backends:
        raise ImproperlyConfigured(f"EMAIL_URL scheme must be one of {sorted(backends)}, not {scheme!r}")
    conf: dict = {"EMAIL_BACKEND": backends[scheme]}
    if scheme.startswith("smtp"):
        query = parse_qs(parsed.query)
        conf.update(
            EMAIL_HOST=parsed.hostname or "localhost",
            EMAIL_PORT=parsed.port or (465 if scheme == "smtps" else 587),
            EMAIL_HOST_USER=unquote(parsed.username or ""),
            EMAIL_HOST_PASSWORD=unquote(parsed.password or ""),
            EMAIL_USE_SSL=scheme == "smtps",
            EMAIL_USE_TLS=scheme == "smtp" and query.get("tls", ["1"])[0] == "1",
            EMAIL_TIMEOUT=10,
        )
    return conf


globals().update(_email_from_url(env("EMAIL_URL", "console://")))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Brand Community <community@example.com>")
SERVER_EMAIL = env("SERVER_EMAIL", DEFAULT_FROM_EMAIL)

# --- Security defaults that hold everywhere -------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the cookie-free hx-headers in base.html
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- Realtime -------------------------------------------------------------------------------------------
REALTIME_BACKLOG = int(env("REALTIME_BACKLOG", "500"))  # events kept per stream for catch-up
REALTIME_MAX_FRAME_BYTES = 64 * 1024
REALTIME_RECHECK_SECONDS = float(env("REALTIME_RECHECK_SECONDS", "5"))  # sockets re-check access this often

# --- Events ---------------------------------------------------------------------------------------------
from datetime import timedelta as _timedelta  # noqa: E402

# Reminders before an event starts (email + in-app), sent by `manage.py send_event_reminders` (run it every
# few minutes); comma-separated minutes in the environment, e.g. EVENT_REMINDER_OFFSETS=1440,60.
EVENT_REMINDER_OFFSETS = [_timedelta(minutes=int(m)) for m in env_list("EVENT_REMINDER_OFFSETS", ["1440", "60"])]
EVENT_SURVEY_DELAY = _timedelta(hours=1)  # feedback survey this long after an event ends
EVENT_COVER_MAX_BYTES = 5 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# --- Blog and newsletters (community.content) -----------------------------------------------------------
NEWSLETTER_TRACKING = env_bool("NEWSLETTER_TRACKING", True)  # off: no open pixel, no rewritten links, anywhere
NEWSLETTER_WEBHOOK_SECRET = env("NEWSLETTER_WEBHOOK_SECRET", "")  # X-Webhook-Secret of the bounce webhook
NEWSLETTER_BATCH_SIZE = int(env("NEWSLETTER_BATCH_SIZE", "500"))  # recipients claimed and sent per batch
NEWSLETTER_BATCHES_PER_TASK = int(env("NEWSLETTER_BATCHES_PER_TASK", "20"))
NEWSLETTER_CLAIM_TIMEOUT = int(env("NEWSLETTER_CLAIM_TIMEOUT", "900"))  # seconds before 'sending' means 'unknown'
CONTENT_DISCUSSION_CATEGORY = env("CONTENT_DISCUSSION_CATEGORY", "")  # forum category slug for article comments
