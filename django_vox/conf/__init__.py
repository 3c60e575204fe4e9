"""Settings for django-vox, read from ``django.conf.settings`` at call time.

Nothing is cached, so ``override_settings`` always applies.  The validators of
the settings are in :mod:`django_vox.conf.validators` and importable from here.
"""

from collections.abc import Callable
from typing import Any, Literal, overload

from django.apps import apps
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured

from django_vox.conf import validators
from django_vox.conf.validators import *  # noqa: F403 - the validators are conf's names too
from django_vox.conf.validators import VALIDATORS, _split_site_domain, validate_concurrency

__all__ = ["DEFAULTS", "get", "require", "set_adapter", "positive_int", "site_base_url",
           "site_url", "validate", "concurrency_for"]
__all__ += validators.__all__  # listed once, in conf.validators

_MISSING = object()

#: Every DJANGO_VOX_* setting and its default.  ``None`` means "no default":
#: backends that need the value ask for it with :func:`require`.
DEFAULTS: dict[str, Any] = {
    "DJANGO_VOX_BACKENDS": None,  # None: the default backend list
    "DJANGO_VOX_ISSUE_METHOD": "django_vox.models.Notification.issue_now",
    "DJANGO_VOX_THROW_EXCEPTIONS": _MISSING,  # defaults to DEBUG, see get()
    "DJANGO_VOX_SEND_ON_COMMIT": True,  # False: send at issue time, as 4.x did
    "DJANGO_VOX_SYNC_ON_MIGRATE": True,  # False: notification rows only from make_notifications
    "DJANGO_VOX_MAX_ATTEMPTS": 5,
    "DJANGO_VOX_RETRY_BACKOFF": 30,  # seconds before the first retry
    "DJANGO_VOX_TASK_BACKEND": "default",
    "DJANGO_VOX_HTTP_TIMEOUT": 10,  # seconds for a whole request
    "DJANGO_VOX_HTTP_ALLOWED_NETWORKS": [],
    "DJANGO_VOX_HTTP_ALLOWED_HOSTS": [],
    "DJANGO_VOX_SMS_STRICT_VALIDATION": False,
    # keys of django_vox.engine.RenderLimits: iterations, output, seconds, width
    "DJANGO_VOX_TEMPLATE_LIMITS": {},
    "DJANGO_VOX_BATCH_SIZE": 1000,
    "DJANGO_VOX_CHUNK_SIZE": None,  # None: from the size (background.chunks)
    "DJANGO_VOX_CONCURRENCY": 1,  # connections one sender keeps busy; or {backend ID: n}
    "DJANGO_VOX_RATE_LIMITS": {},  # backend ID -> "N/s", "N/m", "N/h"
    "DJANGO_VOX_RATE_LIMIT_CACHE": "default",
    "DJANGO_VOX_RECIPIENT_LIMIT": None,  # "5/h": more to one contact is held for a digest
    "DJANGO_VOX_DIGEST_INTERVAL": 300,  # seconds between runs of the digest task
    "DJANGO_VOX_DIGEST_MAX_AGE": 691200,  # seconds (8 days): older held items go out next run
    "DJANGO_VOX_EMAIL_MAILER": "default",
    "DJANGO_VOX_MARKDOWN_EXTRAS": [],
    "DJANGO_VOX_POSTMARK_TOKEN": None,
    "DJANGO_VOX_POSTMARK_ENDPOINT": "https://api.postmarkapp.com",
    "DJANGO_VOX_TWILIO_ACCOUNT_SID": None,
    "DJANGO_VOX_TWILIO_AUTH_TOKEN": None,
    "DJANGO_VOX_TWILIO_FROM_NUMBER": None,
    "DJANGO_VOX_TWILIO_API_BASE": "https://api.twilio.com",
    "DJANGO_VOX_TWITTER_CONSUMER_KEY": None,
    "DJANGO_VOX_TWITTER_CONSUMER_SECRET": None,
    "DJANGO_VOX_TWITTER_TOKEN_KEY": None,
    "DJANGO_VOX_TWITTER_TOKEN_SECRET": None,
    "DJANGO_VOX_TWITTER_API_BASE": "https://api.x.com",
    "DJANGO_VOX_XMPP_JID": None,
    "DJANGO_VOX_XMPP_PASSWORD": None,
    "DJANGO_VOX_XMPP_SERVER": None,
    "DJANGO_VOX_XMPP_VERIFY_TLS": True,
    "DJANGO_VOX_UNSUBSCRIBE_MAX_AGE": None,  # seconds; None: links do not expire
    "DJANGO_VOX_INBOX_LIMIT": 500,
    "DJANGO_VOX_ACTIVITY_REGEX": None,
    # Hearing back from providers (django_vox.tracking, docs/tracking.rst)
    "DJANGO_VOX_WEBHOOK_BASE_URL": None,  # "https://example.org": where providers post to
    "DJANGO_VOX_POSTMARK_WEBHOOK_CREDENTIALS": None,  # "user:password" (HTTP Basic)
    "DJANGO_VOX_WEBHOOK_MAX_BODY": 262144,  # bytes a webhook request may carry
    "DJANGO_VOX_TRACKING_PAYLOAD_LIMIT": 10000,  # characters of a payload kept on its event
    "DJANGO_VOX_SOFT_BOUNCE_LIMIT": 3,  # soft bounces within the window suppress an address
    "DJANGO_VOX_SOFT_BOUNCE_WINDOW": 2592000,  # seconds (30 days)
    "DJANGO_VOX_INAPP_LIVE": "poll",  # how the bell learns of new messages: "poll" or "sse"
    "DJANGO_VOX_INAPP_POLL_INTERVAL": 30,  # seconds between two looks at the unread count
    "DJANGO_VOX_INAPP_RETENTION": 7776000,  # seconds (90 days) a read message is kept; None: ever
    # dotted path of resolver(contact) -> (language, timezone) or None (docs/languages.rst)
    "DJANGO_VOX_RECIPIENT_LOCALE": None,
    "DJANGO_VOX_WARN_MISSING_TRANSLATIONS": True,  # False: the default text is fine (W040)
    "SITE_DOMAIN": None,
    "SITE_SSL": True,
}


