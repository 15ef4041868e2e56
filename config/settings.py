"""One environment-driven settings module for every deployment.

Every value comes from the environment; code reads ``django.conf.settings`` and never
``os.environ``. docs/configuration.md is generated from this file (``manage.py
docs_tables``): each variable read, its default, and the comment that opens its paragraph,
so every read needs one.
"""

from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# The demo's SQLite file, its filesystem broker and worker-trained adapters live here.
VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))

# Required, with no default, so that no deployment runs on a known key; `make run` keeps
# one in var/secret_key.
SECRET_KEY = env.str("SECRET_KEY")
# Old keys still accepted while a rotation settles: Django's signatures, and the sealed
# per-droplet credentials (engines/gpu/droplet_access.py).
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])
# Development mode, off unless asked for (`make run` sets DEBUG=1).
DEBUG = env.bool("DEBUG", default=False)
# The host names served, and the origins CSRF trusts besides them (comma-separated).
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # The widgets' own templates, for the project-wide form renderer below.
    "django.forms",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "simple_history",
    "engines",
    "builder",
    "prospects",
]

MIDDLEWARE = [
    "core.logs.RequestIdMiddleware",
    "core.parsers.PoisonQueryMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.roles.RolesRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django_ratelimit.middleware.RatelimitMiddleware",
    "prospects.metrics.RequestMetricsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

FORM_RENDERER = "core.forms.PanelFormRenderer"

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
                "core.roles.roles_context",
            ],
        },
    },
]

DATABASES = {
    # PostgreSQL in production (postgres://user:pass@host:5432/db); the demo's SQLite file
    # otherwise.
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'prospector.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The demo's web process, worker and beat write to one SQLite file: WAL lets readers
    # go on beside a writer, IMMEDIATE takes the write lock when a transaction starts (so a
    # read-then-write transaction never fails half-way with "database is locked"), and the
    # timeout waits for the lock instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
# Reuse connections: a worker opening one per task spent most of each item connecting.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "prospects:dashboard"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"

# Production hardening; each switch can be lowered for plain-HTTP local runs only.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

REST_FRAMEWORK = {
    "DEFAULT_PARSER_CLASSES": [
        "core.parsers.UntrustedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Deny by default: each API view names who may use it (core/roles.py).
    "DEFAULT_PERMISSION_CLASSES": ["core.roles.DeclaredNothing"],
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        # DRF's throttles: anonymous callers, signed-in users, and the token endpoint's sign-ins.
        "anon": env.str("API_THROTTLE_ANON", default="120/min"),
        "user": env.str("API_THROTTLE_USER", default="6000/min"),
        "login": env.str("API_THROTTLE_LOGIN", default="10/min"),
    },
    "DEFAULT_PAGINATION_CLASS": "core.pagination.PageSizePagination",
    "PAGE_SIZE": 25,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "core.schema.AutoSchema",
    "EXCEPTION_HANDLER": "core.api_errors.exception_handler",
    # `?format=` belongs to the tuning export (sft|dpo), not to renderer selection.
    "URL_FORMAT_OVERRIDE": None,
}
REST_KNOX = {
    # API tokens expire (hours): a leaked one stops working on its own.
    "TOKEN_TTL": timedelta(hours=env.int("API_TOKEN_TTL_HOURS", default=24 * 30)),
    "AUTH_HEADER_PREFIX": "Token",
}

# Throttles and login limits count in this cache: use Redis when more than one process
# serves requests (CACHE_URL=rediscache://host:6379/2).
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
# /metrics answers loopback only unless scrapers send this bearer token.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# Sign-in attempts per client address and per username (however it is typed): the panel,
# Django admin and POST /api/auth/token/ share both budgets (core/auth.py).
LOGIN_RATE_LIMIT = env.str("LOGIN_RATE_LIMIT", default="10/m")
RATELIMIT_VIEW = "core.auth.ratelimited"
# Behind nginx every request comes from 127.0.0.1: limit by the address nginx passes on
# (deploy sets HTTP_X_REAL_IP). Never set it where clients reach gunicorn directly.
RATELIMIT_IP_META_KEY = env.str("RATELIMIT_IP_META_KEY", default="REMOTE_ADDR")

SPECTACULAR_SETTINGS = {
    "TITLE": "Prospector draft engine API",
    "DESCRIPTION": "Ingest inbound messages, fetch drafts and decisions, flip the draft engine.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its viewer are public, as docs/api.md is.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    # Swagger UI's files from the pinned drf-spectacular-sidecar, through our static files.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The API reads JSON: the form parsers DRF keeps for its browsable forms are not part
    # of the contract a client is generated from.
    "PARSER_WHITELIST": ["core.parsers.UntrustedJSONParser"],
    # What a request must hold (a non-blank string, a non-empty list) differs from what a
    # response holds: separate components say both truthfully.
    "COMPONENT_SPLIT_REQUEST": True,
    # Every operation's error statuses, in one documented shape (core/schema_errors.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.schema_errors.add_error_responses",
        "core.schema.describe_inputs",
    ],
    # Choice sets that share a field name ("state", "kind") each get their own schema name.
    "ENUM_NAME_OVERRIDES": {
        "ThreadStateEnum": "builder.taxonomy.ThreadState",
        "WaitReasonEnum": "engines.holds.WaitReason",
        "GpuInstanceStateEnum": "engines.models.GpuInstance.State",
        "CorrectionKindEnum": "prospects.models.Correction.Kind",
        "SnippetKindEnum": "builder.models.Snippet.Kind",
        "RunStatusEnum": "engines.models.RunStatus",
        "AdapterHeadEnum": "engines.models.AdapterHead",
        "WorkflowVersionStatusEnum": "builder.models.WorkflowVersion.Status",
        "DraftStatusEnum": "prospects.models.Draft.Status",
        "ModeEnum": "prospects.models.Mode",
        "WithoutWorkflowEnum": "prospects.models.WithoutWorkflow",
        "WebhookEventEnum": "prospects.events.models.EventName",
    },
}

