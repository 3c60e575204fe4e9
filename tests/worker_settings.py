"""Settings for the task-worker processes the ``workers`` tests start.

They share the test database pytest-django created (``VOX_WORKER_DB_NAME``)
and talk to the peers the test runs (``VOX_WORKER_*`` variables).
"""

import importlib.util
import os

from tests.settings import *  # noqa: F403

DATABASES = {"default": {  # noqa: F405 - PostgreSQL only: workers run in other processes
    "ENGINE": "django.db.backends.postgresql",
    "NAME": os.environ["VOX_WORKER_DB_NAME"],
    "USER": os.environ.get("VOX_PG_USER", "postgres"),
    "HOST": os.environ.get("VOX_PG_HOST", "127.0.0.1"),
    "PORT": os.environ.get("VOX_PG_PORT", "5432"),
}}

INSTALLED_APPS = [*INSTALLED_APPS, "django_tasks_db", "django_rq"]  # noqa: F405
if importlib.util.find_spec("django.tasks") is None:
    INSTALLED_APPS.append("django_tasks")

RQ_QUEUE = os.environ.get("VOX_WORKER_RQ_QUEUE", "vox-tests")
RQ_QUEUES = {RQ_QUEUE: {"URL": os.environ.get("VOX_WORKER_REDIS_URL", "redis://127.0.0.1:6379/0")}}

if os.environ.get("VOX_WORKER_TASKS") == "rq":
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": [RQ_QUEUE]}}
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

DJANGO_VOX_ISSUE_METHOD = "django_vox.tasks.issue"
DJANGO_VOX_BACKENDS = [
    "django_vox.backends.locmem.Backend",
    "django_vox.backends.html_email.Backend",
    "tests.http_backends.WebhookBackend",
    "tests.http_backends.SmsBackend",
    "tests.http_backends.PausingWebhookBackend",
]
DJANGO_VOX_RETRY_BACKOFF = float(os.environ.get("VOX_WORKER_BACKOFF", "0.5"))
DJANGO_VOX_MAX_ATTEMPTS = int(os.environ.get("VOX_WORKER_MAX_ATTEMPTS", "5"))
DJANGO_VOX_TWILIO_API_BASE = os.environ.get("VOX_WORKER_TWILIO_BASE", "http://127.0.0.1:9")
DJANGO_VOX_HTTP_TIMEOUT = 10

EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = "127.0.0.1"
EMAIL_PORT = int(os.environ.get("VOX_WORKER_SMTP_PORT", "9"))
EMAIL_TIMEOUT = 10

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django_vox": {"handlers": ["console"], "level": "INFO"}},
}
