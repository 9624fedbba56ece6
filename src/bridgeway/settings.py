"""Bridgeway settings: one file, configured from the environment (12-factor).

Every value that differs between a laptop demo and a production installation comes from
an environment variable read through the small typed helpers in ``bridgeway.core.env``.
Secrets may also be given as ``NAME_FILE`` pointing to a file (Docker/Kubernetes secrets).
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

from bridgeway.core.env import (
    env_bool,
    env_int,
    env_int_in,
    env_list,
    env_str,
    require_ordered,
)

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent
VAR_DIR = Path(env_str("BRIDGEWAY_VAR_DIR", str(PROJECT_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
# The demo and the tests run with a generated key; production must give one.
SECRET_KEY = env_str("SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG or env_bool("BRIDGEWAY_INSECURE_DEV_KEY", False):
        SECRET_KEY = "dev-only-insecure-key-" + "x" * 40
    else:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("SECRET_KEY (or SECRET_KEY_FILE) must be set outside DEBUG.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "rest_framework",
    "drf_spectacular",
    "template_partials",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "bridgeway.core",
    "bridgeway.accounts",
    "bridgeway.access",
    "bridgeway.audit",
    "bridgeway.registry",
    "bridgeway.cases",
    "bridgeway.forms",
    "bridgeway.care",
    "bridgeway.justice",
    "bridgeway.referrals",
    "bridgeway.api",
    "bridgeway.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "bridgeway.accounts.middleware.IdleTimeoutMiddleware",
    "bridgeway.accounts.middleware.RequireMFAMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "bridgeway.core.middleware.RequestContextMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "bridgeway.urls"
WSGI_APPLICATION = "bridgeway.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "csp.context_processors.nonce",
            ],
        },
    }
]

# Database: SQLite file under var/ by default; DATABASE_URL switches (e.g. PostgreSQL).
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'bridgeway.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No JIT compilation: it pays off for long analytical statements; PostgreSQL starts it
    # by a statement's estimated cost, and compiling costs 20 ms and more (22 ms for a
    # count over the million children of the benchmark). No statement of the benchmark's
    # searches reached the threshold; the rare one that could (a search scoring every
    # candidate) should not pay it. A DATABASE_URL that sets its own options keeps them.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:case_list"
LOGOUT_REDIRECT_URL = "web:login"

# Two-factor authentication (TOTP) is required for every user unless switched off for a demo.
BRIDGEWAY_REQUIRE_MFA = env_bool("BRIDGEWAY_REQUIRE_MFA", not DEBUG)
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "Bridgeway")
# Idle session timeout (seconds, 1 minute to 1 day): the session ends after this long
# without a request.
BRIDGEWAY_IDLE_TIMEOUT = env_int_in("BRIDGEWAY_IDLE_TIMEOUT", 15 * 60, minimum=60,
                                    maximum=86_400)
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Lockout after repeated failed logins (django-axes).
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_LOCKOUT_TEMPLATE = "web/locked_out.html"

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"), ("ar", "العربية"), ("fr", "Français"), ("es", "Español"),
    ("ru", "Русский"), ("zh-hans", "中文"), ("id", "Bahasa Indonesia"),
]
LANGUAGES_BIDI = ["ar", "fa", "ur", "he", "dv"]
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": str(VAR_DIR / "media")}},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG and not env_bool("BRIDGEWAY_TESTING", False)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG or env_bool("BRIDGEWAY_TESTING", False)
WHITENOISE_AUTOREFRESH = DEBUG

# Background jobs through the django.tasks API (django-tasks backport).
TASKS = {
    "default": {
        "BACKEND": env_str("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

# REST API
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "bridgeway.accounts.api_auth.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": None,
    "EXCEPTION_HANDLER": "bridgeway.api.errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"user": env_str("API_THROTTLE_USER", "2000/hour")},
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Bridgeway API",
    "DESCRIPTION": "Case management for children associated with terrorist and organized "
    "criminal groups. Every endpoint applies the same access policy and audit as the web UI.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Several components have a field named "kind"; name their enums explicitly (the schema
    # test fails on any naming warning, so a drift from the code's choices is caught).
    "ENUM_NAME_OVERRIDES": {
        "DetentionEpisodeKindEnum": ['police_custody', 'pretrial', 'sentence', 'administrative', 'immigration', 'security', 'closed_rehabilitation'],
        "JusticeEventKindEnum": ['police_contact', 'arrest', 'first_appearance', 'charge', 'hearing', 'diversion_offered', 'diversion_accepted', 'diversion_completed', 'pretrial_measure', 'judgment', 'sentence', 'appeal', 'release'],
    },
}

# Content Security Policy: no inline scripts, nothing from outside the installation.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Security headers; HTTPS settings on unless DEBUG.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool(
    "BEHIND_TLS_PROXY", False) else None

# Bridgeway domain parameters (defaults from shared/STANDARDS.md; per jurisdiction later).
# Range-checked at startup: a typo must not silently move every case's deadline.
MAX_FIRST_ASSESSMENT_HOURS = 720  # 30 days
BRIDGEWAY_FIRST_ASSESSMENT_HOURS = {
    "high": env_int_in("FIRST_ASSESSMENT_HOURS_HIGH", 24, minimum=1,
                       maximum=MAX_FIRST_ASSESSMENT_HOURS),
    "medium": env_int_in("FIRST_ASSESSMENT_HOURS_MEDIUM", 72, minimum=1,
                         maximum=MAX_FIRST_ASSESSMENT_HOURS),
    "low": env_int_in("FIRST_ASSESSMENT_HOURS_LOW", 168, minimum=1,
                      maximum=MAX_FIRST_ASSESSMENT_HOURS),
}
require_ordered(*((f"FIRST_ASSESSMENT_HOURS_{risk.upper()}", hours)
                  for risk, hours in BRIDGEWAY_FIRST_ASSESSMENT_HOURS.items()),
                meaning="a higher-risk child is assessed first")
# Multi-agency sharing (referrals app). BRIDGEWAY_SECTOR_CATEGORIES may override the sector
# policy's defaults (access/sectors.py) in a local settings override; the rest come from env.
# Daily jobs (core.scheduler, `manage.py scheduler`): management commands run once a day
# each, from this hour (UTC) on, in this order.
BRIDGEWAY_DAILY_JOBS = env_list("BRIDGEWAY_DAILY_JOBS", [
    "justice_reevaluate", "care_sweep", "referrals_sweep", "retention_run",
    "audit_daily_check"])
BRIDGEWAY_DAILY_JOBS_HOUR = env_int_in("BRIDGEWAY_DAILY_JOBS_HOUR", 1, minimum=0, maximum=23)
# Worker processes of the daily justice re-evaluation (PostgreSQL; SQLite runs in one).
BRIDGEWAY_JUSTICE_JOB_WORKERS = env_int_in("BRIDGEWAY_JUSTICE_JOB_WORKERS",
                                           os.cpu_count() or 1, minimum=1, maximum=64)
# Emergency access lasts hours, not days (1-24); a referral is answered within 1-720 hours;
# a consent is valid at most 1-1825 days (5 years); a reason has at least 1-500 characters.
BRIDGEWAY_BREAK_GLASS_HOURS = env_int_in("BRIDGEWAY_BREAK_GLASS_HOURS", 3, minimum=1,
                                         maximum=24)
BRIDGEWAY_REFERRAL_RESPONSE_HOURS = env_int_in("BRIDGEWAY_REFERRAL_RESPONSE_HOURS", 72,
                                               minimum=1, maximum=720)
BRIDGEWAY_CONSENT_MAX_DAYS = env_int_in("BRIDGEWAY_CONSENT_MAX_DAYS", 365, minimum=1,
                                        maximum=1825)
BRIDGEWAY_MIN_REASON_LENGTH = env_int_in("BRIDGEWAY_MIN_REASON_LENGTH", 20, minimum=1,
                                         maximum=500)
# Retention (justice/retention.py, cases/retention.py): justice sealing/expungement periods
# are jurisdiction rules; case records are anonymised (or deleted) N years after closure.
BRIDGEWAY_CASE_RETENTION_YEARS = env_int_in("BRIDGEWAY_CASE_RETENTION_YEARS", 10, minimum=1,
                                            maximum=100)
BRIDGEWAY_CASE_RETENTION_POLICY = env_str("BRIDGEWAY_CASE_RETENTION_POLICY", "anonymise")
BRIDGEWAY_SEALED_ACCESS_ROLES = env_list("BRIDGEWAY_SEALED_ACCESS_ROLES", ["supervisor"])
# Care workflow: plan reviews at least every N months (1 to 12; the standards say at least
# every 3); approvals waiting longer than N days (1 to 90) become tasks.
BRIDGEWAY_PLAN_REVIEW_MONTHS = env_int_in("BRIDGEWAY_PLAN_REVIEW_MONTHS", 3, minimum=1,
                                          maximum=12)
BRIDGEWAY_APPROVAL_WAIT_DAYS = env_int_in("BRIDGEWAY_APPROVAL_WAIT_DAYS", 7, minimum=1,
                                          maximum=90)
BRIDGEWAY_CASE_NUMBER_PREFIX = env_str("CASE_NUMBER_PREFIX", "BW")
# Longest free text (characters) and ODK attachment (bytes, 1 KiB to 100 MiB) accepted.
BRIDGEWAY_MAX_TEXT = env_int_in("BRIDGEWAY_MAX_TEXT", 10_000, minimum=100, maximum=1_000_000)
BRIDGEWAY_ODK_MAX_ATTACHMENT_BYTES = env_int_in("BRIDGEWAY_ODK_MAX_ATTACHMENT_BYTES",
                                                10 * 1024 * 1024, minimum=1024,
                                                maximum=100 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 5 * 1024 * 1024)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
}

# Audit chain key: entries are chained with HMAC-SHA256 so that a person with database
# access but without this key cannot forge a consistent chain after tampering.
AUDIT_HMAC_KEY = env_str("AUDIT_HMAC_KEY", "") or ("audit:" + SECRET_KEY)

# Field encryption at rest (core/crypto.py): "id1:<base64 32-byte key>,id2:..." — the first
# is current, the others only decrypt until crypto_rotate_keys has re-wrapped every value.
# The blind-index key (keyed hash of identifier numbers) is separate. Both may be *_FILE.
# Unset, DEBUG and test runs derive dev-only keys from SECRET_KEY; elsewhere the system
# check refuses to start.
BRIDGEWAY_MASTER_KEYS = env_str("BRIDGEWAY_MASTER_KEYS", "")
BRIDGEWAY_BLIND_INDEX_KEY = env_str("BRIDGEWAY_BLIND_INDEX_KEY", "")
BRIDGEWAY_ALLOW_DEV_CRYPTO_KEYS = DEBUG or env_bool("BRIDGEWAY_INSECURE_DEV_KEY", False)

# Test-only crash point (core/kill_points.py): the "killed midway" tests start a real job
# process with BRIDGEWAY_TEST_DIE_AFTER=N and it SIGKILLs itself inside its (N+1)-th unit
# of work. Ignored unless DEBUG or a test run (BRIDGEWAY_TESTING).
BRIDGEWAY_TEST_DIE_AFTER = (env_int_in("BRIDGEWAY_TEST_DIE_AFTER", 0, minimum=0,
                                       maximum=1_000_000) or None
                            if DEBUG or env_bool("BRIDGEWAY_TESTING", False) else None)
