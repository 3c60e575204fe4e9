"""Settings for django-vox, read from ``django.conf.settings`` at call time.

Nothing is cached, so ``override_settings`` always applies.
"""

import re
from collections.abc import Callable
from numbers import Real
from typing import Any, cast
from urllib.parse import urlsplit

from django.apps import apps
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

__all__ = ["DEFAULTS", "get", "require", "set_adapter", "positive_int", "site_base_url", "site_url",
           "VALIDATORS", "validate", "validate_site_domain", "validate_issue_method",
           "validate_http_timeout", "validate_markdown_extras", "validate_activity_regex",
           "validate_xmpp_server", "validate_max_attempts", "validate_batch_size",
           "validate_chunk_size", "validate_concurrency", "concurrency_for"]

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
    "DJANGO_VOX_CHUNK_SIZE": None,  # None: from the issue's size (background.chunks)
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


def _split_site_domain(domain: object) -> tuple[str | None, str]:
    """``(scheme or None, host[:port])`` of a SITE_DOMAIN written with or
    without a scheme and trailing slash."""
    text = str(domain).strip()
    parts = urlsplit(text if "://" in text else f"//{text}")
    if parts.scheme not in ("", "http", "https"):
        raise ImproperlyConfigured(
            f"SITE_DOMAIN must be a host name such as 'example.org' (optionally with a port, "
            f"or written as 'https://example.org/'), not {domain!r}: only http and https work.")
    if not parts.netloc or parts.path.strip("/") or parts.query or parts.fragment:
        raise ImproperlyConfigured(
            f"SITE_DOMAIN must be a host name such as 'example.org' (optionally with a port, "
            f"or written as 'https://example.org/'), not {domain!r}.")
    return parts.scheme or None, parts.netloc


def _sites_domain() -> str | None:
    if not apps.is_installed("django.contrib.sites"):
        return None
    from django.contrib.sites.models import Site  # only when the app is installed

    try:
        return Site.objects.get_current().domain
    except (Site.DoesNotExist, ImproperlyConfigured):
        return None


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


# -- validators: one per setting that can be wrong ------------------------------------
# Each takes the setting's value and raises ImproperlyConfigured naming the
# setting when it cannot work.  ``manage.py check`` runs every one in
# VALIDATORS (django_vox.checks), on the value get() answers (so after the
# adapters above).
def validate_site_domain(value: object) -> None:
    if value:
        _split_site_domain(value)


def resolve_dotted(path: str) -> Any:
    """Import ``path``, which may name an attribute of a class (``mod.Class.method``)."""
    try:
        return import_string(path)
    except ImportError:
        module_path, _dot, attr = path.rpartition(".")
        if not module_path:
            raise
        return getattr(resolve_dotted(module_path), attr)


def validate_issue_method(value: object) -> None:
    if callable(value):
        return
    if not isinstance(value, str) or not value:
        raise ImproperlyConfigured(
            f"DJANGO_VOX_ISSUE_METHOD must be the dotted path of a function, not {value!r}.")
    try:
        found = resolve_dotted(value)
    except Exception as err:  # noqa: BLE001 - whatever importing it raises is the culprit
        raise ImproperlyConfigured(
            f"DJANGO_VOX_ISSUE_METHOD {value!r} could not be imported: "
            f"{type(err).__name__}: {err}") from err
    if not callable(found):
        raise ImproperlyConfigured(f"DJANGO_VOX_ISSUE_METHOD {value!r} is not a function.")


def _positive_number(value: object) -> bool:
    # Real declares no ">" for the checker: compared as what it is here, a number.
    return (not isinstance(value, bool) and isinstance(value, Real)
            and cast(float, value) > 0)


def validate_http_timeout(value: object) -> None:
    if _positive_number(value):
        return
    if (isinstance(value, (tuple, list)) and len(value) == 2
            and all(_positive_number(part) for part in value)):
        return
    raise ImproperlyConfigured(
        f"DJANGO_VOX_HTTP_TIMEOUT must be a number of seconds above 0 (or a (connect, read) "
        f"pair of them), not {value!r}: without one a request to a peer that does not answer "
        f"blocks its worker for good.")


def validate_markdown_extras(value: object) -> None:
    if value is None:
        return
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise ImproperlyConfigured(
            f"DJANGO_VOX_MARKDOWN_EXTRAS must be a list of Python-Markdown extensions, "
            f"not {value!r}.")
    try:
        import markdown  # the optional dependency of the Markdown backend
    except ImportError:
        return  # nothing can use them; the backend itself reports the missing package
    try:
        markdown.Markdown(extensions=list(value))
    except Exception as err:  # noqa: BLE001 - an extension that fails to load, whatever it raises
        raise ImproperlyConfigured(
            f"DJANGO_VOX_MARKDOWN_EXTRAS {list(value)!r} could not be loaded: "
            f"{type(err).__name__}: {err}") from err