# Redis in production (redis://127.0.0.1:6379/0); the demo's filesystem broker otherwise.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
# kombu's filesystem transport can hand the worker a half-written message (config/fs_broker).
CELERY_BROKER_TRANSPORT = (
    "config.fs_broker:Transport" if CELERY_BROKER_URL.startswith("filesystem") else None
)
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {
        "data_folder_in": str(VAR_DIR / "broker"),
        "data_folder_out": str(VAR_DIR / "broker"),
        "processed_folder": str(VAR_DIR / "broker-processed"),
        # Exchange bindings; kombu's default is ./control, inside the checkout.
        "control_folder": str(VAR_DIR / "broker-control"),
        "store_processed": False,
        # The worker looks for new messages this often (kombu's default is 1 s): a live
        # template draft is done well within a second of the 201.
        "polling_interval": 0.1,
    }
    if CELERY_BROKER_URL.startswith("filesystem")
    else {
        # Redis hands an unacknowledged task to another worker after this many seconds.
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
        # Take a worker's queues in the order its -Q lists them, not round robin: workers
        # list `live` first, so inbound messages never wait behind a drafting job.
        "queue_order_strategy": "priority",
    }
)
# Keep the LOGGING handlers (JSON, ids) in worker and beat processes too.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Tasks run in the calling process, as the tests run them, instead of on a worker.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Celery's Django fixup closes the database connection around every task unless told to
# reuse it, and reconnecting (TLS, SCRAM) per task cost more than a chunk's bookkeeping.
# CONN_MAX_AGE and the health check still retire old or broken connections before each
# task (config/celery.py).
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=1000)
# Shorter than the broker's visibility timeout, or a slow model call is redelivered and
# runs twice.
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 20
# The GPU lifecycle tick (also kicked when model work is enqueued).
GPU_TICK_SECONDS = env.float("GPU_TICK_SECONDS", default=5.0)
# A tick's lease outlives its slowest provider calls; a crashed holder's lease expires.
GPU_TICK_LEASE_SECONDS = env.float("GPU_TICK_LEASE_SECONDS", default=120.0)
CELERY_BEAT_SCHEDULE = {
    "sweep-drafting-jobs": {"task": "prospects.tasks.sweep_jobs", "schedule": 30.0},
    "sweep-stale-dispatches": {"task": "prospects.tasks.sweep_dispatches", "schedule": 30.0},
    # Due webhook deliveries, and those whose task was lost: a lost task is not a lost event.
    "sweep-webhook-deliveries": {"task": "prospects.tasks.sweep_webhooks", "schedule": 30.0},
    "sweep-training-and-evaluations": {"task": "prospects.tasks.sweep_runs", "schedule": 60.0},
    # Cheap when there is nothing to do: it counts the labels added since the last head.
    "retrain-move-head": {"task": "prospects.tasks.retrain_move_head", "schedule": 3600.0},
    "record-no-reply-outcomes": {"task": "prospects.tasks.sweep_no_reply", "schedule": 3600.0},
    "gpu-lifecycle-tick": {
        "task": "prospects.tasks.gpu_tick",
        "schedule": GPU_TICK_SECONDS,
        "options": {"expires": GPU_TICK_SECONDS * 2},
    },
}
# The tick must not wait behind a long drafting chunk: it has a queue of its own, which
# every worker command here also consumes (-Q celery,lifecycle). Webhook posts have one too
# (events): a subscriber that answers slowly holds a process for its timeout, and on the
# drafting queues that would slow drafting; behind a batch's chunks an event would wait
# for the batch.
CELERY_TASK_ROUTES = {
    "prospects.tasks.gpu_tick": {"queue": "lifecycle"},
    "prospects.tasks.deliver_webhook": {"queue": "events"},
}

