"""Django settings for Clientela. Every deployment knob is a CLIENTELA_* variable (README)."""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from clientela import config

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = config.data_dir()

SECRET_KEY = config.secret_key(DATA_DIR)
DEBUG = config.env_bool("DEBUG", False)
ALLOWED_HOSTS = config.env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = config.env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = config.env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.admin",
    "django_htmx",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "django_rq",
    "axes",
    "ninja",
    "clientela.core",
    "clientela.users",
    "clientela.clients",
    "clientela.leads",
    "clientela.activities",
    "clientela.intake",
    "clientela.imports",
    "clientela.comms",
    "clientela.deals",
    "clientela.mail",
    "clientela.retention",
    "clientela.analytics",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "clientela.users.middleware.UserLanguageMiddleware",
    "clientela.users.middleware.UserTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "clientela.core.middleware.BusinessErrorMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "clientela.urls"
WSGI_APPLICATION = "clientela.wsgi.application"

# Covering indexes (`Index(include=…)`) serve index-only counts on PostgreSQL; SQLite builds them
# without the extra columns, which is all it can do — not a problem worth a warning per command.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "clientela" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "clientela.core.context_processors.navigation",
                "clientela.core.notifications_context.notifications",
            ],
        },
    }
]

# --- Database: SQLite file by default (WAL), PostgreSQL when CLIENTELA_DATABASE_URL says so.
DATABASE_URL = config.env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'clientela.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Every connection (web threads, the worker, the scheduler, commands) is opened by Django with
    # these: WAL (readers never wait for the writer), a writer waits up to 30 s for another one's
    # commit instead of failing with "database is locked" (busy_timeout; the import commits in
    # batches well under that), and transactions take the write lock when they begin (IMMEDIATE),
    # so two writers queue up rather than deadlock when a reading transaction starts to write.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            " PRAGMA busy_timeout=30000; PRAGMA cache_size=-64000;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache: shared by every process (throttling, rate limits). Redis when configured.
REDIS_URL = config.env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "clientela_cache",
        }
    }

# --- Users and passwords.
AUTH_USER_MODEL = "users.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "users:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "users:login"
PASSWORD_RESET_TIMEOUT = 3 * 24 * 3600

# Login throttling: lock a username+address pair after N failures for a cool-off period.
AXES_FAILURE_LIMIT = config.env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = config.env_int("LOGIN_COOLOFF_MINUTES", 15) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "users/locked_out.html"
AXES_VERBOSE = False
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_IPWARE_PROXY_COUNT = config.env_int("PROXY_COUNT", 0) or None

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = config.env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if config.env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Languages: every user-facing string exists in these five.
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("ro", _("Romanian")),
    ("ru", _("Russian")),
    ("hu", _("Hungarian")),
    ("ms", _("Malay")),
]
LOCALE_PATHS = [BASE_DIR / "clientela" / "locale"]
USE_I18N = True
USE_TZ = True
# Stored in UTC; shown in each reader's zone (their own, else their team's, else this one).
TIME_ZONE = config.env_str("TIME_ZONE", "UTC")
# Dates in each language's own way; English the European way (en-GB, 24-hour clock).
FORMAT_MODULE_PATH = ["clientela.formats"]
# Grouping is applied where numbers are shown to people (intcomma, money formatting), never to
# ids and form values, which must round-trip ("4,627" is not an id).
USE_THOUSAND_SEPARATOR = False

# --- Static files: vendor assets come from npm at setup time (build/vendor), never a CDN.
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [("vendor", BASE_DIR / "build" / "vendor")]
# Uploaded and received files (attachments, documents): the data folder by default, or any
# S3-compatible object store (AWS S3, MinIO, Ceph, ...) with CLIENTELA_STORAGE=s3.
FILE_STORAGE = config.env_str("STORAGE", "filesystem").lower()
if FILE_STORAGE == "s3":
    _default_storage: dict = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": config.env_str("S3_BUCKET"),
            "endpoint_url": config.env_str("S3_ENDPOINT_URL") or None,
            "access_key": config.env_str("S3_ACCESS_KEY") or None,
            "secret_key": config.env_str("S3_SECRET_KEY") or None,
            "region_name": config.env_str("S3_REGION") or None,
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
    if not config.env_str("S3_BUCKET"):
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("CLIENTELA_STORAGE=s3 needs CLIENTELA_S3_BUCKET")
elif FILE_STORAGE == "filesystem":
    _default_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": DATA_DIR / "media"},
    }
else:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("CLIENTELA_STORAGE must be filesystem or s3")
STORAGES = {
    "default": _default_storage,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG
MEDIA_ROOT = DATA_DIR / "media"

# --- Email: SMTP when CLIENTELA_EMAIL_HOST is set, otherwise files in <data>/mail for trying out.
EMAIL_HOST = config.env_str("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
else:
    EMAIL_BACKEND = config.env_str("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = DATA_DIR / "mail"
EMAIL_PORT = config.env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = config.env_str("EMAIL_USER")
EMAIL_HOST_PASSWORD = config.env_str("EMAIL_PASSWORD")
EMAIL_USE_TLS = config.env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = config.env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = config.env_int("EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = config.env_str("EMAIL_FROM", "Clientela <crm@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The company name used in message templates ({{ company }}); empty: the display name of EMAIL_FROM.
COMPANY_NAME = config.env_str("COMPANY_NAME")
# The company's base currency (ISO 4217): board totals are shown in it, converted with the
# exchange rates admins record (Settings → Sales → Exchange rates); each rate names its base.
BASE_CURRENCY = config.env_str("BASE_CURRENCY", "EUR").strip().upper()
if not (len(BASE_CURRENCY) == 3 and BASE_CURRENCY.isascii() and BASE_CURRENCY.isalpha()):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        f"CLIENTELA_BASE_CURRENCY must be an ISO 4217 code such as EUR, not {BASE_CURRENCY!r}"
    )
# Incoming mail: an IMAP mailbox polled by the scheduler (when CLIENTELA_IMAP_HOST is set) and/or
# mail servers pushing raw MIME to /api/v1/inbound/email with the shared secret.
IMAP_HOST = config.env_str("IMAP_HOST")
IMAP_PORT = config.env_int("IMAP_PORT", 993)
IMAP_USER = config.env_str("IMAP_USER")
IMAP_PASSWORD = config.env_str("IMAP_PASSWORD")
IMAP_SSL = config.env_bool("IMAP_SSL", True)
IMAP_FOLDER = config.env_str("IMAP_FOLDER", "INBOX")
IMAP_POLL_SECONDS = config.env_int("IMAP_POLL_SECONDS", 60)
INBOUND_EMAIL_SECRET = config.env_str("INBOUND_EMAIL_SECRET")
# Attachments above this size are not stored (the message is kept, the refusal noted on it).
MAIL_ATTACHMENT_MAX_BYTES = config.env_int("MAIL_ATTACHMENT_MAX_MB", 25) * 1024 * 1024

# --- Background work: one task interface (django-tasks). CLIENTELA_TASK_BACKEND=database (default:
# a queue table, workers need no other server) or redis (RQ workers started with `clientela worker`).
TASK_QUEUES = ["default", "email"]
TASK_BACKEND = config.env_str("TASK_BACKEND", "database").lower()
if TASK_BACKEND == "redis":
    if not REDIS_URL:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("CLIENTELA_TASK_BACKEND=redis needs CLIENTELA_REDIS_URL")
    # RQ, but a job enqueued while Redis is unreachable goes to a database outbox (drained by the
    # scheduler when Redis is back) instead of failing the web request.
    TASKS = {"default": {"BACKEND": "clientela.core.tasks.ResilientRQBackend", "QUEUES": TASK_QUEUES}}
elif TASK_BACKEND == "database":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": TASK_QUEUES}}
else:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("CLIENTELA_TASK_BACKEND must be database or redis")
RQ_QUEUES = {
    name: {"URL": REDIS_URL or "redis://127.0.0.1:6379/0", "DEFAULT_TIMEOUT": 900} for name in TASK_QUEUES
}
# Failed jobs are retried with exponential backoff, then kept in the failed-jobs list.
TASK_RETRIES = config.env_int("TASK_RETRIES", 5)
TASK_RETRY_BASE_SECONDS = config.env_int("TASK_RETRY_BASE_SECONDS", 30)
# A database-queue job still RUNNING after this long lost its worker: it is put back in the queue
# (jobs are idempotent, so their effects are not doubled).
TASK_STALE_AFTER_SECONDS = config.env_int("TASK_STALE_AFTER_SECONDS", 3600)

# --- API.
NINJA_PAGINATION_MAX_LIMIT = 500
API_RATE_ANON = config.env_str("API_RATE_ANON", "60/m")
API_RATE_AUTH = config.env_str("API_RATE_AUTH", "1200/m")
# Proxies in front of the app: rate limits key on the client address they report, not on a
# header any caller could forge.
NINJA_NUM_PROXIES = config.env_int("PROXY_COUNT", 0)
INTAKE_FORM_MAX_PER_HOUR = config.env_int("INTAKE_FORM_MAX_PER_HOUR", 1000)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": config.env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}
