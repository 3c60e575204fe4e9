"""Settings for the task-worker processes the ``workers`` tests start.

They share the test database pytest-django created (``VOX_WORKER_DB_NAME``)
and talk to the peers the test runs (``VOX_WORKER_*`` variables).
"""

import importlib.util
import os

import django

from tests.settings import *  # noqa: F403
from tests.settings import INSTALLED_APPS

DATABASES = {"default": {
    "ENGINE": "django.db.backends.postgresql",
    "NAME": os.environ["VOX_WORKER_DB_NAME"],
    "USER": os.environ.get("VOX_PG_USER", "postgres"),
    "HOST": os.environ.get("VOX_PG_HOST", "127.0.0.1"),
    "PORT": os.environ.get("VOX_PG_PORT", "5432"),
}}

INSTALLED_APPS = [*INSTALLED_APPS, "django_tasks_db", "django_rq"]
if importlib.util.find_spec("django.tasks") is None:
    INSTALLED_APPS.append("django_tasks")

# Tasks go to the queue named in the task ("default"); the tests keep it in a
# Redis database of its own.
RQ_QUEUE = "default"
RQ_QUEUES = {RQ_QUEUE: {"URL": os.environ.get("VOX_WORKER_REDIS_URL", "redis://127.0.0.1:6379/15")}}

if os.environ.get("VOX_WORKER_TASKS") == "rq":
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": [RQ_QUEUE]}}
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

DJANGO_VOX_ISSUE_METHOD = "django_vox.tasks.issue"
DJANGO_VOX_BACKENDS = [
    "django_vox.backends.locmem.Backend",
    "django_vox.backends.html_email.Backend",
    "tests.support.worker_backends.WebhookBackend",
    "tests.support.worker_backends.SmsBackend",
    "tests.support.worker_backends.PausingWebhookBackend",
    "tests.support.worker_backends.PausingSmsBackend",
]
if importlib.util.find_spec("aioxmpp") is not None:  # the XMPP test says so when it is missing
    DJANGO_VOX_BACKENDS.append("tests.support.worker_backends.PausingXmppBackend")
DJANGO_VOX_XMPP_JID = os.environ.get("VOX_WORKER_XMPP_JID")
DJANGO_VOX_XMPP_PASSWORD = os.environ.get("VOX_WORKER_XMPP_PASSWORD")
DJANGO_VOX_XMPP_SERVER = os.environ.get("VOX_WORKER_XMPP_SERVER")
DJANGO_VOX_XMPP_VERIFY_TLS = False
DJANGO_VOX_RETRY_BACKOFF = float(os.environ.get("VOX_WORKER_BACKOFF", "0.5"))
DJANGO_VOX_MAX_ATTEMPTS = int(os.environ.get("VOX_WORKER_MAX_ATTEMPTS", "5"))
DJANGO_VOX_TWILIO_API_BASE = os.environ.get("VOX_WORKER_TWILIO_BASE", "http://127.0.0.1:9")
DJANGO_VOX_HTTP_TIMEOUT = 10
if os.environ.get("VOX_WORKER_CHUNK_SIZE"):
    DJANGO_VOX_CHUNK_SIZE = int(os.environ["VOX_WORKER_CHUNK_SIZE"])
DJANGO_VOX_CONCURRENCY = int(os.environ.get("VOX_WORKER_CONCURRENCY", "1"))

_SMTP = {"host": "127.0.0.1", "port": int(os.environ.get("VOX_WORKER_SMTP_PORT", "9")),
         "timeout": float(os.environ.get("VOX_WORKER_SMTP_TIMEOUT", "10"))}
if django.VERSION >= (6, 1):  # the EMAIL_* settings are deprecated there
    globals().pop("EMAIL_BACKEND", None)  # set by tests.settings
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                           "OPTIONS": _SMTP}}
else:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST, EMAIL_PORT, EMAIL_TIMEOUT = _SMTP["host"], _SMTP["port"], _SMTP["timeout"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django_vox": {"handlers": ["console"], "level": "INFO"}},
}