# Drafting work (see prospects/drafting/runner.py): an item whose worker crashed this many
# times is held `too_many_attempts`.
JOB_MAX_ATTEMPTS = env.int("JOB_MAX_ATTEMPTS", default=3)
# How long a live message's draft waits for a model build that is not ready (a droplet
# booting) before it is held `engine_unavailable` or falls back to the template engine.
LIVE_DRAFT_MAX_WAIT_SECONDS = env.float("LIVE_DRAFT_MAX_WAIT_SECONDS", default=900.0)
# Items per task: template items are cheap; model items start one by one as their build's
# slots (max_concurrency) free up, with no wait for the rest of their chunk.
JOB_CHUNK_SIZE = env.int("JOB_CHUNK_SIZE", default=100)
JOB_MODEL_CHUNK_SIZE = env.int("JOB_MODEL_CHUNK_SIZE", default=32)
# A chunk whose engine is not ready comes back this much later, instead of holding a worker.
JOB_ENGINE_RETRY_SECONDS = env.float("JOB_ENGINE_RETRY_SECONDS", default=10.0)
# An item whose drafting raised is tried again no sooner than this (a crash loop slowed down).
JOB_RETRY_BACKOFF_SECONDS = env.float("JOB_RETRY_BACKOFF_SECONDS", default=30.0)
# The sweeper re-enqueues a queued or waiting item left this long without progress.
JOB_SWEEP_AFTER_SECONDS = env.float("JOB_SWEEP_AFTER_SECONDS", default=60.0)
# A running item not updated for this long lost its worker (longer than the time limit).
JOB_ITEM_STALE_SECONDS = env.float("JOB_ITEM_STALE_SECONDS", default=CELERY_TASK_TIME_LIMIT + 30.0)

# Review and corrections (see prospects/review/services.py and prospects/drafting/retrieval.py):
# how long an opened draft stays with its reviewer.
REVIEW_CLAIM_SECONDS = env.int("REVIEW_CLAIM_SECONDS", default=300)
# Retrieval: the recent corrections searched, how many are sent as examples (accepted) and
# as patterns to avoid (rejected), and the characters kept of each text.
RETRIEVAL_CANDIDATES = env.int("RETRIEVAL_CANDIDATES", default=200)
RETRIEVAL_ACCEPTED = env.int("RETRIEVAL_ACCEPTED", default=3)
RETRIEVAL_REJECTED = env.int("RETRIEVAL_REJECTED", default=2)
RETRIEVAL_MAX_CHARS = env.int("RETRIEVAL_MAX_CHARS", default=400)
# Outcomes (prospects/outcomes.py): a thread with a reply sent, no outcome, and no
# inbound message for this many days is recorded `no_reply` by the hourly sweep.
NO_REPLY_DAYS = env.int("NO_REPLY_DAYS", default=14)
# Share of threads (by a hash of the thread id) whose examples go to the eval split.
TUNING_EVAL_PERCENT = env.int("TUNING_EVAL_PERCENT", default=10)
# Training runs (engines/training/runs.py): the base weights' folder when the parent build names
# none, where adapters are written (one folder per new build), and the seconds a run may take.
TRAINING_BASE_MODEL = env.str("TRAINING_BASE_MODEL", default="")
TRAINING_OUTPUT_DIR = env.str("TRAINING_OUTPUT_DIR", default=str(VAR_DIR / "adapters"))
TRAINING_TIME_LIMIT = env.int("TRAINING_TIME_LIMIT", default=3000)
# The linear move head (prospects/builds/move_head.py): the scheduled retrain trains a
# challenger once this many labels were added or changed since the last head's training,
# on people's labels plus the shipped starting set (JSONL files, comma-separated).
MOVE_HEAD_RETRAIN_MIN_LABELS = env.int("MOVE_HEAD_RETRAIN_MIN_LABELS", default=50)
MOVE_HEAD_STARTING_SET = env.list(
    "MOVE_HEAD_STARTING_SET",
    default=[
        str(BASE_DIR / "tests" / "fixtures" / "moves" / "labelled.jsonl"),
        str(BASE_DIR / "tests" / "fixtures" / "moves" / "second_set.jsonl"),
    ],
)
# Evaluations ask a build at most this many held-out cases (one model call each), in at most
# this many seconds.
EVALUATION_MAX_CASES = env.int("EVALUATION_MAX_CASES", default=200)
EVALUATION_TIME_LIMIT = env.int("EVALUATION_TIME_LIMIT", default=3000)

