"""Outbound HTTP for every backend: one client, safe by default.

Slack, JSON webhooks, Twilio, Twitter and Postmark all send through
:class:`HttpSession`, built on requests-hardened (see "Security" in the
backends documentation for why that library):

* Addresses that come from data (webhook and Slack URLs) may only reach
  public addresses.  The host name is resolved when connecting and the
  connection goes to the address that was checked, so DNS rebinding cannot
  slip a private address past the check.  ``DJANGO_VOX_HTTP_ALLOWED_NETWORKS``
  and ``DJANGO_VOX_HTTP_ALLOWED_HOSTS`` let a site reach its own receivers.
* Provider endpoints configured in settings (``DJANGO_VOX_POSTMARK_ENDPOINT``,
  ``DJANGO_VOX_*_API_BASE``) are trusted as configured.
* Redirects are never followed: a 3xx answer is a permanent failure naming
  its Location.
* ``DJANGO_VOX_HTTP_TIMEOUT`` is the deadline of the whole request, from
  connecting to the last byte (a ``(connect, total)`` pair also bounds
  connecting on its own: :func:`request_timeouts`); at most ``MAX_RESPONSE_BYTES`` of a response
  are read (``MAX_PROVIDER_RESPONSE_BYTES`` from a trusted provider endpoint,
  whose batch answers are larger); at most ``MAX_ERROR_CHARS`` characters of a body, with secrets
  stripped, reach an error (and so the delivery log and the logs).

Failures become send errors: transient for connection failures, timeouts,
429 and 5xx (:func:`status_error_class`), permanent otherwise.  A 429 or 503
answer's ``Retry-After`` (seconds or an HTTP date) becomes the error's
``retry_after`` in seconds, which pauses the backend's rate limit (429) and
puts the next background attempt no earlier (:func:`django_vox.pacing.retry.retry_delay`).

Imports conf, exceptions and :mod:`django_vox.pacing.retryafter` only.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import parse_qsl, urlsplit

import requests
import urllib3

from django_vox import conf
from django_vox.exceptions import (
    InvalidAddress,
    PermanentSendError,
    SendError,
    TransientSendError,
)
from django_vox.http.transport import (
    AddressPolicy,
    Deadline,
    ForbiddenAddress,
    is_forbidden,
    new_session,
)
from django_vox.pacing.retryafter import RETRY_AFTER_STATUSES, retry_after_seconds

if TYPE_CHECKING:  # HttpSessionMixin is listed before a backend's base class
    from django_vox.backends.base import Backend as _MixinBase
else:
    _MixinBase = object

__all__ = ["MAX_ERROR_CHARS", "MAX_PROVIDER_RESPONSE_BYTES", "MAX_RESPONSE_BYTES", "AddressPolicy", "HttpSession",
           "HttpSessionMixin", "clean_body", "request_timeouts", "retry_after_of", "status_error_class", "validate_url"]

logger = logging.getLogger("django_vox")

#: The most of a response body that is read; the rest is never downloaded.
MAX_RESPONSE_BYTES = 64 * 1024
#: The same for a provider endpoint from settings: Postmark answers a batch of
#: 500 messages with about 90 KB of results, which must be read whole.
MAX_PROVIDER_RESPONSE_BYTES = 4 * 1024 * 1024
#: The most of a response body that reaches an error, the delivery log or a log.
MAX_ERROR_CHARS = 500
REDACTED = "[redacted]"

_CONTROL = re.compile(r"[\x00-\x20\x7f]")
_SECRET_NAME = (r"[\w.-]*(?:pass(?:word|wd)?|secret|token|api[_-]?key|auth\w*|session|cookie"
                r"|credential|signature)[\w.-]*")
_SECRET_PAIR = re.compile(rf"(?i)({_SECRET_NAME}[\"']?\s*[:=]\s*[\"']?)"
                          r"((?:bearer|basic|digest|token)\s+)?([^\s&,;\"'<>]+)")
_SECRET_HEADER = re.compile(r"(?i)auth|token|key|secret|cookie|signature")


def status_error_class(status: int) -> type[SendError]:
    """The send error for an HTTP error status: transient for 429 (rate
    limited) and 5xx (the provider's trouble), permanent for the rest.

    The one place django-vox classifies HTTP statuses; backends whose SDK
    reports the status in its own exception use it too.
    """
    if status == 429 or status >= 500:
        return TransientSendError
    return PermanentSendError


# -- addresses -----------------------------------------------------------------
def validate_url(address: str, protocol: str | None = None) -> str:
    """Refuse anything but an absolute http(s) URL without spaces or control
    characters, and an IP address literal that data may not reach."""
    def refuse(reason: str) -> NoReturn:
        raise InvalidAddress(address, reason, protocol=protocol)

    if not isinstance(address, str) or _CONTROL.search(address):
        refuse("spaces, line breaks and control characters are not allowed")
    try:
        parts = urlsplit(address)
        port = parts.port
    except ValueError as err:
        refuse(f"not a URL ({err})")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        refuse("only absolute http:// and https:// URLs are allowed")
    try:
        literal = ipaddress.ip_address(parts.hostname)
    except ValueError:
        return address  # a name: checked after resolving it, when connecting
    if isinstance(literal, ipaddress.IPv6Address) and literal.scope_id:
        refuse(f"an IPv6 address with a zone (%{literal.scope_id}) is never a public address")
    if not AddressPolicy.from_settings().allows(parts.hostname, literal) \
            and is_forbidden(literal, port):
        refuse(f"{literal} is not a public address ({AddressPolicy.HINT})")
    return address


# -- the client ----------------------------------------------------------------
class HttpSession:
    """The HTTP client of one issue: its connections are reused by every
    request between ``open()`` and ``close()``.

    ``endpoint_settings`` names the settings holding the provider endpoints
    this client may reach as configured (``DJANGO_VOX_POSTMARK_ENDPOINT``...);
    every other URL is data and gets the address filter.
    """

    def __init__(self, timeout: float | None = None,
                 endpoint_settings: Sequence[str] = ()) -> None:
        self.timeout = timeout
        self.endpoint_settings = tuple(endpoint_settings)
        self._sessions: dict[bool, requests.Session] = {}
        self._open = False

    def open(self) -> bool:
        if self._open:
            return False
        self._open = True
        return True

    def close(self) -> None:
        sessions, self._sessions = self._sessions, {}
        for session in sessions.values():
            session.close()
        self._open = False

    @property
    def session(self) -> requests.Session | None:
        """A requests session while open (for backward compatibility), else None."""
        return self._session_for(False) if self._open else None

    def _session_for(self, trusted: bool) -> requests.Session:
        if trusted not in self._sessions:
            self._sessions[trusted] = new_session(trusted)
        return self._sessions[trusted]

    def is_trusted(self, url: str) -> bool:
        """Whether ``url`` lies under one of the configured provider endpoints."""
        for name in self.endpoint_settings:
            base = str(conf.get(name) or "")
            if base and _under(url, base):
                return True
        return False

    def request(self, method: str, url: str, *, what: str = "HTTP request",
                **kwargs: Any) -> requests.Response:
        """Send a request; return the response (its body read, at most
        MAX_RESPONSE_BYTES) or raise a SendError naming ``what``.

        Credentials passed in ``headers``/``auth``/the URL never appear in the error.
        """
        kwargs.pop("allow_redirects", None)
        kwargs.pop("timeout", None)
        secrets = _secrets_of(url, kwargs)
        opened_here = self.open()
        try:
            response = self._send(method, url, what, kwargs)
        finally:
            if opened_here:
                self.close()
        status = response.status_code
        if 300 <= status < 400:
            location = response.headers.get("Location", "")
            raise PermanentSendError(
                f"{what} to {_safe(url)} was redirected to {_safe(location) or '(no Location)'}; "
                f"redirects are not followed (use the final URL)", status=status)
        if status >= 400:
            raise status_error_class(status)(
                f"{what} to {_safe(url)} was refused", status=status,
                body=clean_body(response.text, secrets), retry_after=retry_after_of(response))
        return response

    def post_json(self, url: str, payload: Any, **kwargs: Any) -> requests.Response:
        return self.request("POST", url, json=payload, **kwargs)

    def _send(self, method: str, url: str, what: str,
              kwargs: dict[str, Any]) -> requests.Response:
        timeout = self.timeout if self.timeout is not None else conf.get("DJANGO_VOX_HTTP_TIMEOUT")
        connect, total = request_timeouts(timeout)
        trusted = self.is_trusted(url)
        session = self._session_for(trusted)
        with Deadline(total) as deadline:
            try:
                response = session.request(method, url, timeout=(connect, total), stream=True,
                                           allow_redirects=False, **kwargs)
                _read_capped(response, deadline,
                             MAX_PROVIDER_RESPONSE_BYTES if trusted else MAX_RESPONSE_BYTES)
            except ForbiddenAddress as err:
                raise InvalidAddress(url, str(err)) from err
            except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as err:
                raise _transport_error(err, what, url, timeout, deadline.expired) from err
        return response


def request_timeouts(value: Any) -> tuple[float, float]:
    """``(connect timeout, total deadline)`` in seconds from a
    ``DJANGO_VOX_HTTP_TIMEOUT`` value: a number is both, a pair is
    ``(connect, total)``, as the setting's check accepts."""
    if isinstance(value, (tuple, list)):
        connect, total = value
        return float(connect), float(total)
    return float(value), float(value)


def retry_after_of(response: requests.Response) -> float | None:
    """The seconds a 429 or 503 answer asks to wait (its ``Retry-After``), or None."""
    if response.status_code not in RETRY_AFTER_STATUSES:
        return None
    return retry_after_seconds(response.headers.get("Retry-After"))


def _seconds(timeout: Any) -> str:
    connect, total = request_timeouts(timeout)
    if connect == total:
        return f"{timeout}s"
    return f"{connect:g}s to connect or {total:g}s in all"


def _transport_error(err: BaseException, what: str, url: str, timeout: Any,
                     expired: bool) -> SendError:
    if expired or isinstance(err, (requests.Timeout, urllib3.exceptions.TimeoutError,
                                   TimeoutError)):
        return TransientSendError(f"{what} to {_safe(url)} timed out: it took longer than "
                                  f"{_seconds(timeout)} (DJANGO_VOX_HTTP_TIMEOUT)")
    if isinstance(err, requests.exceptions.SSLError):
        return PermanentSendError(f"{what} to {_safe(url)} failed TLS verification: "
                                  f"{_ssl_reason(err)}")
    if isinstance(err, (requests.ConnectionError, urllib3.exceptions.ProtocolError, OSError)):
        return TransientSendError(f"{what} to {_safe(url)} could not connect")
    return PermanentSendError(f"{what} to {_safe(url)} failed: {type(err).__name__}")


def _ssl_reason(err: BaseException) -> str:
    """The innermost SSL error's text (requests and urllib3 wrap it)."""
    for _depth in range(5):
        inner = err.args[0] if err.args and isinstance(err.args[0], BaseException) \
            else getattr(err, "reason", None)
        if not isinstance(inner, BaseException):
            break
        err = inner
    return str(err)[:200]


def _read_capped(response: requests.Response, deadline: Deadline, limit: int) -> None:
    """Read at most ``limit`` bytes of the body; drop the connection when
    there was more (never hand a half-read connection back to the pool)."""
    chunks: list[bytes] = []
    size = 0
    for chunk in response.raw.stream(16 * 1024, decode_content=True):
        chunks.append(chunk)
        size += len(chunk)
        if size > limit or deadline.expired:
            break
    complete = size <= limit and not deadline.expired
    if deadline.expired:
        raise TimeoutError("deadline passed while reading the response")
    response._content = b"".join(chunks)[:limit]
    response._content_consumed = True  # type: ignore[attr-defined]  # requests reads it
    if not complete:
        logger.debug("Response from %s cut at %d bytes.", _safe(response.url), limit)
        response.raw.close()
    response.close()


# -- what may be shown -----------------------------------------------------------
def clean_body(text: str | None, secrets: Iterable[str] = ()) -> str:
    """At most MAX_ERROR_CHARS of a response body, with ``secrets``, the
    credentials in django-vox's settings and anything written like a
    credential (``password=...``, ``"token": ...``) replaced, for errors and logs."""
    text = (text or "")[:MAX_ERROR_CHARS + 200]
    secrets = {*secrets, *_configured_secrets()}
    for secret in sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    text = _SECRET_PAIR.sub(lambda match: match.group(1) + REDACTED, text)
    return text[:MAX_ERROR_CHARS]


def _configured_secrets() -> list[str]:
    """The credentials in django-vox's settings (tokens, secrets, passwords, keys)."""
    return [str(conf.get(name) or "") for name in conf.DEFAULTS
            if re.search("TOKEN|SECRET|PASSWORD|_KEY", name)]


def _secrets_of(url: str, kwargs: dict[str, Any]) -> list[str]:
    """The credentials a request carries: URL password and query values,
    header values named like credentials, basic-auth and OAuth secrets."""
    parts = urlsplit(url)
    secrets = [parts.password or ""] + [value for _key, value in parse_qsl(parts.query)]
    for name, value in (kwargs.get("headers") or {}).items():
        if _SECRET_HEADER.search(str(name)):
            secrets.append(str(value))
    auth = kwargs.get("auth")
    if isinstance(auth, tuple):
        secrets.extend(str(part) for part in auth)
    client = getattr(auth, "client", None)  # requests-oauthlib's OAuth1
    for name in ("client_key", "client_secret", "resource_owner_key", "resource_owner_secret"):
        secrets.append(str(getattr(client, name, "") or ""))
    return secrets


def _under(url: str, base: str) -> bool:
    url_parts, base_parts = urlsplit(url), urlsplit(base)
    return ((url_parts.scheme, url_parts.netloc.lower())
            == (base_parts.scheme, base_parts.netloc.lower())
            and url_parts.path.startswith(base_parts.path.rstrip("/")))


def _safe(url: str | None) -> str:
    """The URL without user info or query string (which may carry secrets)."""
    try:
        parts = urlsplit(url or "")
        port = parts.port
    except ValueError:
        return "(an invalid URL)"
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if port:
        host = f"{host}:{port}"
    return f"{parts.scheme}://{host}{parts.path}" if parts.scheme else parts.path


class HttpSessionMixin(_MixinBase):
    """For backends that talk HTTP: ``self.http`` is one :class:`HttpSession`
    from ``open()`` to ``close()``, reused by every message of an issue.
    List it before the backend base class.  ``HTTP_ENDPOINT_SETTINGS`` names
    the settings holding the backend's provider endpoints (trusted as
    configured); every other URL gets the address filter."""

    HTTP_ENDPOINT_SETTINGS: tuple[str, ...] = ()

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.http = HttpSession(endpoint_settings=self.HTTP_ENDPOINT_SETTINGS)

    def open(self) -> bool:
        opened = super().open()
        self.http.open()
        return opened

    def close(self) -> None:
        self.http.close()
        super().close()
