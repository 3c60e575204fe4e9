"""SMS through Twilio's Messages API, with the twilio client.

The client's HTTP goes through django-vox's :class:`~django_vox.http.HttpSession`
(one session per issue, with its timeout), and its API base can be moved with
``DJANGO_VOX_TWILIO_API_BASE`` (proxies, tests).  Addresses must be E.164
numbers; anything else is refused before a request is made.
"""

import json
import logging
import re
from typing import Any

from django.utils.translation import gettext_lazy as _

from django_vox import conf
from django_vox.backends.base import Backend as BaseBackend
from django_vox.exceptions import InvalidAddress, PermanentSendError, SendError
from django_vox.http import HttpSession, HttpSessionMixin, status_error_class
from django_vox.messages import Message
from django_vox.pacing.retryafter import RETRY_AFTER_STATUSES

__all__ = ["Backend"]

logger = logging.getLogger("django_vox")

#: E.164: "+", a country code not starting with 0, at most 15 digits in all.
E164 = re.compile(r"\+[1-9][0-9]{1,14}")


def _http_client_class() -> type[Any]:
    from twilio.http import HttpClient
    from twilio.http.response import Response

    # The twilio package has no type information: HttpClient is Any to the checker.
    class VoxHttpClient(HttpClient):  # type: ignore[misc]
        """Sends the twilio client's requests through an HttpSession.

        Provider answers (any status) go back to the client, which turns
        error answers into TwilioRestException with Twilio's code and message;
        timeouts and refused connections raise TransientSendError.  The
        exception has no headers, so ``retry_after`` keeps the seconds the
        last error answer asked to wait (its Retry-After) for the backend's
        send error.
        """

        def __init__(self, http: HttpSession) -> None:
            super().__init__(logger=logging.getLogger("django_vox.twilio"), is_async=False)
            self.http = http
            self.retry_after: float | None = None

        def request(self, method: str, url: str, params: Any = None, data: Any = None,
                    headers: Any = None, auth: Any = None, timeout: Any = None,
                    allow_redirects: bool = False) -> Any:
            self.retry_after = None
            try:
                response = self.http.request(method, url, what="Twilio API request",
                                             params=params, data=data, headers=headers,
                                             auth=auth, allow_redirects=allow_redirects)
            except SendError as err:
                if err.status is None:
                    raise
                self.retry_after = err.retry_after
                return Response(err.status, err.body or "", {})
            return Response(response.status_code, response.text, response.headers)

    return VoxHttpClient


