"""Django settings, every value from the environment (see docs/configuration.md).

Defaults are the embedded ones ``make run`` uses: SQLite and a filesystem Celery broker under
``var/``. Set DATABASE_URL and CELERY_BROKER_URL for PostgreSQL and Redis.
"""

from __future__ import annotations

import os
from ipaddress import ip_network
from pathlib import Path

from csp.constants import NONE, SELF

from readiness import __version__
from readiness.core.logging import logging_config
from readiness.env import (
    HOST_PATTERN,
    HOST_PORT_PATTERN,
    ORIGIN_PATTERN,
    SettingsError,
    env_auto_join,
    env_bool,
    env_choice,
    env_database,
    env_dir,
    env_email_address,
    env_email_url,
    env_fernet_keys,
    env_https_url,
    env_import_path,
    env_int,
    env_list,
    env_match,
    env_rate,
    env_site_url,
    env_str,
    env_url,
    url_origin,
)
from readiness.probes.guard import AddressPolicy

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = env_dir("READINESS_VAR_DIR", str(BASE_DIR / "var"))

VERSION = __version__
DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY")
if SECRET_KEY is None:
    if not DEBUG:
        raise SystemExit("Configuration error: SECRET_KEY is required (set DEBUG=true only for development).")
    SECRET_KEY = "insecure-development-key-only-used-with-DEBUG"  # noqa: S105

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS",
    ["localhost", "127.0.0.1", "[::1]"],
    pattern=HOST_PATTERN,
    expected="comma-separated host names (readiness.example.com, .example.com for subdomains), no scheme",
)
CSRF_TRUSTED_ORIGINS = env_list(
    "CSRF_TRUSTED_ORIGINS",
    [],
    pattern=ORIGIN_PATTERN,
    expected="comma-separated origins with their scheme, such as https://readiness.example.com",
)
SITE_URL = env_site_url("SITE_URL", "http://localhost:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_celery_beat",
    "axes",
    # Single sign-on (OpenID Connect) and verified e-mail addresses: docs/architecture.md says why.
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "readiness.core",
    "readiness.teams",
    "readiness.repos",
    "readiness.checklists",
    "readiness.endpoints",
    "readiness.alerts",
    "readiness.reports",
    "readiness.api",
    "readiness.pipeline",
    "readiness.dashboard",
    "readiness.sso",
]

MIDDLEWARE = [
    # First: a request id and metrics for every request, static files and errors included.
    "readiness.core.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # An ended session in an htmx request: the login page as a page, and back (readiness/core/htmx.py).
    "readiness.core.htmx.HtmxLoginRedirectMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Last, as django-axes requires: it turns a locked-out login into a 429 page.
    "axes.middleware.AxesMiddleware",
]

# django-axes first, so a locked-out user is refused before the password is even checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "readiness.urls"
WSGI_APPLICATION = "readiness.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "readiness.core.context_processors.version",
                "readiness.sso.context_processors.sso",
            ],
        },
    },
]

