"""Settings for vetchat. Everything that differs between machines comes from the environment."""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from vetchat.redis_hosts import channel_layer_host

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


def database_from_url(url: str) -> dict:
    """Turn postgresql://user:password@host:port/name?host=/socket/dir into Django's dict."""
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql"}:
        raise ImproperlyConfigured(
            f"DATABASE_URL must start with postgresql://, got {parts.scheme or 'nothing'}://"
        )
    query = dict(parse_qsl(parts.query))
    # ?pooler=transaction: the URL is a transaction pooler's (PgBouncer, pool_mode=transaction),
    # where each transaction may run on another server connection and nothing may outlive one.
    pooler = query.pop("pooler", "")
    if pooler not in {"", "transaction"}:
        raise ImproperlyConfigured(
            f"pooler={pooler} in a database URL: the one pooler setting is pooler=transaction "
            "(PgBouncer's pool_mode=transaction); a session pool needs none."
        )
    # An unreachable server fails a request in seconds instead of holding a worker.
    query.setdefault("connect_timeout", "5")
    return {
        "ENGINE": "vetchat.database",
        "NAME": unquote(parts.path.lstrip("/")),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        # A unix socket directory may be given as ?host=/path, since a path cannot sit in netloc.
        "HOST": query.pop("host", None) or parts.hostname or "",
        "PORT": str(parts.port or query.pop("port", "") or ""),
        # Persistent connections: opening one costs more than a whole polling request.
        "CONN_MAX_AGE": int(os.environ.get("DJANGO_CONN_MAX_AGE", "600")),
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": query,
        # Behind a transaction pooler the hand-written queries are sent whole rather than
        # prepared (vetchat/prepared.py), and .iterator() reads in chunks without a server-side
        # cursor, which outside a transaction is a WITH HOLD cursor kept by the session.
        "POOLER": pooler,
        "DISABLE_SERVER_SIDE_CURSORS": pooler == "transaction",
    }


