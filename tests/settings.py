"""Settings for django-vox's own test suite."""

import os

import django

SECRET_KEY = "django-vox-tests-not-secret"
DEBUG = False
USE_TZ = True
TIME_ZONE = "UTC"
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "tests.urls"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django_vox",
    "tests.testapp.apps.TestAppConfig",
    "tests.vox4app.apps.Vox4AppConfig",  # the 4.x docs' examples (test_vox4_compat)
]
SITE_ID = 1

# As a site deploys them (startproject's list): the browser tests submit the
# public forms through SecurityMiddleware (SECURE_REFERRER_POLICY's default)
# and CsrfViewMiddleware with CSRF_TRUSTED_ORIGINS unset.
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
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

if os.environ.get("VOX_TEST_DATABASE") == "postgres":
    DATABASES = {"default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ.get("VOX_PG_NAME", "django_vox"),
        "USER": os.environ.get("VOX_PG_USER", "postgres"),
        "HOST": os.environ.get("VOX_PG_HOST", "127.0.0.1"),
        "PORT": os.environ.get("VOX_PG_PORT", "5432"),
    }}
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}

if django.VERSION >= (6, 1):  # EMAIL_BACKEND is deprecated in favour of MAILERS
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
else:
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
DEFAULT_FROM_EMAIL = "noreply@example.org"

DJANGO_VOX_BACKENDS = [
    "django_vox.backends.locmem.Backend",
    "django_vox.backends.locmem.SmsBackend",
    "django_vox.backends.locmem.SlackBackend",
    "django_vox.backends.locmem.JsonWebhookBackend",
]
DJANGO_VOX_THROW_EXCEPTIONS = False

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# The backend tests run their HTTP peers on this machine: let data-sourced
# URLs (webhook, Slack) reach them.  The security tests empty these.
DJANGO_VOX_HTTP_ALLOWED_NETWORKS = ["127.0.0.1/32", "::1/128"]
DJANGO_VOX_HTTP_ALLOWED_HOSTS = ["localhost"]