DATABASE_URL, _database = env_database(
    "DATABASE_URL",
    f"sqlite:///{VAR_DIR / 'readiness.sqlite3'}",
    conn_max_age=env_int("DB_CONN_MAX_AGE", 60, minimum=0),
)
# Health checks: a connection kept across requests is tested before reuse, so a PostgreSQL restart
# costs one reconnect instead of 500s until CONN_MAX_AGE runs out.
_database["CONN_HEALTH_CHECKS"] = True
DATABASES = {"default": _database}
# Read (and checked) whatever the database, so a typo shows before the switch to PostgreSQL.
_connect_timeout = env_int("DB_CONNECT_TIMEOUT", 2, minimum=1, maximum=60)
_statement_timeout = env_int("DB_STATEMENT_TIMEOUT", 0, minimum=0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Bounded time on every PostgreSQL call: connecting gives up after DB_CONNECT_TIMEOUT seconds;
    # a statement after DB_STATEMENT_TIMEOUT (ms); TCP keepalives find a dead server within ~10 s.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "connect_timeout": _connect_timeout,
            "keepalives": 1,
            "keepalives_idle": 5,
            "keepalives_interval": 2,
            "keepalives_count": 3,
        }
    )
    if _statement_timeout:
        DATABASES["default"]["OPTIONS"]["options"] = f"-c statement_timeout={_statement_timeout}"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # web, worker and beat share one file: WAL and IMMEDIATE transactions avoid "database is locked".
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
# A refused CSRF token (a form left open across a new login) in the site's layout, not Django's page.
CSRF_FAILURE_VIEW = "readiness.core.views.csrf_failure"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Single sign-on with OpenID Connect (django-allauth; docs/configuration.md, docs/architecture.md).
# Off unless OIDC_ISSUER_URL is set; local password accounts keep working either way.
OIDC_ISSUER_URL = env_https_url("OIDC_ISSUER_URL")
OIDC_CLIENT_ID = env_str("OIDC_CLIENT_ID", "")
OIDC_CLIENT_SECRET = env_str("OIDC_CLIENT_SECRET", "")
OIDC_BUTTON_LABEL = env_str("OIDC_BUTTON_LABEL", "Log in with single sign-on")
OIDC_GROUPS_CLAIM = env_str("OIDC_GROUPS_CLAIM", "groups")
OIDC_AUTO_JOIN_ROLE = env_choice("OIDC_AUTO_JOIN_ROLE", "VIEWER", ("VIEWER", "ENGINEER", "LEAD")).lower()
OIDC_AUTO_JOIN = env_auto_join("OIDC_AUTO_JOIN", OIDC_AUTO_JOIN_ROLE)
OIDC_SCOPES = env_list("OIDC_SCOPES", ["openid", "profile", "email"])
if OIDC_ISSUER_URL:
    for _name, _value in (("OIDC_CLIENT_ID", OIDC_CLIENT_ID), ("OIDC_CLIENT_SECRET", OIDC_CLIENT_SECRET)):
        if not _value:
            raise SettingsError(
                _name, "", "the client's value registered at the identity provider (OIDC_ISSUER_URL is set)"
            )
    if "openid" not in OIDC_SCOPES:
        raise SettingsError("OIDC_SCOPES", ",".join(OIDC_SCOPES), "a list that includes openid")
elif OIDC_AUTO_JOIN:
    raise SettingsError(
        "OIDC_AUTO_JOIN", env_str("OIDC_AUTO_JOIN"), "no value while OIDC_ISSUER_URL is unset"
    )