DEBUG = env_bool("DJANGO_DEBUG")

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Set it to a long random string "
            '(python -c "import secrets; print(secrets.token_urlsafe(50))"), '
            "or set DJANGO_DEBUG=1 for local development."
        )
    SECRET_KEY = "development-only-key-never-used-with-debug-off"  # noqa: S105

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS") or (
    ["127.0.0.1", "localhost", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

if "DATABASE_URL" not in os.environ:
    raise ImproperlyConfigured(
        "DATABASE_URL is not set. Point it at PostgreSQL, "
        "e.g. postgresql://vetchat:secret@localhost:5432/vetchat, "
        "or use `make run`, which starts a local cluster for you."
    )
DATABASES = {"default": database_from_url(os.environ["DATABASE_URL"])}
# A streaming replica of the same database, for the reads that may lag behind the primary by
# its replication delay: search and transcripts, inside `vetchat.routers.reading_from_replica`.
# Everything else, and every write, goes to the primary; without a replica, so do those reads.
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = {
        **database_from_url(os.environ["DATABASE_REPLICA_URL"]),
        # The test run reads the default test database through it.
        "TEST": {"MIRROR": "default"},
    }
    if DATABASES["replica"]["NAME"] != DATABASES["default"]["NAME"]:
        raise ImproperlyConfigured(
            "DATABASE_REPLICA_URL must name the database DATABASE_URL names."
        )
DATABASE_ROUTERS = ["vetchat.routers.ReplicaRouter"]
# Migrations run as the role that owns the tables (DATABASE_MIGRATION_URL, on the same database);
# `migrate` then grants DATABASE_URL's role only the row rights the app uses
# (vetchat/database_roles.py). Unset, DATABASE_URL's role does both.
VETCHAT_MIGRATION_DATABASE = (
    database_from_url(os.environ["DATABASE_MIGRATION_URL"])
    if os.environ.get("DATABASE_MIGRATION_URL")
    else None
)
if (
    VETCHAT_MIGRATION_DATABASE
    and VETCHAT_MIGRATION_DATABASE["NAME"] != DATABASES["default"]["NAME"]
):
    raise ImproperlyConfigured("DATABASE_MIGRATION_URL must name the database DATABASE_URL names.")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis is shared by every app server: the cache (sessions, allauth's rate limits) and the
# channel layer that carries pushes between them. It is never the source of truth. REDIS_URL
# names one server, or with redis+sentinel:// the sentinels that name its primary
# (vetchat/redis_hosts.py).
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "vetchat.cache.FailOpenRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "vetchat",
            # A Redis that is down must not hold a request for longer than this.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    # Sessions are read from the cache and written through to the database. Without a shared
    # cache they stay database-only: a per-process cache would keep a signed-out session alive
    # in the other workers.
    SESSION_ENGINE = "vetchat.cached_sessions"
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # redis-py's asyncio pool refuses a 101st connection, and 200 sockets
                # connecting at once each take one for their group_add.
                "hosts": [
                    channel_layer_host(
                        REDIS_URL,
                        max_connections=int(os.environ.get("REDIS_MAX_CONNECTIONS", "1000")),
                        socket_connect_timeout=2,
                        # Each socket waits on Redis with BZPOPMIN for up to 5 s; redis-py 8's
                        # default read timeout is also 5 s, which kills idle sockets at random.
                        socket_timeout=15,
                    )
                ],
                "prefix": "vetchat:ws",
                "capacity": 500,
                "expiry": 30,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    SESSION_ENGINE = "vetchat.sessions"
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

INSTALLED_APPS = [
    "vetchat.admin_site.VetchatAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "channels",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "allauth",
    "allauth.account",
    "procrastinate.contrib.django",
    "allauth.mfa",
    "csp",
    "tenancy",
    "accounts",
    "appointments",
    "audit",
    "attachments",
    "chat",
    "calls",
    "transcripts",
    "clinic",
    "triage",
    "notifications",
    "sms",
    "oncall",
    "safety",
    "metrics",
    "portal",
]

MIDDLEWARE = [
    "vetchat.observability.RequestMetricsMiddleware",
    "vetchat.logs.RequestLogMiddleware",
    "vetchat.middleware.PermissionsPolicyMiddleware",
    "vetchat.http.ApiBodyLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "vetchat.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "vetchat.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "vetchat.http.DomainErrorMiddleware",
    "accounts.middleware.SessionPolicyMiddleware",
    "accounts.middleware.MfaRequiredMiddleware",
]

ROOT_URLCONF = "vetchat.urls"
WSGI_APPLICATION = "vetchat.wsgi.application"
ASGI_APPLICATION = "vetchat.asgi.application"

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
                "notifications.context_processors.unread",
            ],
        },
    },
]

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.backends.EmailBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"

ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupForm"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
# A self-made account proves its address before it can sign in: otherwise anyone could
# register a client's address first and be linked to that client's pets.
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_PREVENT_ENUMERATION = True
# Sign-in with a one-time code emailed to the address, beside the password (a pet parent has
# the mailbox at hand, rarely the password). Clinic accounts still pass their second factor:
# allauth's MFA stage follows the code as it follows a password.
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
# The code goes out through the job worker; five minutes leaves room for a slow delivery.
ACCOUNT_LOGIN_BY_CODE_TIMEOUT = 5 * 60
ACCOUNT_LOGIN_BY_CODE_MAX_ATTEMPTS = 3
ACCOUNT_UNIQUE_EMAIL = True
# The box is offered to everyone; accounts.middleware honours it for pet parents only.
ACCOUNT_SESSION_REMEMBER = None
SESSION_COOKIE_AGE = 60 * 60 * 24 * 14
# Flash messages live in the session: the default (a signed cookie, then the session) built a
# cookie signer on every request, 2% of a poll's Python.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# Sign-in, sign-up, reset and second-factor attempts, counted by allauth in the cache, per
# client address and per account. Behind proxies, the client address is the one the
# DJANGO_TRUSTED_PROXY_COUNT-th proxy from the right put in X-Forwarded-For (nginx: 1).
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "5/m/ip,30/h/ip",
    "reset_password": "5/m/ip,3/m/key,10/h/key",
    "reset_password_from_key": "20/m/ip",
    "request_login_code": "20/m/ip,3/m/key",
    "confirm_email": "1/3m/key",
    "reauthenticate": "10/m/user",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
}
ALLAUTH_TRUSTED_PROXY_COUNT = int(
    os.environ.get("DJANGO_TRUSTED_PROXY_COUNT")
    or os.environ.get("ALLAUTH_TRUSTED_PROXY_COUNT")
    or "0"
)
# The app's own limits (vetchat.ratelimit), per user for sends and per session for polls
# (an open chat polls every 5 s, the appointment lists every 30 s).
# DJANGO_RATE_LIMITS=off lifts them for load tests (scripts/bench.sh), never in production.
VETCHAT_RATE_LIMITS = (
    {}
    if os.environ.get("DJANGO_RATE_LIMITS") == "off"
    else {
        "message_send": ["20/m", "200/h"],
        "poll": ["120/m"],
        # Uploads per user: a burst limit and the daily quota.
        "attachment_upload": [
            "30/m",
            f"{int(os.environ.get('VETCHAT_UPLOAD_DAILY_QUOTA', '200'))}/d",
        ],
        # Doors whose work is expensive, per user: a transcript is laid out as a PDF (seconds
        # of CPU) or read whole; an edit rewrites the record's chain; a search scans the index;
        # the unread total sums every chat (each open tab asks every 10 s).
        "transcript": ["10/m", "60/h"],
        "message_edit": ["30/m", "300/h"],
        "search": ["30/m", "600/h"],
        "unread_total": ["60/m"],
    }
)

