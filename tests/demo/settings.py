"""Settings of the demo blog (``make demo``).

Every built-in backend is enabled so editors can pick any of them in the
admin.  Nothing leaves the machine: email is printed on the console, and the
API-based backends have made-up credentials and point at 127.0.0.1:9, where
nothing listens, so their deliveries fail and show up as failed messages.

``DEMO_DATABASE`` (a path) and ``DEMO_ADDR`` (host:port, as given to
runserver) can be set in the environment; the tests use both.
"""

import importlib.util
import os
from pathlib import Path

import django

REPO_DIR = Path(__file__).resolve().parents[2]

SECRET_KEY = "django-vox-demo-not-secret"
DEBUG = True
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
USE_TZ = True
TIME_ZONE = "UTC"
ROOT_URLCONF = "tests.demo.urls"
WSGI_APPLICATION = "tests.demo.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_vox",
    "tests.demo.blog.apps.BlogConfig",
]

# The demo runs in English and French: pages follow the browser's language
# (LocaleMiddleware), the admin included.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "Français")]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "DIRS": [],
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]},
}]
STATIC_URL = "/static/"

DATABASES = {"default": {
    "ENGINE": "django.db.backends.sqlite3",
    "NAME": os.environ.get("DEMO_DATABASE") or str(REPO_DIR / "demo.sqlite3"),
}}

# Mail is printed where runserver runs.
if django.VERSION >= (6, 1):
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = "The demo blog <blog@example.org>"

# Used for the links in notifications and by the activity backend.
SITE_DOMAIN = os.environ.get("DEMO_ADDR") or "127.0.0.1:8000"
SITE_SSL = False

# --- django-vox -------------------------------------------------------------

_BUILT_IN_BACKENDS = [
    "django_vox.backends.activity.Backend",
    "django_vox.backends.html_email.Backend",
    "django_vox.backends.markdown_email.Backend",
    "django_vox.backends.postmark_email.Backend",
    "django_vox.backends.template_email.Backend",
    "django_vox.backends.twilio.Backend",
    "django_vox.backends.twitter.Backend",
    "django_vox.backends.slack.Backend",
    "django_vox.backends.json_webhook.Backend",
    "django_vox.backends.xmpp.Backend",
    "django_vox.backends.inapp.Backend",
]


def _shipped(path):
    """Whether this checkout of django-vox has the backend's module (found, not imported)."""
    package = Path(importlib.util.find_spec("django_vox").origin).parent
    module = path.split(".")[2]
    return (package / "backends" / f"{module}.py").exists()


# Every built-in backend, activity included.  (A checkout in the middle of
# development may lack a module; listing it would stop the demo.)
DJANGO_VOX_BACKENDS = [path for path in _BUILT_IN_BACKENDS if _shipped(path)]

# Record failed deliveries and carry on, rather than failing the page.
DJANGO_VOX_THROW_EXCEPTIONS = False

# Made-up credentials, so every backend can be chosen and no check warns;
# the API addresses are local ports where nothing listens.
_NOWHERE = "http://127.0.0.1:9"
DJANGO_VOX_POSTMARK_TOKEN = "demo-postmark-token"
DJANGO_VOX_POSTMARK_ENDPOINT = _NOWHERE
DJANGO_VOX_TWILIO_ACCOUNT_SID = "ACdemo00000000000000000000000000"
DJANGO_VOX_TWILIO_AUTH_TOKEN = "demo-twilio-token"
DJANGO_VOX_TWILIO_FROM_NUMBER = "+15555550199"
DJANGO_VOX_TWILIO_API_BASE = _NOWHERE
DJANGO_VOX_TWITTER_CONSUMER_KEY = "demo-consumer-key"
DJANGO_VOX_TWITTER_CONSUMER_SECRET = "demo-consumer-secret"
DJANGO_VOX_TWITTER_TOKEN_KEY = "demo-token-key"
DJANGO_VOX_TWITTER_TOKEN_SECRET = "demo-token-secret"
DJANGO_VOX_TWITTER_API_BASE = _NOWHERE
DJANGO_VOX_XMPP_JID = "blog@localhost"
DJANGO_VOX_XMPP_PASSWORD = "demo-xmpp-password"
DJANGO_VOX_XMPP_SERVER = "127.0.0.1:9"
DJANGO_VOX_HTTP_TIMEOUT = 3

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django_vox": {"handlers": ["console"], "level": "WARNING"}},
}

# Subscribers with an account sign in on the site and see the in-app bell.
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"
# The bell looks for new messages every 10 seconds (docs/in-app.rst).
DJANGO_VOX_INAPP_POLL_INTERVAL = 10
