"""One settings file for every way of running the platform.

No environment variables means the embedded default: SQLite, the in-memory channel layer,
tasks run in-process, e-mail printed to the console, DEBUG on. Setting DATABASE_URL,
REDIS_URL, EMAIL_URL, SECRET_KEY and friends switches to the production parts; README.md
lists every variable.
"""

from pathlib import Path

import environ
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

# No SECRET_KEY means a developer's machine: DEBUG defaults to on and a fixed, insecure key
# is used. Production must set SECRET_KEY (and leaves DEBUG off).
SECRET_KEY = env.str("SECRET_KEY", default="")
DEBUG = env.bool("DEBUG", default=not SECRET_KEY)
if not SECRET_KEY:
    if not DEBUG:
        raise environ.ImproperlyConfigured("Set SECRET_KEY when DEBUG is off.")
    SECRET_KEY = "django-insecure-embedded-default-only-for-development"  # noqa: S105

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "daphne",  # before staticfiles: runserver then serves ASGI, WebSockets included
    "modeltranslation",  # before admin: its admin classes show every language version
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "allauth",
    "allauth.account",
    "mentoring",
    "profiles",
    "messaging",
    "pilots",
    "groups",
    "today",
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
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "mentoring.urls"
WSGI_APPLICATION = "mentoring.wsgi.application"
ASGI_APPLICATION = "mentoring.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "messaging.context_processors.notifications",
            ],
        },
    },
]

# --- Data -------------------------------------------------------------------------------

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# PostgreSQL: a connection pool per process (psycopg_pool); it saves opening a connection per
# request (benchmark W4), also under ASGI, where each request runs in a thread of its own and
# persistent connections (CONN_MAX_AGE) are never reused. DATABASE_POOL_SIZE=0 turns it off.
# A ws (uvicorn) process needs one per request in flight plus up to four for its WebSockets'
# database threads (messaging.live.database.DB_THREADS); a sync gunicorn worker one at a time.
DATABASE_POOL_SIZE = env.int("DATABASE_POOL_SIZE", default=12)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and DATABASE_POOL_SIZE:
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": DATABASE_POOL_SIZE,
        "timeout": 10,
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the dev server and a local worker share the file.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "mentoring",
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Tasks ------------------------------------------------------------------------------

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL  # embedded default: tasks run in-process
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "Europe/Helsinki"
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A broker that is down must not hang a web request: the outbox row is committed and the
# sweeper in messaging's `run_due` enqueues it again later.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 2,
    "socket_timeout": 10,
    "visibility_timeout": 3600,
}
CELERY_BEAT_SCHEDULE = {
    # Each app runs its own scheduled work ("do what is due now", idempotent).
    "pilots-run-due": {"task": "pilots.tasks.run_due", "schedule": 60.0},
    "messaging-run-due": {"task": "messaging.tasks.run_due", "schedule": 60.0},
}

# Outbox delivery (messaging/): chunk size, retries with backoff and jitter for temporary SMTP
# failures, the age at which the sweeper re-enqueues a pending row, the daily digest hour.
DELIVERY_CHUNK_SIZE = 100  # e-mails per task
# In-app rows are a few bulk statements per task, however many: larger chunks, fewer tasks.
DELIVERY_IN_APP_CHUNK_SIZE = 1000
DELIVERY_MAX_RETRIES = env.int("DELIVERY_MAX_RETRIES", default=6)
DELIVERY_RETRY_BASE_DELAY = env.float("DELIVERY_RETRY_BASE_DELAY", default=30.0)
DELIVERY_RETRY_MAX_DELAY = 3600.0
DELIVERY_SWEEP_AFTER = env.int("DELIVERY_SWEEP_AFTER", default=300)
DIGEST_HOUR = 7

# Conversations: per-user message rate (messages per window of seconds), and how long the
# author may edit or delete a message.
MESSAGE_RATE_LIMIT = env.int("MESSAGE_RATE_LIMIT", default=20)
MESSAGE_RATE_WINDOW = 10
MESSAGE_EDIT_WINDOW = 15 * 60
# "New messages" e-mails (no content, names and subjects only): sent once the oldest unread
# message is MESSAGE_EMAIL_DELAY seconds old, at most one per user per MESSAGE_EMAIL_INTERVAL.
MESSAGE_EMAIL_DELAY = 10 * 60
MESSAGE_EMAIL_INTERVAL = 60 * 60
# Links in messages (the urlize filter) without a scheme are https://, as Django 7 will do.
URLIZE_ASSUME_HTTPS = True
# Open WebSockets (browser tabs) per user; one more is refused with close code 4429.
MAX_SOCKETS_PER_USER = 10

# --- Accounts ---------------------------------------------------------------------------

