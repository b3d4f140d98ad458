"""One settings module driven by environment variables (12-factor).

Development defaults work with nothing configured: SQLite, the django-q2 ORM broker and the
console e-mail backend. Production sets DATABASE_URL, REDIS_URL, SECRET_KEY, ALLOWED_HOSTS.
"""

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY", "dev-insecure-secret-key-change-me-in-production")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "template_partials",
    "django_q",
    "axes",
    "csp",
    "helpdesk",
    "sla",
    "tickets",
    "escalation",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "helpdesk.middleware.DatabaseUnavailableMiddleware",
    "helpdesk.middleware.AtomicWritesMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "helpdesk.middleware.ViewerTimezoneMiddleware",
    # Last, as django-axes asks: it turns a locked-out log-in into a 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "helpdesk.urls"
WSGI_APPLICATION = "helpdesk.wsgi.application"
AUTH_USER_MODEL = "helpdesk.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the worker share the file: wait for locks rather than fail.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )


def server_side_binding(database: dict) -> None:
    """psycopg binds parameters on the server and prepares the statements a connection
    repeats, so PostgreSQL plans each hot query once per connection (about a quarter less
    database CPU under bench/load.py). Production turns it on; set
    DATABASE_SERVER_SIDE_BINDING=0 behind PgBouncer's transaction mode (older than 1.21, or
    without max_prepared_statements)."""
    database.setdefault("OPTIONS", {}).update(
        server_side_binding=True,
        prepare_threshold=int(os.environ.get("DATABASE_PREPARE_THRESHOLD", "2")),
    )


POSTGRESQL = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
if POSTGRESQL and env_bool("DATABASE_SERVER_SIDE_BINDING"):
    server_side_binding(DATABASES["default"])
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = BASE_DIR / "media"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "tickets.permissions.StrictTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_FILTER_BACKENDS": ["helpdesk.api.FilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "helpdesk.api.exception_handler",
    # Per user and role (helpdesk.api.RoleRateThrottle): 429 with Retry-After over the rate.
    "DEFAULT_THROTTLE_CLASSES": ["helpdesk.api.RoleRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("API_THROTTLE_ANON", "60/min"),
        "customer": os.environ.get("API_THROTTLE_CUSTOMER", "300/min"),
        "staff": os.environ.get("API_THROTTLE_STAFF", "3000/min"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Helpdesk API",
    "DESCRIPTION": "Tickets, questions, reviews and abuse reports with SLA clocks that "
    "measure time to a real answer.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "TicketKindEnum": "tickets.models.Ticket.Kind",
        "PriorityEnum": "tickets.models.Ticket.Priority",
        "StatusEnum": "tickets.models.Ticket.Status",
        "MessageKindEnum": "tickets.models.Message.Kind",
        "MetricEnum": "sla.models.Metric",
        "ReportReasonEnum": "tickets.models_reports.REASONS",
        "OutcomeEnum": "tickets.models.Ticket.Outcome",
        "ReportContestOutcomeEnum": "tickets.models_reports.ReportContest.Outcome",
    },
}

REDIS_URL = os.environ.get("REDIS_URL", "")
Q_CLUSTER = {
    "name": "helpdesk",
    "workers": int(os.environ.get("Q_WORKERS", "2")),
    "timeout": 120,
    "retry": 180,
    "max_attempts": 5,
    "catch_up": False,
    "label": "Tasks",
}


def redis_fail_fast() -> dict:
    """Connection options for every Redis client of ours (the broker, the cache): a stopped
    or unreachable Redis must cost a web request a second or two, not the minutes of an
    unbounded connect and redis-py's ten retries. The socket timeout stays above the one
    second the worker's BLPOP waits."""
    from redis.backoff import ExponentialBackoff
    from redis.retry import Retry

    return {
        "socket_connect_timeout": 1,
        "socket_timeout": 3,
        "retry": Retry(ExponentialBackoff(cap=0.2, base=0.05), 1),
    }


def q_cluster_redis(url: str) -> dict:
    """django-q2's Redis connection (keyword arguments of redis.Redis) from REDIS_URL, failing
    fast."""
    from redis.connection import SSLConnection, UnixDomainSocketConnection, parse_url

    options = parse_url(url)
    connection_class = options.pop("connection_class", None)
    if connection_class is SSLConnection:
        options["ssl"] = True
    elif connection_class is UnixDomainSocketConnection:
        options["unix_socket_path"] = options.pop("path")
    return {**options, **redis_fail_fast()}


if REDIS_URL:
    Q_CLUSTER["redis"] = q_cluster_redis(REDIS_URL)
else:
    Q_CLUSTER["orm"] = "default"

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
# For EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend: one file a message.
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(BASE_DIR / "sent-mail"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Helpdesk <support@helpdesk.localhost>")
HELPDESK_SITE_URL = os.environ.get("HELPDESK_SITE_URL", "http://127.0.0.1:8000")

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Repeated failed log-ins (web form, admin and API token) lock that username from that
# address for a cool-off period; a success resets the count.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("AXES_COOLOFF_HOURS", "0.25"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

# One cache for every web and worker process when Redis is there (the worker warms the
# dashboard's figures for the web processes); a per-process memory cache otherwise.
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "helpdesk",
            # Fail fast, as the broker does: the throttle and the dashboard go on without the
            # cache rather than hold a request while Redis does not answer.
            "OPTIONS": redis_fail_fast(),
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    ),
}