class Backend(HttpSessionMixin, BaseBackend):
    ID = "twilio"
    PROTOCOL = "sms"
    VERBOSE_NAME = _("SMS (Twilio)")
    USE_FROM_ADDRESS = True
    EDITOR_TYPE = "basic"
    DEPENDS = ("twilio", "phonenumbers")
    EXTRA = "twilio"
    REQUIRED_SETTINGS = ("DJANGO_VOX_TWILIO_ACCOUNT_SID", "DJANGO_VOX_TWILIO_AUTH_TOKEN",
                         "DJANGO_VOX_TWILIO_FROM_NUMBER")
    HTTP_ENDPOINT_SETTINGS = ("DJANGO_VOX_TWILIO_API_BASE",)

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.client: Any = None  # twilio.rest.Client while open

    def open(self) -> bool:
        opened = super().open()
        if self.client is None:
            self.check_dependencies()
            from twilio.rest import Client

            self.client = Client(conf.require("DJANGO_VOX_TWILIO_ACCOUNT_SID"),
                                 conf.require("DJANGO_VOX_TWILIO_AUTH_TOKEN"),
                                 http_client=_http_client_class()(self.http), environment={})
            self.client.api.base_url = conf.get("DJANGO_VOX_TWILIO_API_BASE").rstrip("/")
        return opened

    def close(self) -> None:
        self.client = None
        super().close()

    def get_default_from_address(self) -> str:
        number: str = conf.get("DJANGO_VOX_TWILIO_FROM_NUMBER") or ""
        return number

    def validate_address(self, address: str) -> None:
        """Accept a number written in E.164 form (``+15551234567``) that is
        possible (its length fits its country code).  With
        ``DJANGO_VOX_SMS_STRICT_VALIDATION`` it must also lie in a range
        phonenumbers knows to be allocated."""
        self.check_dependencies()
        reason = _e164_problem(address, strict=conf.get("DJANGO_VOX_SMS_STRICT_VALIDATION"))
        if reason:
            raise InvalidAddress(address, reason, protocol=self.PROTOCOL)

    def deliver(self, address: str, message: Message) -> str | None:
        """One Messages API call for ``address``; returns the message's SID.
        With ``DJANGO_VOX_WEBHOOK_BASE_URL`` set, Twilio is asked to post the
        message's status changes to django-vox (:mod:`django_vox.tracking.twilio`)."""
        from_number = message.from_address or conf.require("DJANGO_VOX_TWILIO_FROM_NUMBER")
        extra: dict[str, str] = {}
        callback = conf.webhook_url("django_vox:twilio-status")
        if callback:
            extra["status_callback"] = callback
        created = self.client.messages.create(to=address, from_=from_number, body=message.text,
                                              **extra)
        return getattr(created, "sid", None)

    def transport_errors(self) -> tuple[type[BaseException], ...]:
        from twilio.base.exceptions import TwilioException

        return (*super().transport_errors(), TwilioException)

    def map_transport_error(self, err: BaseException, what: str) -> SendError:
        """Twilio's error answers by status (:func:`~django_vox.http.status_error_class`)."""
        from twilio.base.exceptions import TwilioException, TwilioRestException

        status = getattr(err, "status", None)
        if isinstance(err, TwilioException) and isinstance(status, int):
            if isinstance(err, TwilioRestException):
                detail, body = err.msg, _error_body(err)
            else:  # RFC 9457's problem form (TwilioServiceException); its str() has colours
                detail = getattr(err, "detail", None) or getattr(err, "title", None) or "error"
                body = _problem_body(err)
            return status_error_class(status)(
                f"Twilio refused the SMS to {what}: {detail}", status=status,
                code=getattr(err, "code", None), body=body, retry_after=self._retry_after(status))
        if isinstance(err, TwilioException):
            return PermanentSendError(f"Twilio SMS to {what} failed: {err}")
        return super().map_transport_error(err, what)

    def _retry_after(self, status: int) -> float | None:
        """The Retry-After (seconds) of the 429 or 503 answer the client just
        turned into an exception with ``status``, kept by the HTTP adapter."""
        if status not in RETRY_AFTER_STATUSES:
            return None
        seconds: float | None = getattr(getattr(self.client, "http_client", None),
                                        "retry_after", None)
        return seconds


def _e164_problem(address: object, strict: bool) -> str | None:
    """Why ``address`` is not an acceptable E.164 number, or None."""
    import phonenumbers

    if not isinstance(address, str) or not address.startswith("+"):
        return 'an SMS address must be an E.164 number starting with "+"'
    if not E164.fullmatch(address):
        return "not in E.164 form (a + and 2 to 15 digits, the first not 0; no spaces)"
    try:
        number = phonenumbers.parse(address, None)
    except phonenumbers.NumberParseException as err:
        return f"not a phone number ({err})"
    if not phonenumbers.is_possible_number(number):
        return "not a possible phone number (wrong length for its country code)"
    if strict and not phonenumbers.is_valid_number(number):
        return ("not in a range phonenumbers knows to be allocated "
                "(DJANGO_VOX_SMS_STRICT_VALIDATION is on)")
    return None


def _problem_body(err: BaseException) -> str:
    """An RFC 9457 answer as JSON text, without its request URI (it holds the account SID)."""
    return json.dumps({name: getattr(err, name, None)
                       for name in ("type", "title", "status", "code", "detail", "errors")},
                      default=str)


def _error_body(err: Any) -> str:
    """Twilio's error as JSON text, without the request URI (it holds the account SID)."""
    return json.dumps({"code": err.code, "message": err.msg, "details": err.details}, default=str)
