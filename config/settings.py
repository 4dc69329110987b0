"""Mamori settings: one file, read from environment variables, failing loudly on bad values.

Every value a deployment may change is an environment variable named MAMORI_* (or DATABASE_URL).
Secrets may instead be read from a file named by the same variable with a ``_FILE`` suffix.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str | None = None) -> str | None:
    """Read ``name`` or the file named by ``name_FILE`` (for secrets kept out of the environment)."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        return Path(file_name).read_text(encoding="utf-8").strip()
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = env(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def env_int(name: str, default: int) -> int:
    value = env(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


DATA_DIR = Path(env("MAMORI_DATA_DIR") or BASE_DIR / "var").resolve()
DEBUG = env_bool("MAMORI_DEBUG", False)
SECRET_KEY = env("MAMORI_SECRET_KEY") or ""
if not SECRET_KEY:
    # A trial install (make run) gets a key generated once into the data folder.
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        from django.core.management.utils import get_random_secret_key

        DATA_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(get_random_secret_key(), encoding="utf-8")
        key_file.chmod(0o600)
    SECRET_KEY = key_file.read_text(encoding="utf-8").strip()

ALLOWED_HOSTS = [
    h.strip() for h in (env("MAMORI_ALLOWED_HOSTS") or "127.0.0.1,localhost").split(",") if h.strip()
]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in (env("MAMORI_CSRF_TRUSTED_ORIGINS") or "").split(",") if o.strip()]

# MAMORI_PUBLIC_ONLY=true serves nothing but the public report form (/report/) and /healthz, so this
# process can sit on the internet-facing segment apart from the rest (DESIGN.md, users and where they sit).
PUBLIC_ONLY = env_bool("MAMORI_PUBLIC_ONLY", False)
# MAMORI_RELAY_ONLY=true makes this process the relay on the internet-facing segment: with a database of its
# own, it serves the roll-call's one-tap links and the acknowledgement links and keeps only what they need;
# the main instance's worker pushes the links out and collects the answers (mamori/relay, docs/operations.md).
RELAY_ONLY = env_bool("MAMORI_RELAY_ONLY", False)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "mamori.journal",
    "mamori.people",
    "mamori.policy",
    "mamori.incidents",
    "mamori.intake",
    "mamori.paging",
    "mamori.api",
    "mamori.home",
    "mamori.accounts",
    "mamori.documents",
    "mamori.statistics",
    "mamori.assets",
    "mamori.exception_measures",
    "mamori.advisories",
    "mamori.training",
    "mamori.audits",
    "mamori.outsourcing",
    "mamori.reviews",
    "mamori.continuity",
    "mamori.relay",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "mamori.home.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "mamori.accounts.middleware.LoginGuardMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a lockout raised during authentication into its response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls_relay" if RELAY_ONLY else "config.urls_public" if PUBLIC_ONLY else "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "mamori.home.context_processors.mamori",
            ],
        },
    }
]

