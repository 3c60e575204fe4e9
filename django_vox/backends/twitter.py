"""Posts and direct messages on X (formerly Twitter), through the X API v2.

An empty address posts on the configured account (``POST /2/tweets``); any
other address is a handle (without "@") that gets a direct message
(``POST /2/dm_conversations/with/{user id}/messages``), the handle being
looked up (``GET /2/users/by/username/{handle}``) once per open backend.
Requests are signed with OAuth 1.0a user context by requests-oauthlib, which
python-twitter (the ``twitter`` extra) installs, and go through django-vox's
HttpSession (timeout, one session per issue).  ``DJANGO_VOX_TWITTER_API_BASE``
moves the API (proxies, tests).
"""

import json
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

import requests
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from django_vox import conf
from django_vox.backends._x_text import MAX_POST_LENGTH, weighted_length
from django_vox.backends.base import Backend as BaseBackend
from django_vox.exceptions import (
    InvalidAddress,
    PermanentSendError,
    SendError,
    TemplateRenderError,
    TransientSendError,
)
from django_vox.http import HttpSessionMixin
from django_vox.messages import Message
from django_vox.templating.sandbox import live_values

__all__ = ["Backend", "MAX_DM_LENGTH", "MAX_POST_LENGTH", "weighted_length"]

HANDLE = re.compile(r"[A-Za-z0-9_]{1,15}")
CREDENTIALS = ("DJANGO_VOX_TWITTER_CONSUMER_KEY", "DJANGO_VOX_TWITTER_CONSUMER_SECRET",
               "DJANGO_VOX_TWITTER_TOKEN_KEY", "DJANGO_VOX_TWITTER_TOKEN_SECRET")
#: The most characters a direct message may have.
MAX_DM_LENGTH = 10000


