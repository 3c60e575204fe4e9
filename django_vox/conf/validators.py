"""The validators of django-vox's settings: one per setting that can be
wrong, each raising ``ImproperlyConfigured`` naming the setting, gathered in
:data:`VALIDATORS` (``manage.py check`` runs them through
:func:`django_vox.conf.validate`).  Imports nothing of django-vox's.
"""

import re
from collections.abc import Callable
from numbers import Real
from typing import Any, cast
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

__all__ = ["VALIDATORS", "resolve_dotted", "validate_site_domain", "validate_issue_method",
           "validate_http_timeout", "validate_markdown_extras", "validate_activity_regex",
           "validate_xmpp_server", "validate_max_attempts", "validate_batch_size",
           "validate_webhook_base_url", "validate_postmark_webhook_credentials",
           "validate_webhook_max_body", "validate_tracking_payload_limit",
           "validate_soft_bounce_limit", "validate_soft_bounce_window",
           "validate_inapp_live", "validate_inapp_poll_interval", "validate_inapp_retention",
           "recipient_locale_function", "validate_recipient_locale",
           "validate_chunk_size", "validate_concurrency", "MAX_CONCURRENCY"]


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



# -- validators: one per setting that can be wrong ------------------------------------
# Each takes the setting's value and raises ImproperlyConfigured naming the
# setting when it cannot work.  ``manage.py check`` runs every one in
# VALIDATORS (django_vox.checks), on the value conf.get() answers (so after
# the adapters conf applies).
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


def recipient_locale_function(value: object) -> Callable[..., Any] | None:
    """The function a DJANGO_VOX_RECIPIENT_LOCALE value names (None when
    unset); ImproperlyConfigured naming the setting when it cannot be used."""
    name = "DJANGO_VOX_RECIPIENT_LOCALE"
    if not value:
        return None
    if callable(value):
        return cast(Callable[..., Any], value)
    if not isinstance(value, str):
        raise ImproperlyConfigured(f"{name} must be the dotted path of a function "
                                   f"resolver(contact) -> (language, timezone), not {value!r}.")
    try:
        found = resolve_dotted(value)
    except Exception as err:  # noqa: BLE001 - whatever importing it raises is the culprit
        raise ImproperlyConfigured(f"{name} {value!r} could not be imported: "
                                   f"{type(err).__name__}: {err}") from err
    if not callable(found):
        raise ImproperlyConfigured(f"{name} {value!r} is not a function.")
    return cast(Callable[..., Any], found)


def validate_recipient_locale(value: object) -> None:
    recipient_locale_function(value)


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
        f"DJANGO_VOX_HTTP_TIMEOUT must be a number of seconds above 0 (or a (connect, total) "
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


def _at_least_1(name: str) -> Callable[[object], None]:
    """The validator of a setting that is a whole number of at least 1."""
    def validate(value: object) -> None:
        _whole_number_at_least_1(name, value)

    validate.__name__ = validate.__qualname__ = "validate_" + name.removeprefix(
        "DJANGO_VOX_").lower()
    return validate


validate_max_attempts = _at_least_1("DJANGO_VOX_MAX_ATTEMPTS")
validate_batch_size = _at_least_1("DJANGO_VOX_BATCH_SIZE")
validate_webhook_max_body = _at_least_1("DJANGO_VOX_WEBHOOK_MAX_BODY")
validate_tracking_payload_limit = _at_least_1("DJANGO_VOX_TRACKING_PAYLOAD_LIMIT")
validate_soft_bounce_limit = _at_least_1("DJANGO_VOX_SOFT_BOUNCE_LIMIT")
validate_soft_bounce_window = _at_least_1("DJANGO_VOX_SOFT_BOUNCE_WINDOW")
validate_inapp_poll_interval = _at_least_1("DJANGO_VOX_INAPP_POLL_INTERVAL")


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



def validate_webhook_base_url(value: object) -> None:
    if not value:
        return
    parts = urlsplit(str(value))
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query \
            or parts.fragment or parts.path.strip("/"):
        raise ImproperlyConfigured(
            f"DJANGO_VOX_WEBHOOK_BASE_URL must be the public scheme and host of this site, "
            f"such as 'https://example.org', not {value!r}.")


def validate_postmark_webhook_credentials(value: object) -> None:
    if value is None:
        return
    user, colon, password = str(value).partition(":") if isinstance(value, str) else ("", "", "")
    if not colon or not user or not password:
        raise ImproperlyConfigured(
            "DJANGO_VOX_POSTMARK_WEBHOOK_CREDENTIALS must be \"user:password\" (both parts "
            "non-empty; the user may not hold a colon), the HTTP Basic credentials set on "
            "Postmark's webhook.")
    if len(password) < 16:
        raise ImproperlyConfigured(
            "DJANGO_VOX_POSTMARK_WEBHOOK_CREDENTIALS: the password must have at least 16 "
            "characters (it is all that stands between the internet and the suppression list).")


def validate_inapp_live(value: object) -> None:
    if value not in ("poll", "sse"):
        raise ImproperlyConfigured(
            f'DJANGO_VOX_INAPP_LIVE must be "poll" (the bell asks for the unread count every '
            f'DJANGO_VOX_INAPP_POLL_INTERVAL seconds) or "sse" (server-sent events, for ASGI '
            f'sites), not {value!r}.')


def validate_inapp_retention(value: object) -> None:
    if value is not None:
        _whole_number_at_least_1("DJANGO_VOX_INAPP_RETENTION", value)


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
    "DJANGO_VOX_WEBHOOK_BASE_URL": validate_webhook_base_url,
    "DJANGO_VOX_POSTMARK_WEBHOOK_CREDENTIALS": validate_postmark_webhook_credentials,
    "DJANGO_VOX_WEBHOOK_MAX_BODY": validate_webhook_max_body,
    "DJANGO_VOX_TRACKING_PAYLOAD_LIMIT": validate_tracking_payload_limit,
    "DJANGO_VOX_SOFT_BOUNCE_LIMIT": validate_soft_bounce_limit,
    "DJANGO_VOX_SOFT_BOUNCE_WINDOW": validate_soft_bounce_window,
    "DJANGO_VOX_INAPP_LIVE": validate_inapp_live,
    "DJANGO_VOX_INAPP_POLL_INTERVAL": validate_inapp_poll_interval,
    "DJANGO_VOX_INAPP_RETENTION": validate_inapp_retention,
    "DJANGO_VOX_RECIPIENT_LOCALE": validate_recipient_locale,
}


