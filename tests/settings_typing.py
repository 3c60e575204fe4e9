"""The settings the type checker loads (django-stubs' mypy plugin reads the
installed apps and their models from them): django-vox and what it needs, no
test app.  See ``[tool.mypy]`` in pyproject.toml."""

SECRET_KEY = "type-checking-only"
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sites",
    "django_vox",
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
USE_TZ = True