class Backend(HttpSessionMixin, BaseBackend):
    ID = "twitter"
    PROTOCOL = "twitter"
    VERBOSE_NAME = _("Twitter")
    EDITOR_TYPE = "basic"
    DEPENDS = ("requests_oauthlib",)
    EXTRA = "twitter"
    REQUIRED_SETTINGS = CREDENTIALS
    HTTP_ENDPOINT_SETTINGS = ("DJANGO_VOX_TWITTER_API_BASE",)

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.auth: Any = None  # requests_oauthlib.OAuth1 while open
        self.api_base = ""
        self.user_ids: dict[str, str] = {}

    # -- lifecycle ------------------------------------------------------------
    def open(self) -> bool:
        if self.auth is None:  # settings first, so a missing one leaves nothing open
            self.check_dependencies()
            from requests_oauthlib import OAuth1

            key, secret, token, token_secret = (conf.require(name) for name in CREDENTIALS)
            self.api_base = _api_base()
            self.auth = OAuth1(key, secret, token, token_secret)
            self.user_ids = {}
        return super().open()

    def close(self) -> None:
        self.auth = None
        self.user_ids = {}
        super().close()

    # -- building -------------------------------------------------------------
    def build_message(self, subject: str, body: str, parameters: dict[str, Any],
                      attachments: Iterable[Any] = ()) -> Message:
        """The rendered text, refused here when X would refuse it as too long.

        A message for a contact with a handle is a direct message; anything
        else (no contact yet, as in the preview, or the account's own
        address) is checked as a post.
        """
        message = super().build_message(subject, body, parameters, attachments)
        contact = live_values(parameters).get("contact")
        problem = length_problem(message.text, direct=bool(getattr(contact, "address", "")))
        if problem:
            raise TemplateRenderError(problem)
        return message

    # -- sending --------------------------------------------------------------
    def validate_address(self, address: str) -> None:
        if address and not (isinstance(address, str) and HANDLE.fullmatch(address)):
            reason = ('write the handle without "@"' if str(address).startswith("@")
                      else "an X handle has 1-15 letters, digits or underscores")
            raise InvalidAddress(address, reason, protocol=self.PROTOCOL)

    def send_message(self, from_address: str, to_addresses: Sequence[str],
                     message: Message) -> str | None:
        """As in 4.x, no address at all is a post on the configured account."""
        return super().send_message(from_address, list(to_addresses) or [""], message)

    def deliver(self, address: str, message: Message) -> str | None:
        """A post when ``address`` is empty, else a direct message to that handle."""
        problem = length_problem(message.text, direct=bool(address))
        if problem:
            raise PermanentSendError(problem)
        if address:
            user_id = self.user_id(address)
            response = self.call(
                "POST", f"/2/dm_conversations/with/{quote(user_id, safe='')}/messages",
                f"X direct message to @{address}", json={"text": message.text})
            key = "dm_event_id"
        else:
            response = self.call("POST", "/2/tweets", "X post", json={"text": message.text})
            key = "id"
        answer = _json(response.text)
        data = answer.get("data") if isinstance(answer, dict) else None
        return (str(data.get(key) or "") or None) if isinstance(data, dict) else None

    def user_id(self, handle: str) -> str:
        """The X user id of ``handle``, asked once per open backend."""
        key = handle.lower()
        if key not in self.user_ids:
            answer = _json(self.call("GET", f"/2/users/by/username/{quote(handle, safe='')}",
                                     f"X user lookup of @{handle}").text)
            user_id = (answer.get("data") or {}).get("id") if isinstance(answer, dict) else None
            if not user_id:
                detail = _reason(answer) or "no such user"
                raise PermanentSendError(f"X has no user @{handle} to send a direct message to: "
                                         f"{detail}", body=json.dumps(answer)[:1000])
            self.user_ids[key] = str(user_id)
        return self.user_ids[key]

    def call(self, method: str, path: str, what: str, **kwargs: Any) -> requests.Response:
        """One signed request; an error answer becomes a SendError in plain words."""
        responses: list[requests.Response] = []  # the raw answer, for the rate limit headers

        def keep(response: requests.Response, **_kwargs: Any) -> None:
            responses.append(response)

        try:
            return self.http.request(method, self.api_base + path, what=what, auth=self.auth,
                                     hooks={"response": keep}, **kwargs)
        except SendError as err:
            if err.status is None:  # no answer: a timeout or refused connection
                raise
            headers: Mapping[str, str] = responses[-1].headers if responses else {}
            raise _x_error(what, err, headers) from err


def length_problem(text: str | None, *, direct: bool = False) -> str | None:
    """Why X would refuse ``text`` as a post (or a direct message), or None."""
    if not (text or "").strip():
        return "X refuses an empty message: the template rendered no text."
    if direct:
        length = len(unicodedata.normalize("NFC", text or ""))
        if length > MAX_DM_LENGTH:
            return (f"The direct message has {length} characters; "
                    f"X allows at most {MAX_DM_LENGTH}.")
        return None
    length = weighted_length(text or "")
    if length > MAX_POST_LENGTH:
        return (f"The post is {length} characters long as X counts them (every link counts "
                f"23, CJK characters and emoji 2); X allows at most {MAX_POST_LENGTH}.")
    return None


def _api_base() -> str:
    base = str(conf.get("DJANGO_VOX_TWITTER_API_BASE") or "").rstrip("/")
    if base.endswith("/1.1"):
        raise ImproperlyConfigured(
            f"DJANGO_VOX_TWITTER_API_BASE is {base!r}, an X API v1.1 address. It is now the "
            f"API root without a version (default 'https://api.x.com'): the backend adds /2/... "
            f"itself. Remove the trailing /1.1.")
    if not base:
        raise ImproperlyConfigured("The DJANGO_VOX_TWITTER_API_BASE setting is empty.")
    return base


def _json(text: str | None) -> Any:
    try:
        return json.loads(text or "{}")
    except ValueError:
        return {}


