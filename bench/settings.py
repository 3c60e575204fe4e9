"""Standalone settings for the benchmarks (not the test settings).

The runner passes the database and the ports of the receiving servers in
environment variables:

``BENCH_DB``
    ``sqlite:/path/to/file.sqlite3`` or ``postgres:DBNAME``.
``BENCH_SMTP_PORT``, ``BENCH_XMPP_SERVER``, ``BENCH_XMPP_JID``, ``BENCH_XMPP_PASSWORD``
    Where the email and XMPP backends deliver.
``BENCH_HTTP_PORT``
    The HTTP receiver, which also answers as Postmark's API (postmark-batch).
``BENCH_TASKS``, ``BENCH_REDIS_URL``
    ``rq``: tasks go to django-tasks-rq's backend on Redis at ``BENCH_REDIS_URL``
    (latency case); otherwise django-tasks-db's database backend.
``BENCH_CACHE``, ``BENCH_RATE_LIMITS``
    The cache the rate limits are held in (``redis:URL`` or ``db``; default
    local memory) and ``DJANGO_VOX_RATE_LIMITS`` as JSON (rate-limit case).
``BENCH_SQLITE_JOURNAL``
    SQLite's ``journal_mode`` for every connection (``wal``, ``delete``);
    the file's own mode when unset.
``BENCH_BATCH_SIZE``, ``BENCH_CHUNK_SIZE``, ``BENCH_CONCURRENCY``
    ``DJANGO_VOX_BATCH_SIZE``, ``DJANGO_VOX_CHUNK_SIZE`` and
    ``DJANGO_VOX_CONCURRENCY`` when set (the settings' defaults otherwise).
"""

import importlib.util
import json
import os

SECRET_KEY = "django-vox-bench-not-secret"
DEBUG = False
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
ROOT_URLCONF = "bench.urls"
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django_vox",
    "bench.app.apps.BenchAppConfig",
]
# The background issue method (enqueue case) uses django-tasks-db's database backend.
if importlib.util.find_spec("django_tasks_db") is not None:
    INSTALLED_APPS.append("django_tasks_db")
    try:
        _builtin_tasks = importlib.util.find_spec("django.tasks") is not None
    except ModuleNotFoundError:
        _builtin_tasks = False
    if not _builtin_tasks:
        INSTALLED_APPS.append("django_tasks")
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
if os.environ.get("BENCH_TASKS") == "rq":
    INSTALLED_APPS.append("django_rq")
    RQ_QUEUES = {"default": {"URL": os.environ.get("BENCH_REDIS_URL",
                                                   "redis://127.0.0.1:6379/14")}}
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}

TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "DIRS": [],
    "APP_DIRS": False,
    "OPTIONS": {},
}]


def _database(spec):
    kind, _colon, name = spec.partition(":")
    if kind == "postgres":
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name or "django_vox_bench",
            "USER": os.environ.get("VOX_PG_USER", "postgres"),
            "HOST": os.environ.get("VOX_PG_HOST", "127.0.0.1"),
            "PORT": os.environ.get("VOX_PG_PORT", "5432"),
        }
    if kind == "sqlite":
        journal = os.environ.get("BENCH_SQLITE_JOURNAL")
        options = {"init_command": f"PRAGMA journal_mode={journal}"} if journal else {}
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": name or "bench.sqlite3",
                "OPTIONS": options}
    raise ValueError(f"BENCH_DB must be sqlite:PATH or postgres:DBNAME, not {spec!r}")


DATABASES = {"default": _database(os.environ.get("BENCH_DB",
                                                  "sqlite:/tmp/django-vox-bench.sqlite3"))}

EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = "127.0.0.1"
EMAIL_PORT = int(os.environ.get("BENCH_SMTP_PORT", "2525"))
EMAIL_USE_TLS = False
EMAIL_TIMEOUT = 30
DEFAULT_FROM_EMAIL = "news@bench.example"


def _available(*paths):
    """The backends whose module exists in this checkout (some arrive on other branches)."""
    found = []
    for path in paths:
        module = path.rpartition(".")[0]
        try:
            if importlib.util.find_spec(module) is not None:
                found.append(path)
        except ModuleNotFoundError:
            pass
    return found


DJANGO_VOX_BACKENDS = _available(
    "django_vox.backends.html_email.Backend",
    "django_vox.backends.json_webhook.Backend",
    "django_vox.backends.xmpp.Backend",
    "django_vox.backends.postmark_email.Backend",
)
DJANGO_VOX_POSTMARK_TOKEN = "bench-server-token"
DJANGO_VOX_POSTMARK_ENDPOINT = f"http://127.0.0.1:{os.environ.get('BENCH_HTTP_PORT', '9')}/pm"


def _cache(spec):
    if spec.startswith("redis:"):
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": spec.partition(":")[2]}
    if spec == "db":
        return {"BACKEND": "django.core.cache.backends.db.DatabaseCache",
                "LOCATION": "bench_cache", "OPTIONS": {"MAX_ENTRIES": 100_000}}
    return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}


CACHES = {"default": _cache(os.environ.get("BENCH_CACHE", ""))}
DJANGO_VOX_RATE_LIMITS = json.loads(os.environ.get("BENCH_RATE_LIMITS") or "{}")
DJANGO_VOX_THROW_EXCEPTIONS = True
# The enqueue case issues through the background method (set by the worker).
DJANGO_VOX_ISSUE_METHOD = os.environ.get("BENCH_ISSUE_METHOD",
                                         "django_vox.models.Notification.issue_now")
DJANGO_VOX_XMPP_SERVER = os.environ.get("BENCH_XMPP_SERVER")
DJANGO_VOX_XMPP_JID = os.environ.get("BENCH_XMPP_JID")
DJANGO_VOX_XMPP_PASSWORD = os.environ.get("BENCH_XMPP_PASSWORD")
DJANGO_VOX_XMPP_VERIFY_TLS = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "loggers": {"django_vox": {"handlers": ["stderr"], "level": "WARNING"}},
}
if os.environ.get("BENCH_BATCH_SIZE"):
    DJANGO_VOX_BATCH_SIZE = int(os.environ["BENCH_BATCH_SIZE"])
if os.environ.get("BENCH_CHUNK_SIZE"):
    DJANGO_VOX_CHUNK_SIZE = int(os.environ["BENCH_CHUNK_SIZE"])
if os.environ.get("BENCH_CONCURRENCY"):
    DJANGO_VOX_CONCURRENCY = int(os.environ["BENCH_CONCURRENCY"])