_database_url = env("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'mamori.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=60)}
# SQLite in WAL with synchronous=NORMAL keeps every committed change when a process is killed (the
# kill test in bench/intake_kill.py) but may lose the last commits of a power cut; FULL keeps those
# too, at an fsync per commit (about 2 ms here, docs/adr/0009). PostgreSQL is for sites that need both.
SQLITE_SYNCHRONOUS = (env("MAMORI_SQLITE_SYNCHRONOUS") or "NORMAL").upper()
if SQLITE_SYNCHRONOUS not in ("NORMAL", "FULL"):
    raise ImproperlyConfigured(
        f"MAMORI_SQLITE_SYNCHRONOUS must be NORMAL or FULL, not {SQLITE_SYNCHRONOUS!r}"
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers queue on a file lock rather than in SQLite's sleeping busy handler (mamori/sqlite/base.py).
    DATABASES["default"]["ENGINE"] = "mamori.sqlite"
    # Tests run in memory, as Django does for its own SQLite engine (pytest-django knows only that name).
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}
    # WAL lets readers proceed while one writer writes; IMMEDIATE takes the write lock when a
    # transaction starts, so two writers queue instead of failing on a lock upgrade.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": f"PRAGMA journal_mode=WAL; PRAGMA synchronous={SQLITE_SYNCHRONOUS}; "
        "PRAGMA foreign_keys=ON;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DATABASES["default"].setdefault("TEST", {})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "people.User"
# Axes first: it refuses a locked-out name before any backend checks a password (tatebayashi 6.2(3)).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home:dashboard"
LOGOUT_REDIRECT_URL = "login"
# Length, character classes and "not the ID, 職員番号 or name" come from the person's policy.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "mamori.accounts.validators.PolicyPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", _("Japanese")), ("en", _("English"))]
# MAMORI_LOCALE_DIR lets bin/check_catalogue.py re-extract messages into a scratch copy.
LOCALE_PATHS = [Path(env("MAMORI_LOCALE_DIR") or BASE_DIR / "locale")]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise expects it, even before collectstatic
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = DATA_DIR / "files"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("MAMORI_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_AGE = env_int("MAMORI_SESSION_SECONDS", 8 * 3600)
# Behind HTTPS (MAMORI_SECURE_COOKIES=true): HSTS and the redirect to https are on unless turned off.
SECURE_HSTS_SECONDS = env_int("MAMORI_HSTS_SECONDS", 31536000 if SESSION_COOKIE_SECURE else 0)
# Other hosts of the municipality's domain are not ours to decide: off unless the office says so.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("MAMORI_HSTS_INCLUDE_SUBDOMAINS", False)
# The browser preload list is for public internet sites; Mamori sits in a closed network (LGWAN).
SILENCED_SYSTEM_CHECKS = ["security.W021"] + ([] if SECURE_HSTS_INCLUDE_SUBDOMAINS else ["security.W005"])
# Axes locks IDs; addresses get a rate limit of their own (accounts/ratelimit.py) instead of a lock,
# because a whole office may reach Mamori through one proxy address.
SILENCED_SYSTEM_CHECKS += ["axes.W006"]
SECURE_SSL_REDIRECT = env_bool("MAMORI_SSL_REDIRECT", SESSION_COOKIE_SECURE)
if env_bool("MAMORI_BEHIND_TLS_PROXY", False):
    # The reverse proxy terminates TLS and says so in this header (and strips it from clients).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"
# Nothing loads from anywhere but this server (closed networks), and injected markup stays inert:
# no inline script or style anywhere (django-csp).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Uploads (evidence, report attachments): the largest single file we accept, in bytes.
MAMORI_MAX_UPLOAD_BYTES = env_int("MAMORI_MAX_UPLOAD_BYTES", 20 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# Public form: file types a resident may attach (by extension).
MAMORI_PUBLIC_UPLOAD_TYPES = [
    t.strip().lower()
    for t in (env("MAMORI_PUBLIC_UPLOAD_TYPES") or ".png .jpg .jpeg .gif .pdf .txt .eml .msg").split()
    if t.strip()
]
# Public form: reports accepted from one address per hour before it is told to wait.
MAMORI_PUBLIC_REPORTS_PER_HOUR = env_int("MAMORI_PUBLIC_REPORTS_PER_HOUR", 5)
# The organisation this installation serves; `make run` loads it from the preset.
MAMORI_ORGANIZATION = env("MAMORI_ORGANIZATION") or ""
# The Japanese font embedded in PDFs (`make run` and `make test` install Debian's fonts-ipaexfont-gothic).
MAMORI_PDF_FONT = env("MAMORI_PDF_FONT") or "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf"
# Maildir the worker reads reports from (optional; `manage.py ingest_mail` does the same by hand).
MAMORI_INTAKE_MAILDIR = env("MAMORI_INTAKE_MAILDIR") or ""
# Seconds between worker passes when there is nothing due.
MAMORI_WORKER_IDLE_SECONDS = float(env("MAMORI_WORKER_IDLE_SECONDS") or 1)

# Paging (who must acknowledge what). The address people open acknowledgement links at:
MAMORI_BASE_URL = (env("MAMORI_BASE_URL") or "http://127.0.0.1:8000").rstrip("/")
# Where the one-tap links of the roll-call (and acknowledgement links) point: the relay on the
# internet-facing segment when there is one (docs/operations.md, "The relay"), so a phone can answer.
MAMORI_LINK_BASE_URL = (env("MAMORI_LINK_BASE_URL") or MAMORI_BASE_URL).rstrip("/")
MAMORI_ACK_LINK_HOURS = env_int("MAMORI_ACK_LINK_HOURS", 24)
# Outgoing mail for pages: the municipality's own relay (LGWAN mail server).
MAMORI_SMTP = {
    "host": env("MAMORI_SMTP_HOST") or "localhost",
    "port": env_int("MAMORI_SMTP_PORT", 25),
    "use_tls": env_bool("MAMORI_SMTP_STARTTLS", False),
    "use_ssl": env_bool("MAMORI_SMTP_TLS", False),
    "username": env("MAMORI_SMTP_USER") or "",
    "password": env("MAMORI_SMTP_PASSWORD") or "",
    "timeout": env_int("MAMORI_SMTP_TIMEOUT", 10),
}
if MAMORI_SMTP["use_tls"] and MAMORI_SMTP["use_ssl"]:
    raise ImproperlyConfigured("MAMORI_SMTP_STARTTLS and MAMORI_SMTP_TLS cannot both be true")
MAMORI_MAIL_FROM = env("MAMORI_MAIL_FROM") or "mamori@localhost"
# A chat tool's incoming webhook inside the network (optional); requests are signed with the secret.
# The relay (RELAY_ONLY above): where the main instance reaches it, and the secret both sign requests with.
MAMORI_RELAY_URL = (env("MAMORI_RELAY_URL") or "").rstrip("/")
MAMORI_RELAY_SECRET = env("MAMORI_RELAY_SECRET") or ""
if MAMORI_RELAY_URL and not MAMORI_RELAY_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured("MAMORI_RELAY_URL must be an http:// or https:// address")
if (MAMORI_RELAY_URL or RELAY_ONLY) and len(MAMORI_RELAY_SECRET) < 32:
    raise ImproperlyConfigured(
        "MAMORI_RELAY_SECRET must be set, at least 32 characters, on both sides of the relay"
    )
MAMORI_WEBHOOK_URL = env("MAMORI_WEBHOOK_URL") or ""
MAMORI_WEBHOOK_SECRET = env("MAMORI_WEBHOOK_SECRET") or ""
if MAMORI_WEBHOOK_URL and not MAMORI_WEBHOOK_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured("MAMORI_WEBHOOK_URL must be an http:// or https:// address")
if MAMORI_WEBHOOK_URL and not MAMORI_WEBHOOK_SECRET:
    raise ImproperlyConfigured("MAMORI_WEBHOOK_URL needs MAMORI_WEBHOOK_SECRET to sign its requests")
MAMORI_PAGE_CHANNELS = [
    c.strip() for c in (env("MAMORI_PAGE_CHANNELS") or "inbox,email,webhook").split(",") if c.strip()
]
# Retries of a transient failure: 30 s, 1, 2, 4 … minutes, at most this many attempts.
MAMORI_DELIVERY_MAX_ATTEMPTS = env_int("MAMORI_DELIVERY_MAX_ATTEMPTS", 8)
# How long a worker holds claimed work; if it dies, another worker takes the work after this.
MAMORI_CLAIM_LEASE_SECONDS = env_int("MAMORI_CLAIM_LEASE_SECONDS", 120)

# Lockout after the failed logins the person's policy allows (mamori/accounts/lockout.py), counted
# per user ID in the database so that every web process shares the count.
AXES_FAILURE_LIMIT = "mamori.accounts.lockout.failure_limit"
AXES_COOLOFF_TIME = "mamori.accounts.lockout.cool_off"
AXES_LOCKOUT_CALLABLE = "mamori.accounts.lockout.lockout_response"
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_USE_ATTEMPT_EXPIRATION = True  # each failure expires by its own person's policy
AXES_RESET_ON_SUCCESS = True  # the policy counts failures in a row
AXES_DISABLE_ACCESS_LOG = True  # the journal is the access log (mamori/accounts/signals.py)
AXES_VERBOSE = False
# Login attempts one client address may make in ten minutes, whatever the IDs tried.
MAMORI_LOGIN_ATTEMPTS_PER_ADDRESS = env_int("MAMORI_LOGIN_ATTEMPTS_PER_ADDRESS", 30)
# API calls one token may make in a minute.
MAMORI_API_CALLS_PER_MINUTE = env_int("MAMORI_API_CALLS_PER_MINUTE", 600)
OTP_TOTP_ISSUER = env("MAMORI_TOTP_ISSUER") or "Mamori"

# Directory login (LDAP / Active Directory, OpenID Connect), each on only when configured.
from config import directory  # noqa: E402 -- needs the helpers above

directory.configure(globals(), env, env_bool)

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("MAMORI_LOG_LEVEL") or "INFO"},
}

if env("MAMORI_TESTING"):
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