AUTH_USER_MODEL = "profiles.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "today"
LOGOUT_REDIRECT_URL = "home"

ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = False
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False  # allauth keeps this session, ends the others
ACCOUNT_SIGNUP_FORM_CLASS = "profiles.forms.SignupForm"
ACCOUNT_ADAPTER = "profiles.adapter.AccountAdapter"
# allauth's forms with the site's labels ("E-mail address", not "Email"; sentence case)
ACCOUNT_FORMS = {
    "login": "profiles.account_forms.LoginForm",
    "signup": "profiles.account_forms.SignupForm",
    "add_email": "profiles.account_forms.AddEmailForm",
    "change_password": "profiles.account_forms.ChangePasswordForm",
    "reset_password": "profiles.account_forms.ResetPasswordForm",
    "reset_password_from_key": "profiles.account_forms.ResetPasswordKeyForm",
}
ACCOUNT_EMAIL_SUBJECT_PREFIX = _("[Mentoring] ")  # in the language of the e-mail
# allauth's defaults, spelled out so they are visible and testable.
ACCOUNT_RATE_LIMITS = {
    "change_password": "5/m/user",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "signup": "20/m/ip",
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "confirm_email": "1/3m/key",
}
# Invitation e-mails one staff member may send per window of seconds (a CSV import counts each
# row; a resend counts too).
INVITATION_RATE_LIMIT = env.int("INVITATION_RATE_LIMIT", default=1000)
INVITATION_RATE_WINDOW = 60 * 60

# How long the signed link in an invitation e-mail works; a resend makes a fresh link.
INVITATION_MAX_AGE_DAYS = 14

# Behind a load balancer, how many proxies' X-Forwarded-For entries to trust for the client
# IP that rate limits count by.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

SESSION_COOKIE_AGE = 60 * 60 * 24 * 14
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True

# --- Security ---------------------------------------------------------------------------

HTTPS = env.bool("HTTPS", default=not DEBUG)  # the site is served over HTTPS
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
# The preload directive only consents to listing; a domain is preloaded once its owner submits
# the registrable domain at hstspreload.org (a one-way step: every subdomain must then be HTTPS).
SECURE_HSTS_PRELOAD = HTTPS
if env.bool("TRUST_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],  # the nonce: a pilot's accent colour, nothing inline else
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# --- Uploads ----------------------------------------------------------------------------

MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
AVATAR_MAX_BYTES = 5 * 1024 * 1024
AVATAR_MAX_PIXELS = 40_000_000
AVATAR_SIZE = 512

# --- E-mail -----------------------------------------------------------------------------

# EMAIL_URL: smtp://user:password@host:port (smtp+tls://, smtp+ssl://), consolemail://,
# filemail:///path/to/folder. Django 6.1's MAILERS setting carries it.
_email = env.email_url_config(env.str("EMAIL_URL", default="consolemail://"))
_mail_options: dict[str, object] = {}
if _email["EMAIL_BACKEND"].endswith("smtp.EmailBackend"):
    _mail_options = {
        "host": _email["EMAIL_HOST"],
        "port": _email["EMAIL_PORT"],
        "username": _email["EMAIL_HOST_USER"] or None,
        "password": _email["EMAIL_HOST_PASSWORD"] or None,
        "use_tls": _email.get("EMAIL_USE_TLS", False),
        "use_ssl": _email.get("EMAIL_USE_SSL", False),
        "timeout": 10,
    }
elif _email["EMAIL_BACKEND"].endswith("filebased.EmailBackend"):
    _mail_options = {"file_path": _email["EMAIL_FILE_PATH"]}
MAILERS = {"default": {"BACKEND": _email["EMAIL_BACKEND"], "OPTIONS": _mail_options}}
# The site's address in e-mails sent outside a request (broadcasts, digests).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Mentoring <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Languages and time -----------------------------------------------------------------

LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="en")
LANGUAGES = [("fi", _("Finnish")), ("en", _("English")), ("sv", _("Swedish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates and times in each language's own way (mentoring/formats/<language>/formats.py).
FORMAT_MODULE_PATH = ["mentoring.formats"]
# Staff-written texts (pilots/translation.py) have a version per language; one missing in the
# reader's language falls back to the site's default, then to whichever version exists.
MODELTRANSLATION_DEFAULT_LANGUAGE = LANGUAGE_CODE
MODELTRANSLATION_FALLBACK_LANGUAGES = {
    "default": tuple(dict.fromkeys([LANGUAGE_CODE, "fi", "en", "sv"]))
}


def _localized_verbose_name(verbose_name: str, language: str) -> str:
    """ "theme (Finnish)": the label of one language version (called lazily, when shown)."""
    return f"{verbose_name} ({dict(LANGUAGES)[language]})"


MODELTRANSLATION_BUILD_LOCALIZED_VERBOSE_NAME = _localized_verbose_name
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Helsinki")
USE_I18N = True
USE_TZ = True

# --- Static files -----------------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

DIRECTORY_PAGE_SIZE = 50