# Experiments: an arm is paused once, after this many drafts, its hold rate (or, after as
# many reviews, its rejection rate) exceeds the threshold.
EXPERIMENT_GUARDRAIL_MIN_DRAFTS = env.int("EXPERIMENT_GUARDRAIL_MIN_DRAFTS", default=20)
EXPERIMENT_GUARDRAIL_HOLD_RATE = env.float("EXPERIMENT_GUARDRAIL_HOLD_RATE", default=0.5)
EXPERIMENT_GUARDRAIL_REJECTION_RATE = env.float("EXPERIMENT_GUARDRAIL_REJECTION_RATE", default=0.5)
# What a draft's tokens cost on the GPU (USD per 1,000 tokens in and out), for cost per draft.
DRAFT_COST_PER_1K_TOKENS = env.float("DRAFT_COST_PER_1K_TOKENS", default=0.0004)

# The messaging bridge that actually sends replies; unset, every draft is held `no_bridge`. A
# post with no answer in time is held `bridge_unknown`: it may have been delivered all the
# same, so it counts as a reply out.
BRIDGE_WEBHOOK_URL = env.str("BRIDGE_WEBHOOK_URL", default="")
BRIDGE_TIMEOUT_SECONDS = env.float("BRIDGE_TIMEOUT_SECONDS", default=10.0)
# Signs every webhook request (X-Prospector-Signature); the bridge checks it (docs/bridge.md).
# At least 32 bytes: with the webhook set and a shorter secret nothing is sent (held
# `no_bridge`) and `check --deploy` fails.
BRIDGE_SIGNING_SECRET = env.str("BRIDGE_SIGNING_SECRET", default="")
# An approved draft whose send was claimed this long ago without being marked sent or held
# (a worker died mid-send, a broker was down) is dispatched again, same Idempotency-Key.
DISPATCH_STALE_SECONDS = env.float("DISPATCH_STALE_SECONDS", default=120.0)
# A thread's time zone when ingest gave none and its sender's phone number names no single
# zone: quiet hours are read in it (an IANA name; the panel's send pace sets the hours).
THREAD_DEFAULT_TIME_ZONE = env.str("THREAD_DEFAULT_TIME_ZONE", default=TIME_ZONE)

# Event webhooks for integrators (prospects/events/), signed as the bridge's: a post gets
# this many seconds to answer, so a subscriber that hangs holds a worker no longer.
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=5.0)
# A failed delivery is tried again after base x 2^(attempts - 1) seconds, never longer than the cap.
WEBHOOK_BACKOFF_BASE_SECONDS = env.float("WEBHOOK_BACKOFF_BASE_SECONDS", default=30.0)
WEBHOOK_BACKOFF_CAP_SECONDS = env.float("WEBHOOK_BACKOFF_CAP_SECONDS", default=3600.0)
# After this many failed attempts a delivery gives up; "Send again" in the panel restarts it.
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=8)

# The validation gate's length limit for a reply, in characters.
DRAFT_MAX_CHARS = env.int("DRAFT_MAX_CHARS", default=1000)
# Places she does not travel to: an out_of_area message naming one is declined
# (out_of_area.decline), not offered an outcall (comma-separated, matched as whole words).
OUT_OF_AREA_DECLINED_PLACES = env.list("OUT_OF_AREA_DECLINED_PLACES", default=[])
# The country whose national phone formats the gate knows without a "+" (ISO 3166 code);
# numbers in any other format are caught by their run of digits.
GATE_PHONE_REGION = env.str("GATE_PHONE_REGION", default="US")
INBOUND_MAX_BODY_CHARS = 4000
# Gate-2: auto-sends to one thread allowed within a rolling day before replies are held.
GATE2_MAX_SENDS_PER_DAY = env.int("GATE2_MAX_SENDS_PER_DAY", default=3)

