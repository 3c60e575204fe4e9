"""One HTTP session per issue, with timeouts and provider errors mapped to
send errors (transient for connection failures, timeouts, 429 and 5xx)."""

import logging
from urllib.parse import urlsplit

import requests

from django_vox import conf
from django_vox.exceptions import (
    InvalidAddress,
    PermanentSendError,
    SendError,
    TransientSendError,
)

__all__ = ["HttpSession", "HttpSessionMixin", "status_error_class", "validate_url"]

logger = logging.getLogger("django_vox")


def status_error_class(status: int) -> type[SendError]:
    """The send error for an HTTP error status: transient for 429 (rate
    limited) and 5xx (the provider's trouble), permanent for the rest.

    The one place django-vox classifies HTTP statuses; backends whose SDK
    reports the status in its own exception use it too.
    """
    if status == 429 or status >= 500:
        return TransientSendError
    return PermanentSendError


def validate_url(address, protocol=None):
    """Refuse anything but an absolute http(s) URL."""
    parts = urlsplit(address or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidAddress(address, "only absolute http:// and https:// URLs are allowed",
                             protocol=protocol)
    return address


class HttpSession:
    """A requests.Session opened once and reused for every request of an issue."""

    def __init__(self, timeout=None):
        self.timeout = timeout
        self.session = None

    def open(self):
        if self.session is not None:
            return False
        self.session = requests.Session()
        return True

    def close(self):
        if self.session is not None:
            self.session.close()
            self.session = None

    def request(self, method, url, *, what="HTTP request", **kwargs):
        """Send a request; return the response or raise a SendError naming ``what``.

        Credentials passed in ``headers``/``auth`` never appear in the error.
        """
        opened_here = self.open()
        timeout = self.timeout if self.timeout is not None else conf.get("DJANGO_VOX_HTTP_TIMEOUT")
        try:
            response = self.session.request(method, url, timeout=timeout, **kwargs)
        except requests.Timeout as err:
            raise TransientSendError(f"{what} to {_safe(url)} timed out after {timeout}s") from err
        except requests.ConnectionError as err:
            raise TransientSendError(f"{what} to {_safe(url)} could not connect") from err
        except requests.RequestException as err:
            raise PermanentSendError(f"{what} to {_safe(url)} failed: {type(err).__name__}") from err
        finally:
            if opened_here:
                self.close()
        if response.status_code >= 400:
            raise status_error_class(response.status_code)(f"{what} to {_safe(url)} was refused", status=response.status_code,
                        body=response.text[:1000])
        return response

    def post_json(self, url, payload, **kwargs):
        return self.request("POST", url, json=payload, **kwargs)


class HttpSessionMixin:
    """For backends that talk HTTP: ``self.http`` is one session from
    ``open()`` to ``close()``, reused by every message of an issue.  List it
    before the backend base class."""

    def __init__(self, **options):
        super().__init__(**options)
        self.http = HttpSession()

    def open(self):
        opened = super().open()
        self.http.open()
        return opened

    def close(self):
        self.http.close()
        super().close()


def _safe(url):
    """The URL without user info or query string (which may carry secrets)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return f"{parts.scheme}://{host}{parts.path}"