def _reason(answer: object) -> str:
    """X's own words from an error answer: v2's ``detail``/``title``, or the
    first entry of ``errors`` (v2 ``detail`` or v1.1-style ``message``)."""
    if not isinstance(answer, dict):
        return ""
    errors = answer.get("errors")
    first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) \
        else {}
    return str(answer.get("detail") or first.get("detail") or first.get("message")
               or answer.get("title") or "")


def _error_code(answer: object) -> Any:
    errors = answer.get("errors") if isinstance(answer, dict) else None
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return errors[0].get("code")
    return None


def _not_enrolled(answer: object) -> bool:
    """v2's way of saying the app's access level does not include the endpoint."""
    if not isinstance(answer, dict):
        return False
    return (answer.get("reason") == "client-not-enrolled"
            or str(answer.get("type", "")).endswith("/client-forbidden"))


def _x_error(what: str, err: SendError, headers: Mapping[str, str]) -> SendError:
    """The SendError for an error answer ``err`` (which has status and body)."""
    answer = _json(err.body)
    code, reason = _error_code(answer), _reason(answer)
    status = err.status
    fields: dict[str, Any] = {"status": status, "code": code, "body": err.body, "retry_after": err.retry_after}
    if status == 403 and (code == 453 or _not_enrolled(answer)):
        return PermanentSendError(
            f"{what} failed: the X API access tier of this app does not allow this endpoint "
            f"(posting needs at least the Free tier; direct messages need a paid tier). "
            f"X said: {reason}", **fields)
    if status == 401:
        return PermanentSendError(
            f"{what} failed: X did not accept the credentials. Check the four "
            f"DJANGO_VOX_TWITTER_* settings (API key and secret of the app, access token and "
            f"secret of the account) and that the token has not been revoked. X said: "
            f"{reason}", **fields)
    if status == 429:
        return _rate_limited(what, headers, fields)
    if status == 403 and (code == 187 or "duplicate" in reason.lower()):
        return PermanentSendError(f"{what} failed: X refuses a duplicate post: {reason}", **fields)
    return type(err)(f"{what} failed: {reason or 'X answered with an error'}", **fields)


def _rate_limited(what: str, headers: Mapping[str, str],
                  fields: dict[str, Any]) -> TransientSendError:
    """A transient error saying when X's rate limit window resets: its
    ``retry_at``, and ``retry_after`` the seconds until then (or the answer's
    Retry-After, when that is longer or there is no reset time)."""
    reset = _reset_time(headers)
    if reset is None:
        error = TransientSendError(f"{what} failed: X's rate limit is used up; try again later "
                                   f"(X sent no x-rate-limit-reset).", **fields)
    else:
        until_reset = max(0.0, (reset - datetime.now(timezone.utc)).total_seconds())
        fields = {**fields, "retry_after": max(until_reset, fields["retry_after"] or 0.0)}
        error = TransientSendError(
            f"{what} failed: X's rate limit is used up until "
            f"{reset:%Y-%m-%d %H:%M:%S} UTC (x-rate-limit-reset); try again after that.",
            **fields)
    error.retry_at = reset  # type: ignore[attr-defined]  # documented, on X's errors only
    return error


def _reset_time(headers: Mapping[str, str]) -> datetime | None:
    """When the exhausted limit resets: ``x-rate-limit-reset`` (the endpoint's
    15-minute window), or a 24-hour limit's reset if that one is used up."""
    resets: list[datetime] = []
    for prefix in ("x-rate-limit", "x-user-limit-24hour", "x-app-limit-24hour"):
        reset = headers.get(f"{prefix}-reset")
        remaining = headers.get(f"{prefix}-remaining")
        if reset and (prefix == "x-rate-limit" or remaining == "0"):
            try:
                resets.append(datetime.fromtimestamp(int(reset), tz=timezone.utc))
            except (ValueError, OverflowError, OSError):
                continue
    return max(resets) if resets else None