#: setting → a function translating the values a project sets (not the
#: defaults) before anyone reads them.  The core installs none; the 4.x
#: compatibility layer (django_vox.compat) sets its own from VoxConfig.ready().
_ADAPTERS: dict[str, Callable[[Any], Any]] = {}


def set_adapter(name: str, adapter: Callable[[Any], Any] | None) -> None:
    """Have :func:`get` pass setting ``name``'s value through ``adapter``
    (``None`` removes it)."""
    if adapter is None:
        _ADAPTERS.pop(name, None)
    else:
        _ADAPTERS[name] = adapter


def get(name: str, default: Any = _MISSING) -> Any:
    """Return setting ``name``, falling back to django-vox's default."""
    if name not in DEFAULTS and default is _MISSING:
        raise KeyError(f"{name} is not a django-vox setting")
    value = getattr(django_settings, name, _MISSING)
    if value is not _MISSING:
        adapter = _ADAPTERS.get(name)
        return value if adapter is None else adapter(value)
    if default is not _MISSING:
        return default
    if name == "DJANGO_VOX_THROW_EXCEPTIONS":
        return django_settings.DEBUG
    return DEFAULTS[name]


def require(name: str) -> Any:
    """Return setting ``name``; raise ImproperlyConfigured naming it when unset or empty."""
    value = get(name)
    if value is None or value == "":
        raise ImproperlyConfigured(f"The {name} setting is required but is not set.")
    return value


def positive_int(name: str) -> int:
    """Return setting ``name`` as an int of at least 1; ImproperlyConfigured naming it otherwise."""
    value = get(name)
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if number < 1 or isinstance(value, bool):
        raise ImproperlyConfigured(f"{name} must be a whole number of at least 1, not {value!r}.")
    return number


def _sites_domain() -> str | None:
    if not apps.is_installed("django.contrib.sites"):
        return None
    from django.contrib.sites.models import Site  # only when the app is installed

    try:
        return Site.objects.get_current().domain
    except (Site.DoesNotExist, ImproperlyConfigured):
        return None


@overload
def site_base_url(*, required: Literal[True] = ...) -> str: ...
@overload
def site_base_url(*, required: bool) -> str | None: ...
def site_base_url(*, required: bool = True) -> str | None:
    """``scheme://host[:port]`` of this site, without a trailing slash.

    From ``SITE_DOMAIN`` ("example.org", "example.org:8000/" and
    "https://example.org/" all work; a scheme written there wins over
    ``SITE_SSL``), else the current ``django.contrib.sites`` site.  With
    neither: ImproperlyConfigured naming SITE_DOMAIN, or None when not
    ``required``.
    """
    domain = get("SITE_DOMAIN")
    scheme: str | None = None
    host: str | None
    if domain:
        scheme, host = _split_site_domain(domain)
    else:
        host = _sites_domain()
        if host:
            host = _split_site_domain(host)[1]
    if not host:
        if not required:
            return None
        raise ImproperlyConfigured(
            "django-vox needs SITE_DOMAIN (or django.contrib.sites) to build absolute URLs.")
    scheme = scheme or ("https" if get("SITE_SSL") else "http")
    return f"{scheme}://{host}"


def site_url(path: str = "", *, required: bool = True) -> str | None:
    """The absolute URL of ``path`` (relative to the site root) on this site.

    ``path`` is used as given (already quoted, as ``reverse()`` returns it).
    None when the site is unknown and not ``required``.
    """
    base = site_base_url(required=required)
    if base is None:
        return None
    return f"{base}/{path.lstrip('/')}"


def concurrency_for(backend_id: str) -> int:
    """How many connections one sender keeps busy for ``backend_id``
    (``DJANGO_VOX_CONCURRENCY``: a number for every backend, or a dict of
    backend ID to number, 1 for the others); ImproperlyConfigured naming it."""
    value = get("DJANGO_VOX_CONCURRENCY")
    validate_concurrency(value)
    if isinstance(value, dict):
        return int(value.get(backend_id, 1))
    return int(value)


def validate(name: str) -> None:
    """Run setting ``name``'s validator on its current value (ImproperlyConfigured if wrong)."""
    VALIDATORS[name](get(name))