# Content-Security-Policy on every response: no inline script or style anywhere (htmx is
# configured for it in templates/base.html), nothing from another origin, no framing.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO").upper()},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# --- E-mail channel (tickets/email) -------------------------------------------------------
# The shared secret of POST /api/v1/inbound/email/ (Authorization: Bearer ...); unset, the
# endpoint answers 503. Mail from DEFAULT_FROM_EMAIL's address or any of these is our own.
INBOUND_EMAIL_SECRET = os.environ.get("INBOUND_EMAIL_SECRET", "")
HELPDESK_EMAIL_ADDRESSES = env_list("HELPDESK_EMAIL_ADDRESSES")
INBOUND_EMAIL_MAX_BYTES = int(os.environ.get("INBOUND_EMAIL_MAX_BYTES", str(40 << 20)))
EMAIL_ATTACHMENT_MAX_BYTES = int(os.environ.get("EMAIL_ATTACHMENT_MAX_BYTES", str(10 << 20)))
EMAIL_ATTACHMENT_ALLOWED_TYPES = env_list(
    "EMAIL_ATTACHMENT_ALLOWED_TYPES",
    "image/png,image/jpeg,image/gif,image/webp,application/pdf,text/plain,text/csv,"
    "application/zip,application/msword,application/vnd.ms-excel,"
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document,"
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,"
    "application/vnd.oasis.opendocument.text,application/vnd.oasis.opendocument.spreadsheet",
)
# New tickets one sender may open by e-mail per window; more are held (kept, not ticketed).
EMAIL_RATE_LIMIT_COUNT = int(os.environ.get("EMAIL_RATE_LIMIT_COUNT", "20"))
EMAIL_RATE_LIMIT_WINDOW_SECONDS = int(os.environ.get("EMAIL_RATE_LIMIT_WINDOW_SECONDS", "3600"))
# `manage.py ingest_email --imap` (IMAPS); credentials come from the environment only.
IMAP_HOST = os.environ.get("IMAP_HOST", "")
IMAP_PORT = int(os.environ.get("IMAP_PORT", "993"))
IMAP_USER = os.environ.get("IMAP_USER", "")
IMAP_PASSWORD = os.environ.get("IMAP_PASSWORD", "")
IMAP_FOLDER = os.environ.get("IMAP_FOLDER", "INBOX")

# --- Escalation (escalation/) ----------------------------------------------------------------
# After each sweep, sla.tasks hands new SLA events to this task (by its dotted path).
SLA_EVENTS_TASK = "escalation.tasks.events_process_task"
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]["EscalationTriggerEnum"] = "escalation.models.Trigger"

# --- Moderation (tickets/api_moderation.py): names of its enums in the schema ----------------
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(
    {
        "ModerationDecisionEnum": "tickets.models.ModerationDecision.Decision",
        "ModerationReasonEnum": "tickets.models.ModerationDecision.Reason",
        "ModerationContestStateEnum": "tickets.models.ModerationContest.State",
        "ModerationContestOutcomeEnum": "tickets.api_moderation.CONTEST_OUTCOMES",
    }
)

# Threading headers (In-Reply-To, References) of notification e-mails about tickets that came
# by e-mail: the e-mail channel knows the ticket's messages.
HELPDESK_NOTIFICATION_HEADERS = "tickets.email.outbound.notification_thread_headers"

# --- Data protection (tickets/privacy.py, tickets/retention.py) ------------------------------
# Closed tickets untouched for this many days lose their personal data (daily, in the worker;
# `manage.py retention_purge`); 0 keeps it. Entries of the log of agents' views of tickets are
# deleted after AUDIT_LOG_RETENTION_DAYS (0 keeps them).
RETENTION_CLOSED_TICKET_DAYS = int(os.environ.get("RETENTION_CLOSED_TICKET_DAYS", "730"))
AUDIT_LOG_RETENTION_DAYS = int(os.environ.get("AUDIT_LOG_RETENTION_DAYS", "365"))
