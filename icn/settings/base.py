"""Settings shared by every environment; every value can come from the environment.

Local defaults are safe for a developer's machine. ``production.py`` tightens them and
refuses to start without the secrets it needs.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
if env.bool("ICN_READ_DOTENV", default=True):  # off in tests that must see only their own env
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY", default="insecure-local-only-key-do-not-use-in-production")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "knox",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_celery_beat",
    "pgtrigger",
    "pghistory",
    # Not "pghistory.admin": its event list shows whole rows (a person's clinical notes and
    # NHS number) with no access event; row history is read in the database, not the admin.
    "rules.apps.AutodiscoverRulesConfig",
    "axes",
    "core",
    "dmd",  # dm+d lookup tables (reference data, no network)
    "networks",
    "accounts",
    "patients",
    "audit",
    "actions",
    "careplans",
    "notifications",
    "webhooks",
    "referrals",
    "huddles",
    "medicines",
    "reports",
    "interop",  # FHIR R4 UK Core read and referral intake: reads every domain, as governance does
    "governance",  # subject access and retention: reads every domain, so above them all
    "demo",  # seed_demo and generate_synthetic (the shell: imports any app)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "core.middleware.SessionMiddleware",  # Django's, with passive requests (polling)
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.middleware.SessionLifetimeMiddleware",
    # The database's scope: the user's networks, for row-level security (docs/adr/0006).
    "networks.middleware.NetworkScopeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "pghistory.middleware.HistoryMiddleware",
    "core.middleware.NoStoreMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "icn.urls"
WSGI_APPLICATION = "icn.wsgi.application"

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
                "django.template.context_processors.csp",
                "icn.context_processors.network",
            ],
        },
    },
]

# One database engine everywhere: PostgreSQL. `make run` / `make test` start an embedded
# server and set DATABASE_URL when it is not set.
DATABASES = {
    "default": env.db_url("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/icn")
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Behind a connection pooler in transaction mode (pgbouncer, docs/deployment.md): a server
# session is not ours between transactions, so nothing may outlive one: no server-side
# cursors (they are held open across fetches), no prepared statements (psycopg prepares a
# query it has run five times, on whichever server connection that was), and row-level
# security's scope set in each transaction (core/rls.py).
DATABASE_POOLER = env.bool("DATABASE_POOLER", default=False)
# A streaming replica for reads that tolerate lag (reports, exports, FHIR $everything):
# core/replica.py says which, and why the rest stays on the primary. Unset: no second alias.
DATABASE_REPLICA_URL = env("DATABASE_REPLICA_URL", default="")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = {
        **env.db_url_config(DATABASE_REPLICA_URL),
        "ATOMIC_REQUESTS": False,
        "CONN_MAX_AGE": DATABASES["default"]["CONN_MAX_AGE"],
        "CONN_HEALTH_CHECKS": True,
        # A replica that does not answer is given up on quickly: its reads go to the
        # primary (core/replica.py).
        "OPTIONS": {"connect_timeout": env.int("DATABASE_REPLICA_CONNECT_TIMEOUT", default=2)},
        # In tests the alias is the test database itself, not a second one to create.
        "TEST": {"MIRROR": "default"},
    }
    DATABASE_ROUTERS = ["core.replica.ReplicaRouter"]
# After the replica failed to connect, how long its reads go to the primary before it is
# tried again.
DATABASE_REPLICA_RETRY_SECONDS = env.int("DATABASE_REPLICA_RETRY_SECONDS", default=30)
# PostgreSQL's JIT compiler is for long analytical queries: on ICN's short ones (lists whose
# rows carry correlated subqueries, e.g. case finding, involvement) the planner's cost
# estimates trip it and compiling takes longer than running (811 ms of JIT for a 15 ms
# query at 100,000 people, docs/performance.md). The application's role has it off
# (icn/dev.py, deploy/postgres-init); the connection says so too, for any other role (a
# superuser's benchmark, the tests), unless DATABASE_JIT says otherwise. Not through a
# pooler, which does not pass startup options on: there the role's setting holds.
DATABASE_JIT = env.bool("DATABASE_JIT", default=False)
for _alias in DATABASES.values():
    _options = _alias.setdefault("OPTIONS", {})
    if DATABASE_POOLER:
        _alias["DISABLE_SERVER_SIDE_CURSORS"] = True
        _options["prepare_threshold"] = None
    elif not DATABASE_JIT:
        _options["options"] = f"{_options.get('options', '')} -c jit=off".strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The role the application connects as in production (docs/adr/0006): not a superuser, not
# the tables' owner, so PostgreSQL's row-level security applies to it. Each migrate (run as
# the owner, DATABASE_OWNER_URL in icn/dev.py and docker compose) grants it what it needs,
# when the role exists.
DATABASE_APP_ROLE = env("DATABASE_APP_ROLE", default="icn_app")

REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Not a rule: Django calls `password_changed` on every validator whenever a password is
    # set and saved (admin, password-change form, management commands); it revokes the
    # account's API tokens.
    {"NAME": "accounts.passwords.RevokeTokensOnPasswordChange"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Single sign-on through OpenID Connect (accounts/sso.py), e.g. NHS CIS2 or a council's
# Entra ID: off, and no button on the login page, unless OIDC_ISSUER is set. The endpoints
# come from the issuer's discovery document. Nobody is created: OIDC_USERNAME_CLAIM names
# the claim matched against User.email (OIDC_MATCH=email, only with email_verified true)
# or User.username (OIDC_MATCH=username); the account needs an active membership.
OIDC_ISSUER = env("OIDC_ISSUER", default="")
OIDC_CLIENT_ID = env("OIDC_CLIENT_ID", default="")
OIDC_CLIENT_SECRET = env("OIDC_CLIENT_SECRET", default="")
OIDC_USERNAME_CLAIM = env("OIDC_USERNAME_CLAIM", default="email")
OIDC_MATCH = env("OIDC_MATCH", default="email")
if OIDC_MATCH not in {"email", "username"}:
    raise ImproperlyConfigured("OIDC_MATCH must be 'email' or 'username'")
OIDC_SCOPES = env("OIDC_SCOPES", default="openid email profile")
OIDC_BUTTON_LABEL = env("OIDC_BUTTON_LABEL", default="your organisation's single sign-on")
OIDC_SIGN_ALGO = env("OIDC_SIGN_ALGO", default="RS256")
AUTHENTICATION_BACKENDS += ["accounts.sso.OIDCBackend"]

# Sessions: idle timeout (renewed on every request) and an absolute lifetime after login.
SESSION_ENGINE = "core.sessions"  # Django's database sessions (one UPDATE a save)
SESSION_COOKIE_AGE = int(
    timedelta(minutes=env.int("SESSION_IDLE_MINUTES", default=30)).total_seconds()
)
SESSION_SAVE_EVERY_REQUEST = True
# ...but a session whose data did not change is written again only when its expiry would move
# by this much (core/sessions.py): one write a minute, not one a request; the idle timeout
# then ends up to this much before SESSION_IDLE_MINUTES, never after.
SESSION_RENEW_SECONDS = env.int("SESSION_RENEW_SECONDS", default=60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_ABSOLUTE_SECONDS = int(
    timedelta(hours=env.int("SESSION_ABSOLUTE_HOURS", default=10)).total_seconds()
)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Lockout after repeated failed logins (django-axes), by username whatever the address: an
# attacker who changes address (or X-Forwarded-For) on every try is still locked out.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username"]
# axes warns that this alone lets an attacker rotate addresses: that is the point. Locking by
# address as well let them escape by rotating X-Forwarded-For (issue #12).
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_LOCKOUT_CALLABLE = "networks.views.locked_out"
# The client's address (for the lockout log and the access trail) is read from
# X-Forwarded-For only through the proxies the deployment declares: a count of reverse
# proxies in front of the app, or their addresses (CIDRs allowed). Neither: the header is
# ignored. (It was AXES_PROXY_COUNT: left set, it is ignored, which fails safe.)
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
AXES_CLIENT_IP_CALLABLE = "core.clientip.client_ip"

# Content Security Policy (Django 6): no inline scripts or styles, nothing from elsewhere.
from django.utils.csp import CSP  # noqa: E402

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Second factor (django-otp: TOTP authenticators, recovery codes). When required, nobody
# gets a session or an API token with a password alone (accounts/views.py, accounts/api.py).
ICN_REQUIRE_MFA = env.bool("ICN_REQUIRE_MFA", default=False)
# How long the code step waits after a correct password before the password is asked again.
ICN_MFA_PENDING_SECONDS = 5 * 60
ICN_RECOVERY_CODES = 10
OTP_TOTP_ISSUER = "ICN"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # no secrets or QR codes of anyone's authenticator
# Passkeys (WebAuthn, django-otp-webauthn) as a second factor in place of a TOTP code; never
# instead of the password. The relying party id is the domain passkeys are bound to: by
# default the host name the page was served from; set it when ICN answers at several names
# (a passkey made at one id never works at another). The allowed origins are the pages that
# may use them: by default the request's own origin (scheme and host, after ALLOWED_HOSTS).
ICN_WEBAUTHN_RP_ID = env("WEBAUTHN_RP_ID", default="")
ICN_WEBAUTHN_RP_NAME = env("WEBAUTHN_RP_NAME", default="ICN")
ICN_WEBAUTHN_ALLOWED_ORIGINS = env.list("WEBAUTHN_ALLOWED_ORIGINS", default=[])
OTP_WEBAUTHN_HELPER_CLASS = "accounts.passkeys.PasskeyHelper"
OTP_WEBAUTHN_RP_ID_CALLABLE = "accounts.passkeys.rp_id"
OTP_WEBAUTHN_RP_NAME = ICN_WEBAUTHN_RP_NAME
OTP_WEBAUTHN_ALLOWED_ORIGINS = ICN_WEBAUTHN_ALLOWED_ORIGINS
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False  # a second factor only, after the password
if not ICN_WEBAUTHN_ALLOWED_ORIGINS:
    # The library asks for a fixed list; without one PasskeyHelper takes the request's origin.
    SILENCED_SYSTEM_CHECKS = [*SILENCED_SYSTEM_CHECKS, "otp_webauthn.E030"]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="ICN <icn@localhost>")
# Who hears of what needs an operator (mail_admins), e.g. an e-mail that could not be sent:
# comma-separated addresses.
ADMINS = env.list("ADMINS", default=[])
SERVER_EMAIL = env("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
EMAIL_SUBJECT_PREFIX = "[ICN] "

# The largest request body read (files apart, each upload has its own limit) and the most
# fields in a form body: over either, a page gets 413 and the API 413 {"detail": ...}.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)
DATA_UPLOAD_MAX_NUMBER_FIELDS = env.int("DATA_UPLOAD_MAX_NUMBER_FIELDS", default=1000)

# API tokens (django-rest-knox, stored hashed): expire API_TOKEN_IDLE_MINUTES after last use
# (each use moves the expiry on) and never later than API_TOKEN_HOURS after issue;
# `partner_system` tokens last PARTNER_TOKEN_DAYS and are not moved on.
# Break-glass (API.md 1.1): how long a grant to read one person's clinical detail lasts.
BREAK_GLASS_HOURS = env.int("BREAK_GLASS_HOURS", default=12)
ICN_API_TOKEN_IDLE = timedelta(minutes=env.int("API_TOKEN_IDLE_MINUTES", default=30))
ICN_API_TOKEN_MAX = timedelta(hours=env.int("API_TOKEN_HOURS", default=10))
ICN_PARTNER_TOKEN_TTL = timedelta(days=env.int("PARTNER_TOKEN_DAYS", default=90))
REST_KNOX = {
    "AUTH_HEADER_PREFIX": "Token",
    "TOKEN_TTL": ICN_API_TOKEN_IDLE,
    "AUTO_REFRESH": True,
    "AUTO_REFRESH_MAX_TTL": ICN_API_TOKEN_MAX,
    "MIN_REFRESH_INTERVAL": 60,  # at most one UPDATE a minute per token
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.authentication.MemberTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "core.api.Pagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "core.schema.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ICN REST API",
    "DESCRIPTION": (
        "Integrated community networks: patients, referrals, visits, huddles, tasks. A request "
        f"body over {DATA_UPLOAD_MAX_MEMORY_SIZE:,} bytes (files apart; each upload states its "
        'own limit) is refused with 413 {"detail": ...}, never cut short.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.document_error_responses",
    ],
    "ENUM_NAME_OVERRIDES": {
        "RoleEnum": "networks.roles.Role",
        "ConsentEnum": "patients.models.Consent",
        "ReferralStatusEnum": "referrals.models.Referral.Status",
        "TaskStatusEnum": "actions.models.Action.Status",
        "TaskSourceEnum": "actions.models.Action.Source",
        "DeclineReasonEnum": "referrals.models.Referral.DeclineReason",
        "UrgencyEnum": "referrals.models.Urgency",
        "ServiceEnum": "networks.roles.Service",
        "VisitKindEnum": "medicines.models.Visit.Kind",
        "InterventionKindEnum": "medicines.models.Intervention.Kind",
        "ReviewOutcomeEnum": "medicines.models.MedicationReview.Outcome",
        "AccessOutcomeEnum": "audit.models.AccessEvent.Outcome",
    },
}

# Celery on Redis. Tasks are thin and idempotent; work is enqueued on commit.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
# Kombu's Redis transport, with a failed acknowledgement freeing the worker's slot (icn/broker.py).
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT = "icn.broker:Transport"
CELERY_RESULT_BACKEND = None
CELERY_RESULT_EXPIRES = None  # no result backend, so no backend_cleanup task in beat
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # A task taken by a worker that then died unannounced (SIGKILL, lost host) is handed out
    # again after this long: 20 minutes, above the 5-minute time limit, so a morning digest
    # is at most that late. Countdowns (e-mail back-off) stay below it.
    "visibility_timeout": 1200,
    # A web request must not hang on a broker that is down: fail fast, the sweeps catch up.
    # These are redis-py's socket timeouts (CELERY_BROKER_CONNECTION_TIMEOUT does not reach
    # them). Without them a publish to a Redis that accepts connections but never answers (hung,
    # or a network dropping packets) waits forever. A failed publish is one command and two
    # connection attempts (the publish retry policy), so 0.2 s keeps a request well under a
    # second: 0.42-0.65 s measured (tests/notifications/test_faults.py). The worker reads its
    # queue (BRPOP) only once Redis has answered, so waiting for work is unaffected.
    "socket_connect_timeout": 0.2,
    "socket_timeout": 0.2,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = 1
# No publish retries: what a lost message would have done, the sweeps do from the database.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 0, "interval_start": 0, "interval_step": 0.2}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Periodic work is defined here and copied into django-celery-beat's tables when beat
# starts, where it can be changed in the admin.
CELERY_BEAT_SCHEDULE = {
    "schedule-meetings": {"task": "huddles.tasks.schedule_meetings", "schedule": 15 * 60},
    # Overdue tasks, follow-ups, untriaged referrals, meetings, minutes; each sweep decides
    # from the database what is due, so a missed or doubled run changes nothing.
    "sweep-reminders": {"task": "notifications.tasks.sweep_reminders", "schedule": 5 * 60},
    # E-mails that should have gone straight away but whose message was lost.
    "email-pending": {"task": "notifications.tasks.email_pending", "schedule": 5 * 60},
    # The morning digest; the task itself skips England and Wales bank holidays.
    "morning-digest": {
        "task": "notifications.tasks.send_digests",
        "schedule": crontab(
            hour=env.int("DIGEST_HOUR", default=7),
            minute=env.int("DIGEST_MINUTE", default=30),
            day_of_week="mon-fri",
        ),
    },
    # Webhook deliveries due: retries after their back-off, and any whose message or worker
    # was lost (webhooks/tasks.py).
    "webhook-deliveries": {"task": "webhooks.tasks.sweep_deliveries", "schedule": 60},
    # The commissioner's monthly report (reports/monthly.py): runs every weekday morning and
    # acts only on the month's first working day (England and Wales), once per person.
    "commissioner-monthly-report": {
        "task": "reports.tasks.send_monthly_reports",
        "schedule": crontab(hour=6, minute=30, day_of_week="mon-fri"),
    },
    # Yesterday's unusual access (audit/digest.py), to each network's IG lead, every day.
    "unusual-access-digest": {
        "task": "audit.tasks.notify_unusual_access",
        "schedule": crontab(hour=7, minute=0),
    },
}

# Ports (core/ports.py): how a lower floor reaches a higher one without importing it. The
# shell composes them here; each list runs in order.
ICN_PORTS = {
    # The networks whose rows a user's requests may see, for PostgreSQL's row-level security
    # (core/rls.py): (user) -> list of network ids. The API sets it where DRF authenticates.
    "network_scope": ["networks.middleware.scope_network_ids"],
    # An MDT referral was accepted: open the episode, put the person on the next agenda.
    "referral_accepted_for_mdt": ["huddles.services.mdt_referral_accepted"],
    # A network was created (networks.services.network_create): give it the built-in
    # services, schedule its meetings.
    "network_created": ["referrals.services.network_created", "huddles.services.network_created"],
    # Consent recorded on a person (patients.services.patient_record_consent), with what it
    # was: each floor above closes what rested on a consent now refused.
    "consent_recorded": [
        "referrals.services.consent_recorded",  # open PIC referrals withdrawn
        "actions.services.consent_recorded",  # tasks to ask closed; the PIC's tasks closed
        "huddles.consent.consent_recorded",  # off the agendas of meetings not yet held
    ],
    # A red flag for the PIC about a person without consent to share raised no referral: the
    # one who raised it is given a task to ask (referrals.services.flag_raise).
    "consent_to_share_needed": ["actions.services.consent_to_share_needed"],
    # The person's page: each callable (user, patient) -> dict adds its sections' context.
    "person_page_sections": [
        "actions.sections.patient_actions_context",
        "careplans.sections.patient_care_plan_context",
        "referrals.views.patient_referrals_context",
        "medicines.views.patient_medicines_context",
        "huddles.sections.patient_next_meeting_context",
    ],
    # The person's timeline: each callable (user, patient) -> [patients.timeline.Entry], the
    # entries of one app that the user may see, in a fixed number of queries.
    "person_timeline": [
        "huddles.timeline.person_timeline",  # discussions at meetings, episodes
        "referrals.timeline.person_timeline",  # made, accepted or declined, completed, withdrawn
        "medicines.timeline.person_timeline",  # visits (clinical roles)
        "reports.timeline.person_timeline",  # hospital admissions (clinical roles)
        "patients.timeline.frailty_entries",  # frailty assessments (clinical roles)
        "patients.timeline.consent_entries",  # consent given, refused, withdrawn
    ],
    # The people list's columns owned above patients: each callable (user) -> a list of
    # patients.caseload.CaseloadColumn, a Subquery the list annotates, filters and sorts on.
    "caseload_columns": ["huddles.caseload.caseload_columns", "reports.caseload.caseload_columns"],
    # A person's hospital admissions in the last n days, as an expression on OuterRef("pk")
    # (days) -> Expression, for floors below reports (medicines' care-home stratification).
    "admissions_within": ["reports.caseload.admissions_within"],
    # Who is involved in a person's care (patients.involvement): each callable
    # (*, memberships, now) -> a Q on Patient, one way a clinical member is involved.
    "patient_involvement": [
        "referrals.selectors.patient_involvement",  # serving a service with a referral
        "actions.selectors.patient_involvement",  # a task about them, by name or role queue
        "medicines.selectors.patient_involvement",  # their allocated pharmacist, a visitor
        "huddles.selectors.patient_involvement",  # present at or chairing a meeting about them
    ],
    # The counts in the header, read in one query (networks/navigation.py).
    "navigation_counts": [
        "notifications.navigation.Counts",
        "actions.navigation.Counts",
        "referrals.navigation.Counts",
        "audit.navigation.Counts",
    ],
    # Every domain's reminder sweeps, by the name each reports under, run in this order (the
    # sweep-reminders beat task and the morning digest; notifications/sweeping.py).
    "reminder_sweeps": [
        "actions.reminders.SWEEPS",  # assignments, overdue
        "medicines.reminders.SWEEPS",  # follow_ups
        "referrals.reminders.SWEEPS",  # referrals
        "huddles.reminders.SWEEPS",  # meetings, minutes
    ],
}

# Webhooks to partner systems (webhooks/, docs/adr/0010). Private, loopback and link-local
# addresses are refused unless allowed (local runs and tests only); a delivery is tried up to
# WEBHOOK_MAX_ATTEMPTS times, waiting WEBHOOK_RETRY_SECONDS doubled after each failure; a
# worker holds a delivery WEBHOOK_LEASE_SECONDS while sending (above the timeout).
WEBHOOK_ALLOW_PRIVATE = env.bool("WEBHOOK_ALLOW_PRIVATE", default=False)
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=8)
WEBHOOK_RETRY_SECONDS = env.int("WEBHOOK_RETRY_SECONDS", default=30)
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10.0)
WEBHOOK_LEASE_SECONDS = env.int("WEBHOOK_LEASE_SECONDS", default=60)

# The daily digest of unusual access: a member who opened more than this many distinct
# people's records in a day, or was refused more than ICN_UNUSUAL_REFUSALS_PER_DAY times.
ICN_UNUSUAL_ACCESS_PER_DAY = env.int("ICN_UNUSUAL_ACCESS_PER_DAY", default=50)
ICN_UNUSUAL_REFUSALS_PER_DAY = env.int("ICN_UNUSUAL_REFUSALS_PER_DAY", default=10)

# Reminders and e-mail (<app>/reminders.py, notifications/sweeping.py and services.py).
# Where links in e-mails point. A configured SITE_URL (the public address in production) is
# authoritative; without one, the address `make run` serves (ICN_HOST, ICN_PORT), which the
# Celery worker that sends the e-mails inherits (icn/dev.py).
_SERVED_HOST = env("ICN_HOST", default="127.0.0.1")
if _SERVED_HOST in {"", "0.0.0.0", "::"}:  # noqa: S104 (served on every interface: link to loopback)
    _SERVED_HOST = "127.0.0.1"
ICN_SITE_URL = env("SITE_URL", default=f"http://{_SERVED_HOST}:{env('ICN_PORT', default='8000')}")
# How often an open page asks for the bell's unread count (a passive request: it does not
# keep an idle session alive).
ICN_BELL_POLL_SECONDS = env.int("BELL_POLL_SECONDS", default=30)
ICN_NOTIFY = {
    # E-mail for members who have not chosen: "digest" (07:30 on working days) or "immediate".
    "EMAIL_DEFAULT": env("NOTIFY_EMAIL_DEFAULT", default="digest"),
    # Patient names in e-mails only where mail is approved for patient data (NHSmail).
    "EMAIL_IDENTIFIABLE": env.bool("NOTIFY_EMAIL_IDENTIFIABLE", default=False),
    # Task and referral reminders go out on working days between these local hours.
    "WORKING_HOURS": (
        env.int("NOTIFY_WORKING_HOURS_START", default=7),
        env.int("NOTIFY_WORKING_HOURS_END", default=19),
    ),
    "OVERDUE_REMIND_WORKING_DAYS": env.int("OVERDUE_REMIND_WORKING_DAYS", default=1),
    "OVERDUE_ESCALATE_WORKING_DAYS": env.int("OVERDUE_ESCALATE_WORKING_DAYS", default=3),
    "REFERRAL_REMIND_WORKING_DAYS": env.int("REFERRAL_REMIND_WORKING_DAYS", default=2),
    "REFERRAL_ESCALATE_WORKING_DAYS": env.int("REFERRAL_ESCALATE_WORKING_DAYS", default=5),
    "URGENT_REMIND_HOURS": env.int("URGENT_REFERRAL_REMIND_HOURS", default=4),
    "URGENT_ESCALATE_HOURS": env.int("URGENT_REFERRAL_ESCALATE_HOURS", default=8),
    # How far back the sweeps look for assignments and minutes whose message was lost.
    "ASSIGNMENT_LOOKBACK_HOURS": env.int("NOTIFY_LOOKBACK_HOURS", default=72),
}

# The commissioner's monthly report is e-mailed as a link to sign in and open it; true attaches
# its PDF and CSV too (figures per network, no names: still, only where the mail route is
# trusted with them).
COMMISSIONER_REPORT_EMAIL_ATTACH = env.bool("COMMISSIONER_REPORT_EMAIL_ATTACH", default=False)

# A visit's NEWS2 of 5 or more (or 3 in one parameter) raises an urgent task, due today, in
# this role's queue (a role that does casework; medicines.services.visit_news2_escalate).
ICN_NEWS2_ESCALATION_ROLE = env("ICN_NEWS2_ESCALATION_ROLE", default="gp")

# Retention (governance.selectors.retention_due): people discharged (no open episode, no open
# referral) whose last activity is more than this many years ago are listed for the IG lead
# to review. 8 years: the NHS Records Management Code of Practice's minimum for adult health
# records after the conclusion of treatment.
RETENTION_YEARS = env.int("RETENTION_YEARS", default=8)

# Care-home stratification (medicines.selectors.care_home_stratification) from data ICN holds:
# a resident admitted in the last RECENT_DISCHARGE_DAYS days goes to the technicians; one on
# COMPLEX_MEDICINES or more current medicines, at HIGH_FRAILTY or above (fit, mild, moderate,
# severe: the latest eFI or CFS band) or with HOSPITAL_USE_ADMISSIONS or more admissions in
# HOSPITAL_USE_DAYS days goes to the pharmacists.
ICN_STRATIFICATION = {
    "RECENT_DISCHARGE_DAYS": env.int("ICN_STRATIFICATION_RECENT_DISCHARGE_DAYS", default=30),
    "COMPLEX_MEDICINES": env.int("ICN_STRATIFICATION_COMPLEX_MEDICINES", default=10),
    "HIGH_FRAILTY": env("ICN_STRATIFICATION_HIGH_FRAILTY", default="severe"),
    "HOSPITAL_USE_ADMISSIONS": env.int("ICN_STRATIFICATION_HOSPITAL_USE_ADMISSIONS", default=3),
    "HOSPITAL_USE_DAYS": env.int("ICN_STRATIFICATION_HOSPITAL_USE_DAYS", default=365),
}

# Case finding (reports/case_finding.py, issue #19): the points each reason adds to a person's
# score, and the thresholds that make a reason. A dict here (change it in a settings module).
CASE_FINDING_WEIGHTS = {
    "frailty_moderate": 2,  # frailty level moderate (the latest eFI or CFS band)
    "frailty_severe": 3,  # frailty level severe
    "emergency_admission": 2,  # per emergency admission in the last ADMISSION_DAYS
    "many_medicines": 2,  # MEDICINES or more active medicines
    "red_flag": 1,  # per active red flag
    "recent_hospital": 2,  # admitted to hospital in the last RECENT_DAYS
    "ADMISSION_DAYS": 365,
    "MEDICINES": 10,
    "RECENT_DAYS": 30,
}

# Evaluation (reports/evaluation.py, issue #19): each person is followed for up to this many
# days before and after (or after the index day), fewer when less time has passed since; people
# followed for fewer than EVALUATION_MIN_FOLLOW_DAYS are left out (and counted).
EVALUATION_WINDOW_DAYS = env.int("EVALUATION_WINDOW_DAYS", default=180)
EVALUATION_MIN_FOLLOW_DAYS = env.int("EVALUATION_MIN_FOLLOW_DAYS", default=30)

ICN_DEMO_PASSWORD = env("DEMO_PASSWORD", default="demo-password-change-me")
# Base32; when set every demo person (not partner_system) gets a TOTP authenticator with it.
ICN_DEMO_TOTP_SECRET = env("DEMO_TOTP_SECRET", default="")

# Red flags derived from dispensing history (medicines/dispensing.py).
ICN_DISPENSING = {
    "cycle_days": env.int("DISPENSING_CYCLE_DAYS", default=28),
    "max_dates_per_cycle": env.int("DISPENSING_MAX_DATES_PER_CYCLE", default=2),
    "run_out_spread_days": env.int("DISPENSING_RUN_OUT_SPREAD_DAYS", default=7),
    "stockpile_surplus_days": env.int("DISPENSING_STOCKPILE_SURPLUS_DAYS", default=56),
    "lookback_days": env.int("DISPENSING_LOOKBACK_DAYS", default=180),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}