def validate_activity_regex(value: Any) -> None:
    if not value:
        return
    try:
        pattern = re.compile(value)
    except (re.error, TypeError) as err:
        raise ImproperlyConfigured(
            f"DJANGO_VOX_ACTIVITY_REGEX {value!r} is invalid: {err}") from err
    if not {"path", "box"} <= set(pattern.groupindex):
        raise ImproperlyConfigured(
            f"DJANGO_VOX_ACTIVITY_REGEX {value!r} needs the named groups 'path' (the actor's "
            f"path) and 'box' ('inbox' or 'outbox').")


def validate_xmpp_server(value: object) -> None:
    if not value:
        return
    host, _colon, port = str(value).rpartition(":")
    if not host.strip("[]") or not port.isdigit() or not 0 < int(port) < 65536:
        raise ImproperlyConfigured(f'DJANGO_VOX_XMPP_SERVER {value!r} must be "host:port", '
                                   f'e.g. "xmpp.example.org:5222".')


def _whole_number_at_least_1(name: str, value: Any) -> None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if isinstance(value, bool) or number < 1 or (isinstance(value, float) and number != value):
        raise ImproperlyConfigured(f"{name} must be a whole number of at least 1, not {value!r}.")


def validate_max_attempts(value: object) -> None:
    _whole_number_at_least_1("DJANGO_VOX_MAX_ATTEMPTS", value)


def validate_batch_size(value: object) -> None:
    _whole_number_at_least_1("DJANGO_VOX_BATCH_SIZE", value)


def validate_chunk_size(value: object) -> None:
    if value is not None:
        _whole_number_at_least_1("DJANGO_VOX_CHUNK_SIZE", value)


#: The most connections one sender may keep busy at once (each is a thread).
MAX_CONCURRENCY = 64


def _concurrency_value(where: str, value: Any) -> int:
    _whole_number_at_least_1(where, value)
    if int(value) > MAX_CONCURRENCY:
        raise ImproperlyConfigured(
            f"{where} must be at most {MAX_CONCURRENCY} (one thread and one connection to the "
            f"provider each), not {value!r}.")
    return int(value)


def validate_concurrency(value: object) -> None:
    name = "DJANGO_VOX_CONCURRENCY"
    if not isinstance(value, dict):
        _concurrency_value(name, value)
        return
    for backend_id, number in value.items():
        if not isinstance(backend_id, str) or not backend_id:
            raise ImproperlyConfigured(
                f"{name} keys must be backend IDs (strings such as 'email-html'), "
                f"not {backend_id!r}.")
        _concurrency_value(f"{name}[{backend_id!r}]", number)


def concurrency_for(backend_id: str) -> int:
    """How many connections one sender keeps busy for ``backend_id``
    (``DJANGO_VOX_CONCURRENCY``: a number for every backend, or a dict of
    backend ID to number, 1 for the others); ImproperlyConfigured naming it."""
    value = get("DJANGO_VOX_CONCURRENCY")
    validate_concurrency(value)
    if isinstance(value, dict):
        return int(value.get(backend_id, 1))
    return int(value)


#: setting → its validator (see above).
VALIDATORS: dict[str, Callable[[Any], None]] = {
    "SITE_DOMAIN": validate_site_domain,
    "DJANGO_VOX_ISSUE_METHOD": validate_issue_method,
    "DJANGO_VOX_HTTP_TIMEOUT": validate_http_timeout,
    "DJANGO_VOX_MARKDOWN_EXTRAS": validate_markdown_extras,
    "DJANGO_VOX_ACTIVITY_REGEX": validate_activity_regex,
    "DJANGO_VOX_XMPP_SERVER": validate_xmpp_server,
    "DJANGO_VOX_MAX_ATTEMPTS": validate_max_attempts,
    "DJANGO_VOX_BATCH_SIZE": validate_batch_size,
    "DJANGO_VOX_CHUNK_SIZE": validate_chunk_size,
    "DJANGO_VOX_CONCURRENCY": validate_concurrency,
}


def validate(name: str) -> None:
    """Run setting ``name``'s validator on its current value (ImproperlyConfigured if wrong)."""
    VALIDATORS[name](get(name))