# TOTP with recovery codes; required for vets and staff (accounts.middleware), optional for
# pet parents.
MFA_ADAPTER = "accounts.mfa_adapter.MfaAdapter"
# Fernet keys (comma-separated, the first encrypts) for the second-factor secrets kept in the
# database; without one they are encrypted under a key derived from DJANGO_SECRET_KEY.
VETCHAT_TOTP_KEY = os.environ.get("VETCHAT_TOTP_KEY", "")
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "vetchat"
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False

EMAIL_BACKEND = os.environ.get(
    "DJANGO_EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("DJANGO_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("DJANGO_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("DJANGO_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("DJANGO_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("DJANGO_EMAIL_USE_TLS")
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "vetchat <noreply@localhost>")
# Every email goes out from the job worker; a server that stops answering holds it this long.
EMAIL_TIMEOUT = int(os.environ.get("DJANGO_EMAIL_TIMEOUT", "15"))
# A refused or failed send is tried again after 2, 4, 8 … 1024 seconds (about half an hour in
# all), then set aside for staff (Notifications > Undelivered emails).
VETCHAT_EMAIL_ATTEMPTS = int(os.environ.get("VETCHAT_EMAIL_ATTEMPTS", "11"))
VETCHAT_EMAIL_RETRY_SECONDS = int(os.environ.get("VETCHAT_EMAIL_RETRY_SECONDS", "2"))

# Notifications (notifications/): unread-message emails sent by the procrastinate worker.
VETCHAT_CLINIC_NAME = os.environ.get("VETCHAT_CLINIC_NAME", "vetchat clinic")
# Where links in emails point: the address users open the app at.
VETCHAT_BASE_URL = os.environ.get("VETCHAT_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
VETCHAT_NOTIFY_DELAY_SECONDS = int(os.environ.get("VETCHAT_NOTIFY_DELAY_SECONDS", "300"))
# How long a notification email's one-click sign-in link works, from when the email is built.
VETCHAT_SIGNIN_LINK_SECONDS = int(os.environ.get("VETCHAT_SIGNIN_LINK_SECONDS", "900"))
# A pet parent's default: sooner, as they read on a phone away from the page; never later than
# the clinic's default above.
VETCHAT_PARENT_NOTIFY_DELAY_SECONDS = int(
    os.environ.get("VETCHAT_PARENT_NOTIFY_DELAY_SECONDS", "180")
)
# Message text in emails only when the clinic allows it: a mailbox is not the medical record.
VETCHAT_EMAIL_PREVIEWS = env_bool("VETCHAT_EMAIL_PREVIEWS")
# Reply by email (notifications/inbound/): a chat's emails carry
# Reply-To: reply+<token>@VETCHAT_REPLY_DOMAIN; empty, no Reply-To and no replies by email.
VETCHAT_REPLY_DOMAIN = os.environ.get("VETCHAT_REPLY_DOMAIN", "").strip().lower()
# Where `manage.py mail_gateway` listens (SMTP), behind the MX that relays reply+* to it.
VETCHAT_MAIL_GATEWAY_BIND = os.environ.get("VETCHAT_MAIL_GATEWAY_BIND", "127.0.0.1:2525")
# The largest reply it takes, headers and base64 (4/3 of a file) included: a 30 MB file still
# arrives, so its sender hears from the upload limits why it was refused, text still posted.
VETCHAT_MAIL_GATEWAY_MAX_BYTES = (
    int(os.environ.get("VETCHAT_MAIL_GATEWAY_MAX_MB", "50")) * 1024 * 1024
)
# Text messages (sms/): "twilio" and the account's credentials, or no texts anywhere.
VETCHAT_SMS_PROVIDER = os.environ.get("VETCHAT_SMS_PROVIDER", "").strip().lower()
TWILIO_ACCOUNT_SID = os.environ.get("TWILIO_ACCOUNT_SID", "")
TWILIO_AUTH_TOKEN = os.environ.get("TWILIO_AUTH_TOKEN", "")
# The sender: a number in E.164, or a messaging service (MG…) that picks one.
TWILIO_FROM = os.environ.get("TWILIO_FROM", "")
TWILIO_MESSAGING_SERVICE_SID = os.environ.get("TWILIO_MESSAGING_SERVICE_SID", "")
# Twilio's REST API; `make run` and the tests point it at a local server that speaks its shapes.
TWILIO_API_BASE = os.environ.get("TWILIO_API_BASE", "https://api.twilio.com").rstrip("/")
# The country of a number typed without its code (+44…) on the profile (ISO 3166 alpha-2).
VETCHAT_SMS_DEFAULT_REGION = os.environ.get("VETCHAT_SMS_DEFAULT_REGION", "GB").strip().upper()
# Where `manage.py twilio_local` (the local stand-in for Twilio's API) listens.
VETCHAT_TWILIO_LOCAL_BIND = os.environ.get("VETCHAT_TWILIO_LOCAL_BIND", "127.0.0.1:8025")
# Web push (VAPID, RFC 8292): base64url keys from `python manage.py vapid_keys`; no keys, no push.
VETCHAT_VAPID_PUBLIC_KEY = os.environ.get("VETCHAT_VAPID_PUBLIC_KEY", "")
VETCHAT_VAPID_PRIVATE_KEY = os.environ.get("VETCHAT_VAPID_PRIVATE_KEY", "")
VETCHAT_VAPID_SUBJECT = os.environ.get("VETCHAT_VAPID_SUBJECT", "mailto:noreply@localhost")
# The push services a browser's subscription may name, so the worker cannot be aimed at any
# other address: a host, or `.domain` for every host under it (https on port 443 only), or an
# exact origin with its scheme (`http://127.0.0.1:8123`: a local push service in tests).
VETCHAT_PUSH_HOSTS = env_list("VETCHAT_PUSH_HOSTS") or [
    "fcm.googleapis.com",  # Chrome, Edge, Opera, Android
    ".push.services.mozilla.com",  # Firefox (updates.push.services.mozilla.com)
    ".push.apple.com",  # Safari (web.push.apple.com)
    ".notify.windows.com",  # Windows push notification service
]
# A push service slower than this (to connect, or between bytes) is given up on.
VETCHAT_PUSH_TIMEOUT_SECONDS = float(os.environ.get("VETCHAT_PUSH_TIMEOUT_SECONDS", "5"))
# A killed worker's jobs are retried once its heartbeat is this many seconds old.
_stalled_seconds = float(os.environ.get("VETCHAT_WORKER_STALLED_SECONDS", "30"))
PROCRASTINATE_WORKER_DEFAULTS = {
    "stalled_worker_timeout": _stalled_seconds,
    "update_heartbeat_interval": min(5.0, _stalled_seconds / 3),
    "delete_jobs": "successful",
}
# Prometheus metrics (vetchat/observability.py): GET /metrics answers only
# `Authorization: Bearer <VETCHAT_METRICS_TOKEN>`, and is a 404 without one set. A job worker
# started with VETCHAT_METRICS_PORT serves its own figures on that port, on
# VETCHAT_METRICS_HOST (loopback unless set: that endpoint asks for no token).
VETCHAT_METRICS_TOKEN = os.environ.get("VETCHAT_METRICS_TOKEN", "")
VETCHAT_METRICS_PORT = int(os.environ.get("VETCHAT_METRICS_PORT") or "0")
VETCHAT_METRICS_HOST = os.environ.get("VETCHAT_METRICS_HOST", "127.0.0.1")
PROCRASTINATE_ON_APP_READY = "vetchat.observability.jobs_observed"

# How often an open chat polls while its live socket is down.
CHAT_POLL_SECONDS = int(os.environ.get("DJANGO_CHAT_POLL_SECONDS", "5"))

# Video calls (calls/): how long a call rings, how long a party whose connection dropped has
# to come back, and the ICE servers browsers use (TURN credentials from the shared secret,
# valid for VETCHAT_TURN_TTL_SECONDS; no secret, STUN only).
VETCHAT_CALL_RING_SECONDS = int(os.environ.get("VETCHAT_CALL_RING_SECONDS", "45"))
VETCHAT_CALL_REJOIN_SECONDS = int(os.environ.get("VETCHAT_CALL_REJOIN_SECONDS", "60"))
VETCHAT_STUN_URLS = env_list("VETCHAT_STUN_URLS")
VETCHAT_TURN_URLS = env_list("VETCHAT_TURN_URLS")
VETCHAT_TURN_SECRET = os.environ.get("VETCHAT_TURN_SECRET", "")
VETCHAT_TURN_TTL_SECONDS = int(os.environ.get("VETCHAT_TURN_TTL_SECONDS", "3600"))
# "relay" makes the pages meet only through TURN: for the tests that prove the relay works, or a
# clinic that must never expose its staff's addresses to the family. "all" lets ICE choose.
VETCHAT_CALL_ICE_POLICY = os.environ.get("VETCHAT_CALL_ICE_POLICY", "all")
if VETCHAT_CALL_ICE_POLICY not in ("all", "relay"):
    raise ImproperlyConfigured('VETCHAT_CALL_ICE_POLICY must be "all" or "relay".')
# On call (oncall/): the minutes a paged clinician has to acknowledge before the next level of
# the rota is paged.
VETCHAT_ONCALL_ACK_MINUTES = int(os.environ.get("VETCHAT_ONCALL_ACK_MINUTES", "10"))

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "UTC")

# The clinic's chat rules: how long a sender may correct or retract a message, and how long a
# completed appointment's chat stays open for follow-up questions.
VETCHAT_EDIT_WINDOW = timedelta(minutes=int(os.environ.get("VETCHAT_EDIT_WINDOW_MINUTES", "15")))
VETCHAT_FOLLOW_UP = timedelta(days=int(os.environ.get("VETCHAT_FOLLOW_UP_DAYS", "7")))
# How long an invitation to co-own a pet can be accepted.
VETCHAT_CO_OWNER_INVITE_DAYS = int(os.environ.get("VETCHAT_CO_OWNER_INVITE_DAYS", "7"))
# A prescription still unacknowledged this long after it was sent is listed on its vet's dashboard.
VETCHAT_ACKNOWLEDGEMENT_WAIT = timedelta(
    hours=int(os.environ.get("VETCHAT_ACKNOWLEDGEMENT_HOURS", "24"))
)
# Chats longer than this are rendered to PDF by the job worker rather than in the request:
# layout costs about 9 ms of CPU a message (docs/benchmarks.md), so 200 keeps a request to
# about 2 s of CPU, well inside gunicorn's 30 s timeout.
VETCHAT_TRANSCRIPT_BACKGROUND_MESSAGES = int(
    os.environ.get("VETCHAT_TRANSCRIPT_BACKGROUND_MESSAGES", "200")
)
# The clinic's settings (hours, red-flag signs) are kept per process this long between reads.
VETCHAT_CLINIC_SETTINGS_SECONDS = float(os.environ.get("VETCHAT_CLINIC_SETTINGS_SECONDS", "30"))
# The chat record's HMAC keys (chat/integrity.py), kept out of the database: `id:secret`
# entries, comma-separated here or one a line in the file; VETCHAT_INTEGRITY_KEY_ID (default: the
# first entry) signs new links, the others verify older ones. Required unless debug is on.
VETCHAT_INTEGRITY_KEYS = os.environ.get("VETCHAT_INTEGRITY_KEYS", "")
VETCHAT_INTEGRITY_KEY_FILE = os.environ.get("VETCHAT_INTEGRITY_KEY_FILE", "")
VETCHAT_INTEGRITY_KEY_ID = os.environ.get("VETCHAT_INTEGRITY_KEY_ID", "")
if not (VETCHAT_INTEGRITY_KEYS or VETCHAT_INTEGRITY_KEY_FILE or DEBUG):
    raise ImproperlyConfigured(
        "VETCHAT_INTEGRITY_KEYS is not set. Set it to id:secret with a long random secret "
        '(python -c "import secrets; print(secrets.token_urlsafe(32))"), kept out of the '
        "database, or name a file holding it in VETCHAT_INTEGRITY_KEY_FILE."
    )
# Check pet parents' messages for red-flag signs (off only to measure what the check costs).
VETCHAT_RED_FLAGS = env_bool("VETCHAT_RED_FLAGS", default=True)
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT") or BASE_DIR / "staticfiles")
# Attachments (attachments/): uploaded files live in a private folder outside the static files,
# served only through the access-checked door; S3-compatible storage when a bucket is named.
VETCHAT_MEDIA_ROOT = Path(os.environ.get("VETCHAT_MEDIA_ROOT") or BASE_DIR / ".devdata" / "media")
VETCHAT_S3_BUCKET = os.environ.get("VETCHAT_S3_BUCKET", "")
_MB = 1024 * 1024
VETCHAT_IMAGE_MAX_BYTES = int(os.environ.get("VETCHAT_IMAGE_MAX_MB", "20")) * _MB
VETCHAT_DOCUMENT_MAX_BYTES = int(os.environ.get("VETCHAT_DOCUMENT_MAX_MB", "20")) * _MB
VETCHAT_VIDEO_MAX_BYTES = int(os.environ.get("VETCHAT_VIDEO_MAX_MB", "200")) * _MB
# Bytes of uploads not yet sent in a message that one person may hold from the last 24 hours.
VETCHAT_UPLOAD_DAILY_QUOTA_BYTES = int(os.environ.get("VETCHAT_UPLOAD_DAILY_QUOTA_MB", "500")) * _MB
# Decoded pixels an image may have (a 48 MP phone photo fits): more is refused, not decoded.
VETCHAT_IMAGE_MAX_PIXELS = int(os.environ.get("VETCHAT_IMAGE_MAX_PIXELS", "60000000"))
# The decoders of an upload (ffprobe, ffmpeg, the HEIC decoder) run as child processes under
# limits (attachments/contained.py): all of one upload's decoding within this many seconds of
# wall clock and of CPU, below gunicorn's 30 s worker timeout, so the upload is refused with a
# clear error before its worker would be killed; each at most this much address space, and no
# file it writes larger than the output limit (above the video limit: a remux is a copy).
VETCHAT_MEDIA_TIMEOUT_SECONDS = int(os.environ.get("VETCHAT_MEDIA_TIMEOUT_SECONDS", "20"))
VETCHAT_MEDIA_MAX_MEMORY_MB = int(os.environ.get("VETCHAT_MEDIA_MAX_MEMORY_MB", "1024"))
VETCHAT_MEDIA_MAX_OUTPUT_BYTES = (
    int(os.environ.get("VETCHAT_MEDIA_MAX_OUTPUT_MB", "0")) * _MB
    or VETCHAT_VIDEO_MAX_BYTES + 16 * _MB
)
# Filesystem storage behind nginx: the door checks access, then nginx sends the bytes.
VETCHAT_X_ACCEL_REDIRECT = env_bool("VETCHAT_X_ACCEL_REDIRECT")
VETCHAT_X_ACCEL_PREFIX = os.environ.get("VETCHAT_X_ACCEL_PREFIX", "/_protected_media/")
# ClamAV's clamd (unix socket path): every upload is scanned before it can be attached.
VETCHAT_CLAMD_SOCKET = os.environ.get("VETCHAT_CLAMD_SOCKET", "")
# Uploads stream to a temporary file in chunks whatever their size, so memory stays flat.
FILE_UPLOAD_HANDLERS = ["django.core.files.uploadhandler.TemporaryFileUploadHandler"]
FILE_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024
FILE_UPLOAD_TEMP_DIR = os.environ.get("VETCHAT_UPLOAD_TEMP_DIR") or None
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700


ATTACHMENT_STORAGE = (
    {
        # A private bucket: objects carry no public ACL, and downloads are redirected to URLs
        # signed for a few minutes, after the app's own access check.
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": VETCHAT_S3_BUCKET,
            "endpoint_url": os.environ.get("VETCHAT_S3_ENDPOINT_URL") or None,
            "access_key": os.environ.get("VETCHAT_S3_ACCESS_KEY_ID") or None,
            "secret_key": os.environ.get("VETCHAT_S3_SECRET_ACCESS_KEY") or None,
            "region_name": os.environ.get("VETCHAT_S3_REGION") or None,
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": int(os.environ.get("VETCHAT_S3_URL_SECONDS", "300")),
            "file_overwrite": False,
            "signature_version": "s3v4",
        },
    }
    if VETCHAT_S3_BUCKET
    else {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": VETCHAT_MEDIA_ROOT, "base_url": None},
    }
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Rendered transcripts: private, served only through the transcript views' access check.
    "transcripts": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": os.environ.get("VETCHAT_TRANSCRIPT_ROOT")
            or str(BASE_DIR / "private" / "transcripts"),
            "base_url": None,
        },
    },
    "attachments": ATTACHMENT_STORAGE,
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "vetchat.storage.StaticFilesStorage"
        if env_bool("DJANGO_STATIC_COMPRESS", default=True)
        else "vetchat.storage.UncompressedStaticFilesStorage"
    },
}