OIDC_PROVIDER_ID = "sso"  # in the callback URL: <SITE_URL>/accounts/oidc/sso/login/callback/
SOCIALACCOUNT_PROVIDERS = {
    "openid_connect": {
        "SCOPE": OIDC_SCOPES,
        "OAUTH_PKCE_ENABLED": True,
        "APPS": [
            {
                "provider_id": OIDC_PROVIDER_ID,
                "name": OIDC_BUTTON_LABEL,
                "client_id": OIDC_CLIENT_ID,
                "secret": OIDC_CLIENT_SECRET,
                "settings": {"server_url": OIDC_ISSUER_URL},
            }
        ]
        if OIDC_ISSUER_URL
        else [],
    }
}
SOCIALACCOUNT_ADAPTER = "readiness.sso.adapter.SocialAccountAdapter"
ACCOUNT_ADAPTER = "readiness.sso.adapter.AccountAdapter"
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_STORE_TOKENS = False  # nothing calls the IdP's APIs later; keep no tokens
SOCIALACCOUNT_ONLY = True  # allauth serves single sign-on only; passwords stay Django's own views
ACCOUNT_EMAIL_VERIFICATION = "none"  # the IdP vouches for addresses (its email_verified claim)
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = "username"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env_dir("STATIC_ROOT", str(BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Celery: the embedded default is kombu's filesystem transport, which needs no server, with its
# read/write races fixed (readiness/core/fsbroker.py).
BROKER_SCHEMES = ("redis", "rediss", "amqp", "amqps", "pyamqp", "filesystem")
CELERY_BROKER_URL = env_url(
    "CELERY_BROKER_URL",
    "filesystem://",
    schemes=BROKER_SCHEMES,
    host_optional=("filesystem",),
    expected="redis://host:6379/0 (rediss:// with TLS), amqp://user:password@host:5672//, or filesystem://",
)
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
# Read (and checked) whatever the broker, so a typo shows before the day Redis is switched on.
_visibility_timeout = env_int("CELERY_VISIBILITY_TIMEOUT", 3600, minimum=1)
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT = "readiness.core.fsbroker:Transport"
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
    for _folder in ("queue", "control"):
        try:
            (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
        except OSError as _exc:
            _expected = f"a folder this process can write (creating {_broker_dir / _folder}: {_exc.strerror})"
            raise SettingsError("READINESS_VAR_DIR", str(VAR_DIR), _expected) from None
else:
    # Larger than every task time limit and countdown (checked by readiness.celery at start-up).
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": _visibility_timeout}
# Short timeouts: a stopped or frozen broker costs a publishing request about BROKER_TIMEOUT seconds
# (readiness/core/outbox.py keeps the request, the relay publishes it later), never a thread.
_broker_timeout = env_int("BROKER_TIMEOUT", 2, minimum=1, maximum=60)
CELERY_BROKER_CONNECTION_TIMEOUT = _broker_timeout
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT_OPTIONS.update(
        socket_timeout=_broker_timeout,
        socket_connect_timeout=_broker_timeout,
        socket_keepalive=True,
        health_check_interval=10,
    )
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env_int("ANALYSIS_SOFT_TIME_LIMIT", 300, minimum=10)
CELERY_TASK_TIME_LIMIT = CELERY_TASK_SOFT_TIME_LIMIT + 60
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_DEFAULT_QUEUE = "analysis"
# One queue per kind of work, so a slow repository cannot starve the probes or the e-mails.
CELERY_TASK_ROUTES = {
    "repos.*": {"queue": "analysis"},
    "probes.*": {"queue": "probes"},
    "reports.*": {"queue": "email"},
    # Alerts are messages to people too: the e-mail queue's workers send them (docs/alerts.md).
    "alerts.*": {"queue": "email"},
}
CELERY_BEAT_SCHEDULE = {
    "repos.sweep_stuck_runs": {"task": "repos.sweep_stuck_runs", "schedule": 60.0},
    # Health probes (docs/probing.md): claim due endpoints and enqueue batches; roll up; prune.
    "probes.dispatch_due": {"task": "probes.dispatch_due", "schedule": 5.0},
    "probes.rollup": {"task": "probes.rollup", "schedule": 900.0},
    "probes.cleanup": {"task": "probes.cleanup", "schedule": 3600.0},
    # Claims the teams whose weekly report is due and enqueues one send each (docs/reports.md).
    "reports.enqueue_due": {"task": "reports.enqueue_due", "schedule": 300.0},
    # Checklist states whose attestation fell due or waiver expired (pages also refresh on read).
    "checklists.refresh_expired": {"task": "checklists.refresh_expired", "schedule": 900.0},
    # Audit entries older than AUDIT_RETENTION_DAYS are deleted once a day (docs/configuration.md).
    "teams.prune_activity": {"task": "teams.prune_activity", "schedule": 86400.0},
    # Alerts (docs/alerts.md): re-ask for groups whose send was lost.
    "alerts.sweep": {"task": "alerts.sweep", "schedule": 60.0},
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE

# A worker counts as alive when its heartbeat is younger than this (GET /ready).
WORKER_HEARTBEAT_INTERVAL = env_int("WORKER_HEARTBEAT_INTERVAL", 15, minimum=1)
WORKER_HEARTBEAT_MAX_AGE = env_int("WORKER_HEARTBEAT_MAX_AGE", 60, minimum=5)

# Local folders and file:// repositories: for demos, on-prem mirrors and tests only.
READINESS_ALLOW_LOCAL_SOURCES = env_bool("READINESS_ALLOW_LOCAL_SOURCES", False)
# host or host:port of internal git servers that may be reached over plain http.
READINESS_GIT_HTTP_HOSTS = env_list(
    "READINESS_GIT_HTTP_HOSTS", [], pattern=HOST_PORT_PATTERN, expected="comma-separated host[:port] entries"
)
GIT_FETCH_TIMEOUT = env_int("GIT_FETCH_TIMEOUT", 120, minimum=5)
GIT_FETCH_MAX_BYTES = env_int("GIT_FETCH_MAX_MB", 200, minimum=1) * 1024 * 1024
# A run that kills its worker (or fails transiently) this many times ends as failed.
ANALYSIS_MAX_ATTEMPTS = env_int("ANALYSIS_MAX_ATTEMPTS", 3, minimum=1, maximum=20)
# A running run whose worker has not finished within this lease is presumed dead and re-queued.
ANALYSIS_RUN_LEASE = env_int("ANALYSIS_RUN_LEASE", CELERY_TASK_TIME_LIMIT + 60, minimum=1)
# Addresses no allow rule may open, beyond our own database, broker and SMTP hosts.
EGRESS_HARD_DENY = env_list("EGRESS_HARD_DENY", [])
try:
    AddressPolicy(hard_deny=EGRESS_HARD_DENY)  # parses every entry, as the probes will
except ValueError as _exc:
    _expected = f"comma-separated host names, addresses or CIDRs, each with an optional :port ({_exc})"
    raise SettingsError("EGRESS_HARD_DENY", env_str("EGRESS_HARD_DENY", ""), _expected) from None
# Fernet keys for secrets at rest, newest first (readiness/core/crypto.py).
FIELD_ENCRYPTION_KEYS = env_fernet_keys("FIELD_ENCRYPTION_KEYS")
READINESS_WORK_DIR = env_dir("READINESS_WORK_DIR", str(VAR_DIR / "work"))

LOG_LEVEL = env_choice("LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"))
# One JSON object per line in production (request id, user, task id...); plain text for make run.
LOG_FORMAT = env_choice("LOG_FORMAT", "PLAIN" if DEBUG else "JSON", ("JSON", "PLAIN")).lower()
# Beat's housekeeping tasks (and the probe batches they start) log Celery's received/succeeded lines
# at DEBUG; each says at INFO what it changed (readiness.core.logging.log_changes).
LOG_QUIET_TASKS = {entry["task"] for entry in CELERY_BEAT_SCHEDULE.values()} | {"probes.run_batch"}
LOGGING = logging_config(fmt=LOG_FORMAT, level=LOG_LEVEL, quiet_tasks=LOG_QUIET_TASKS)
# Celery keeps the LOGGING above instead of installing its own root handler.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Imported by every worker at start: connects the task metrics (readiness/core/metrics.py).
CELERY_IMPORTS = ["readiness.core.metrics"]

# GET /metrics (Prometheus) answers 404 unless one of these is set: a Bearer token, or the client
# addresses/CIDRs (direct connections only) allowed without it.
METRICS_TOKEN = env_str("METRICS_TOKEN", "")
try:
    METRICS_ALLOWED_NETWORKS = [ip_network(v, strict=False) for v in env_list("METRICS_ALLOWED_IPS", [])]
except ValueError:
    _raw = env_str("METRICS_ALLOWED_IPS", "")
    raise SettingsError("METRICS_ALLOWED_IPS", _raw, "comma-separated addresses or CIDRs") from None

# Rate limits (readiness/core/ratelimit.py), per client: "N/S" = N requests per S seconds, or "off".
# Counters live in Redis so a limit holds across processes and hosts; with no Redis URL (make run's
# embedded mode only) they live in each process's memory.
RATE_LIMIT_REDIS_URL = env_url(
    "RATE_LIMIT_REDIS_URL",
    CELERY_BROKER_URL if CELERY_BROKER_URL.startswith(("redis://", "rediss://")) else "",
    schemes=("redis", "rediss", "unix"),
    host_optional=("unix",),
    expected="a redis://, rediss:// or unix:// URL",
)
if not RATE_LIMIT_REDIS_URL and not CELERY_BROKER_URL.startswith("filesystem://"):
    raise SettingsError(
        "RATE_LIMIT_REDIS_URL",
        "",
        "a Redis URL, because CELERY_BROKER_URL is not Redis "
        "(only the embedded filesystem broker may go without)",
    )
RATE_LIMIT_KEY_PREFIX = env_str("RATE_LIMIT_KEY_PREFIX", "readiness:rl")
RATE_LIMIT_API = env_rate("RATE_LIMIT_API", "120/60")  # per API token
RATE_LIMIT_API_IP = env_rate("RATE_LIMIT_API_IP", "600/60")  # per address, before the token is checked
RATE_LIMIT_WEBHOOK = env_rate("RATE_LIMIT_WEBHOOK", "600/60")  # per address; git hosts send from few
RATE_LIMIT_LOGIN = env_rate("RATE_LIMIT_LOGIN", "20/60")  # login form posts per address
# Reverse proxies in front that append to X-Forwarded-For (0: use the connection's address).
RATE_LIMIT_PROXY_COUNT = env_int("RATE_LIMIT_PROXY_COUNT", 0, minimum=0, maximum=5)

# The audit log keeps entries this many days (0: for ever); a daily task deletes older ones.
AUDIT_RETENTION_DAYS = env_int("AUDIT_RETENTION_DAYS", 730, minimum=0, maximum=36500)

# E-mail (docs/reports.md): EMAIL_URL, or the usual EMAIL_HOST... variables. EMAIL_BACKEND switches
# to any Django backend, django-anymail's included (its settings come from ANYMAIL_* variables).
_email_url = env_email_url("EMAIL_URL") or {}
EMAIL_HOST = _email_url.get("host") or env_match(
    "EMAIL_HOST", "localhost", pattern=HOST_PORT_PATTERN, expected="a host name or address, no scheme"
)
EMAIL_PORT = _email_url.get("port") or env_int("EMAIL_PORT", 25, minimum=1, maximum=65535)
EMAIL_HOST_USER = _email_url.get("user") or env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email_url.get("password") or env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _email_url["use_tls"] if _email_url else env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email_url["use_ssl"] if _email_url else env_bool("EMAIL_USE_SSL", False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise SettingsError("EMAIL_USE_SSL", "true", "false when EMAIL_USE_TLS is true (choose one)")
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1, maximum=300)  # seconds, every SMTP call
# make run (DEBUG, no mail server configured) prints e-mails on the worker's console.
_email_configured = bool(_email_url or env_str("EMAIL_HOST"))
EMAIL_BACKEND = env_import_path(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG and not _email_configured
    else "django.core.mail.backends.smtp.EmailBackend",
    expected="the dotted path of an installed Django e-mail backend, "
    "such as django.core.mail.backends.smtp.EmailBackend (django-anymail's need pip install django-anymail)",
)
DEFAULT_FROM_EMAIL = env_email_address("DEFAULT_FROM_EMAIL", "Readiness <readiness@localhost>")
SERVER_EMAIL = env_email_address("SERVER_EMAIL", DEFAULT_FROM_EMAIL)
ANYMAIL = {key.removeprefix("ANYMAIL_"): val for key, val in os.environ.items() if key.startswith("ANYMAIL_")}

if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
# Behind a TLS-terminating proxy: trust its X-Forwarded-Proto, redirect http to https, send HSTS.
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
# Orchestrators and scrapers call these over plain http inside the network.
SECURE_REDIRECT_EXEMPT = [r"^health$", r"^ready$", r"^metrics$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
if not SECURE_HSTS_PRELOAD:
    # Preloading binds the whole domain to HTTPS for good: the domain owner's call, not a default.
    SILENCED_SYSTEM_CHECKS = ["security.W021"]

# Content Security Policy (django-csp): no inline scripts or styles, no eval. htmx is configured
# to match in templates/base.html (allowEval and includeIndicatorStyles off).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        # The SSO button posts here and is redirected to the identity provider: browsers apply
        # form-action to that redirect too, so the issuer's origin is allowed when SSO is on.
        "form-action": [SELF, *([url_origin(OIDC_ISSUER_URL)] if OIDC_ISSUER_URL else [])],
        "frame-ancestors": [NONE],
    }
}

# Login throttling (django-axes): lock a username+address pair after repeated failures.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 30, minimum=1) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The client address behind the reverse proxies we trust (shared with the rate limits).
AXES_CLIENT_IP_CALLABLE = "readiness.core.login_throttle.axes_client_ip"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Background work (readiness/core/outbox.py): a claim's lease, renewed every third of it while the
# task runs; how often each worker's relay looks for rows without a live message, and how long a
# published row may stay unclaimed before it is published again.
OUTBOX_LEASE = env_int("OUTBOX_LEASE", 30, minimum=3, maximum=3600)
OUTBOX_RELAY_INTERVAL = env_int("OUTBOX_RELAY_INTERVAL", 10, minimum=1, maximum=600)
OUTBOX_REPUBLISH_AFTER = env_int("OUTBOX_REPUBLISH_AFTER", 30, minimum=2, maximum=3600)