# The classifier's move vocabulary; the LoRA head's schema enum is generated from it.
PROSPECT_MOVES = env.list(
    "PROSPECT_MOVES",
    default=[
        "opener",
        "pursue",
        "subhour",
        "address",
        "out_of_area",
        "of",
        "disengage",
        "escalate",
    ],
)
NOT_PROSPECT_MOVES = env.list(
    "NOT_PROSPECT_MOVES", default=["existing_client", "personal", "vendor", "spam"]
)

# The GPU path: the OpenAI-compatible base URL of the model server, and the generator's
# served name (a build's own served_model wins). Unset GPU_INFERENCE_URL: the path is off,
# the app boots clean and the classifier and drafter answer "no answer" instead of raising.
GPU_INFERENCE_URL = env.str("GPU_INFERENCE_URL", default="")
GPU_LLM_MODEL = env.str("GPU_LLM_MODEL", default="")
# The key for endpoint builds (servers someone else runs); each do-gpu droplet has its own.
GPU_API_KEY = env.str("GPU_API_KEY", default="")
# How JSON Schemas are sent: "openai" (vLLM: response_format json_schema) or "llama_cpp"
# (llama-cpp-python's server: json_object plus the schema).
GPU_JSON_DIALECT = env.str("GPU_JSON_DIALECT", default="openai")
# Model calls in flight against a build, all worker processes and hosts together (see
# ENGINE_SLOTS_REDIS_URL), unless the build sets its own max_concurrency: vLLM (do-gpu
# builds) batches continuously; an endpoint may be anything.
VLLM_MAX_CONCURRENCY = env.int("VLLM_MAX_CONCURRENCY", default=64)
ENGINE_CONCURRENCY = env.int("ENGINE_CONCURRENCY", default=8)
# Drafting threads of a worker process, all builds together: above the builds' limits.
WORKER_DRAFT_THREADS = env.int("WORKER_DRAFT_THREADS", default=256)
# The token cap of each think step: a chain's reasoning stays short.
GPU_THINK_MAX_TOKENS = env.int("GPU_THINK_MAX_TOKENS", default=160)
# A fixed sampling seed makes model output repeatable (tests, evaluations); unset in prod.
GPU_SEED = env.int("GPU_SEED", default=None)
# The circuit breaker in front of each model server: it opens after this many failures in a
# row and tries again after this many seconds; its state is in this Redis (by default a
# Redis broker), shared by every process, or kept per process without one.
BREAKER_FAIL_MAX = env.int("BREAKER_FAIL_MAX", default=3)
BREAKER_RESET_SECONDS = env.float("BREAKER_RESET_SECONDS", default=30.0)
BREAKER_REDIS_URL = env.str(
    "BREAKER_REDIS_URL",
    default=CELERY_BROKER_URL if CELERY_BROKER_URL.startswith("redis") else "",
)
# A live draft on an always-on endpoint build whose breaker has been open this long is
# held (or falls back) without waiting out LIVE_DRAFT_MAX_WAIT_SECONDS: nothing is
# booting it back. An on-demand GPU that is starting keeps the longer wait.
ENDPOINT_DOWN_HOLD_SECONDS = env.float("ENDPOINT_DOWN_HOLD_SECONDS", default=120.0)
# Each build's max_concurrency is one budget for every worker process on every host,
# kept in this Redis (unset, as in the zero-service demo: counted per process). A slot is
# a lease its process renews; a dead worker's slots come free within one lease.
ENGINE_SLOTS_REDIS_URL = env.str(
    "ENGINE_SLOTS_REDIS_URL",
    default=CELERY_BROKER_URL if CELERY_BROKER_URL.startswith("redis") else "",
)
ENGINE_SLOT_LEASE_SECONDS = env.float("ENGINE_SLOT_LEASE_SECONDS", default=30.0)