# Behind a TLS-terminating proxy. Off by default so the app also serves plain HTTP on loopback.
if env_bool("DJANGO_HTTPS"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # Preloading writes the domain into browsers themselves, and taking it out takes months:
    # only a site that has chosen to (hstspreload.org) sets DJANGO_HSTS_PRELOAD=1.
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD")
    if not SECURE_HSTS_PRELOAD:
        SILENCED_SYSTEM_CHECKS = ["security.W021"]  # "not preloaded": deliberately so
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_REFERRER_POLICY = "same-origin"
# Browser features no page uses are off in every answer (vetchat.middleware); a page that comes
# to need one (the chat's camera and microphone for calls) is allowed it here, e.g. ["self"].
PERMISSIONS_POLICY = {
    "accelerometer": [],
    "camera": [],
    "display-capture": [],
    "geolocation": [],
    "gyroscope": [],
    "magnetometer": [],
    "microphone": [],
    "midi": [],
    "payment": [],
    "usb": [],
}
X_FRAME_OPTIONS = "DENY"

# No inline script or style anywhere; the API docs page alone gets a nonce for its own.
# Attachments and profile images stored elsewhere (S3, a CDN) need their origin listed in
# DJANGO_CSP_MEDIA_ORIGINS, e.g. https://files.clinic.example.
_MEDIA_SOURCES = [SELF, *env_list("DJANGO_CSP_MEDIA_ORIGINS")]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        # blob: the chat's previews of photos being uploaded, drawn from the chosen file itself.
        "img-src": [*_MEDIA_SOURCES, "blob:"],
        "media-src": _MEDIA_SOURCES,
        "font-src": [SELF],
        "connect-src": [SELF],  # plus this host's ws(s):, added per request by the middleware
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["vetchat.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["vetchat.parsers.JSONParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "vetchat.negotiation.ContentNegotiation",
    "EXCEPTION_HANDLER": "vetchat.http.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append(
        "rest_framework.renderers.BrowsableAPIRenderer"
    )

SPECTACULAR_SETTINGS = {
    "TITLE": "vetchat API",
    "DESCRIPTION": "Appointment chat between a pet parent and the appointment's veterinarian.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # A message's type appears in several shapes (messages, search results): one enum for all.
    "ENUM_NAME_OVERRIDES": {"MessageTypeEnum": "chat.models.Message.Type"},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "vetchat.schema.allow_empty_values",
    ],
}

# JSON lines with a request id on stderr. DJANGO_LOG_FORMAT=text (`make run`) is for a person at
# a terminal: short lines, without the job queue's routine ones or static files (vetchat/logs.py).
_log_text = os.environ.get("DJANGO_LOG_FORMAT") == "text"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "vetchat.logs.RequestIdFilter"},
        "terminal": {"()": "vetchat.logs.TerminalFilter"},
    },
    "formatters": {
        "json": {"()": "vetchat.logs.JsonFormatter"},
        "text": {"()": "vetchat.logs.TextFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id", "terminal"] if _log_text else ["request_id"],
            "formatter": "text" if _log_text else "json",
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        # One line per request from vetchat.request instead; Django's own repeats 4xx paths.
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "ERROR"},
        # A line per layout step of every transcript.
        "weasyprint.progress": {"level": "WARNING"},
        # aiosmtpd's, the mail gateway's SMTP server: several lines per connection; the gateway
        # logs one line per reply itself.
        "mail.log": {"level": "WARNING"},
    },
}