# The on-demand GPU (engines/gpu/lifecycle.py): DigitalOcean droplets for do-gpu builds.
# No DO_TOKEN: do-gpu builds are never provisioned, and their work waits.
DO_TOKEN = env.str("DO_TOKEN", default="")
DO_API_URL = env.str("DO_API_URL", default="https://api.digitalocean.com")
# A CA bundle to trust for the API (a TLS-intercepting proxy, or the tests' local server).
DO_API_CA_BUNDLE = env.str("DO_API_CA_BUNDLE", default="")
# Seconds one DigitalOcean API call may take.
DO_API_TIMEOUT_SECONDS = env.float("DO_API_TIMEOUT_SECONDS", default=15.0)
# The home region: where the app's VPC and the weights volume are, and where droplets are
# rented unless the GPU policy lists other placements (a size in a region, tried in order).
DO_REGION = env.str("DO_REGION", default="nyc2")
# The app's VPC in DO_REGION: serving droplets join it. When the app itself runs in
# DO_REGION (DO_APP_REGION), it reaches them on their private address; otherwise on their
# public one, over TLS pinned to each droplet's own certificate.
DO_VPC_UUID = env.str("DO_VPC_UUID", default="")
DO_APP_REGION = env.str("DO_APP_REGION", default="")
# The size a new install's GPU policy rents in DO_REGION (admins list more placements on the
# GPU page), the image every size boots (it must suit each size listed), and the SSH keys a
# droplet admits (from the app's address only; none: no SSH at all).
DO_GPU_SIZE = env.str("DO_GPU_SIZE", default="gpu-h100x1-80gb")
DO_GPU_IMAGE = env.str("DO_GPU_IMAGE", default="gpu-h100x1-base")
DO_SSH_KEYS = env.list("DO_SSH_KEYS", default=[])
# The weights volume: its id attaches it, its name mounts it. A volume attaches to one
# droplet at a time: with more than one instance per build, bake the weights into the image.
DO_WEIGHTS_VOLUME = env.str("DO_WEIGHTS_VOLUME", default="")
DO_WEIGHTS_VOLUME_ID = env.str("DO_WEIGHTS_VOLUME_ID", default="")
# Where every droplet mounts the weights volume (a build's model_path and adapters live under it).
DO_WEIGHTS_MOUNT = env.str("DO_WEIGHTS_MOUNT", default="/mnt/models")
# Training on the GPU: a snapshot with this project and CUDA PEFT/TRL installed (see
# deploy/gpu/training-cloud-init.yaml), and the panel's public URL the droplet reports to.
# With both set (and DO_TOKEN and the weights volume), training runs go to a droplet;
# otherwise they train on the worker's CPU.
DO_TRAINING_IMAGE = env.str("DO_TRAINING_IMAGE", default="")
TRAINING_API_URL = env.str("TRAINING_API_URL", default="")
# Every droplet we create carries the install's tag ("prospector-" + the install's id,
# unless DO_TAG names one); the reconciler owns what carries it *and* our name prefix.
DO_TAG = env.str("DO_TAG", default="")
# The GPU policy's first hourly prices, USD by droplet size (admins edit them on the GPU
# page, with history). None by default: a size without a price is never provisioned.
GPU_HOURLY_PRICES = env.json("GPU_HOURLY_PRICES", default={})
# The port vLLM listens on, on the droplet.
GPU_SERVER_PORT = env.int("GPU_SERVER_PORT", default=8000)
# The app's address: the droplet's firewall admits the model port from here only.
GPU_APP_CIDR = env.str("GPU_APP_CIDR", default="")
# How long a droplet takes to become ready, until there are boots to take the median of.
GPU_BOOT_SECONDS = env.float("GPU_BOOT_SECONDS", default=300.0)
# A droplet's user data holds no working secret: at boot the droplet fetches its credentials
# (API key, TLS key; a training droplet's run token) once, from this URL of the app, within
# DROPLET_CREDENTIALS_TTL_SECONDS of being provisioned. https://, unless droplets are
# reached inside the app's VPC and region. Unset: GPU droplets fail to provision, saying so.
DROPLET_API_URL = env.str("DROPLET_API_URL", default=TRAINING_API_URL)
DROPLET_CREDENTIALS_TTL_SECONDS = env.int("DROPLET_CREDENTIALS_TTL_SECONDS", default=900)

# The password of the demo users (admin, operator, coworker) that `make run` loads.
DEMO_PASSWORD = env.str("DEMO_PASSWORD", default="prospector-demo")

# JSON lines in production (LOG_FORMAT=json: one object per line, with request_id, task_id,
# job_id and draft_id), readable text in the demo.
LOG_FORMAT = env.str("LOG_FORMAT", default="text" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "core.logs.ContextFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s "
            "%(request_id)s %(task_id)s %(job_id)s %(draft_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["context"],
            "formatter": LOG_FORMAT,
        }
    },
    # The lowest level logged.
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # httpx and azure-core (pydo) log every request at INFO; our own rows say the same.
    "loggers": {"httpx": {"level": "WARNING"}, "azure": {"level": "WARNING"}},
}
