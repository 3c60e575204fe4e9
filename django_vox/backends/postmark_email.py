"""Email through a Postmark template (``POST /email/withTemplate``).

Individual messages of an issue go out up to 500 per request through the
batch endpoint (``POST /email/batchWithTemplates``, :meth:`Backend.send_many`),
each result mapped back to its delivery.

The template's subject field is Postmark's template alias; its body is one
``key: value`` line per template-model field, each value a Django template.
"""

import html
import json
import logging
from collections.abc import Iterable, Sequence
from typing import Any

import requests
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from django_vox import conf
from django_vox.backends._email import validate_email_address
from django_vox.backends.base import Backend as BaseBackend
from django_vox.exceptions import InvalidAddress, PermanentSendError, SendError
from django_vox.http import HttpSessionMixin, clean_body
from django_vox.messages import Message
from django_vox.templating import rendering

__all__ = ["Backend", "SEND_MANY_LIMIT", "parse_model_lines"]

logger = logging.getLogger("django_vox")

#: The most messages Postmark's batch endpoint takes in one request.
SEND_MANY_LIMIT = 500


def parse_model_lines(body: str) -> list[tuple[str, str]]:
    """``[(key, value template), ...]`` from the template's ``key: value`` lines."""
    lines: list[tuple[str, str]] = rendering.parse_key_value_lines(body,
                                                                    "Postmark template model")
    return lines


class Backend(HttpSessionMixin, BaseBackend):
    """Sends with a Postmark template; the body lines make its TemplateModel."""

    ID = "postmark-template"
    PROTOCOL = "email"
    VERBOSE_NAME = _("Postmark template")
    USE_SUBJECT = True
    USE_FROM_ADDRESS = True
    EDITOR_TYPE = "basic"
    KEY_VALUE_CONTENT = True
    REQUIRED_SETTINGS = ("DJANGO_VOX_POSTMARK_TOKEN",)
    HTTP_ENDPOINT_SETTINGS = ("DJANGO_VOX_POSTMARK_ENDPOINT",)
    #: Individual messages go to Postmark's batch endpoint this many at a time.
    SEND_MANY_LIMIT = SEND_MANY_LIMIT

    def get_default_from_address(self) -> str:
        address: str = settings.DEFAULT_FROM_EMAIL
        return address

    def build_message(self, subject: str, body: str, parameters: dict[str, Any],
                      attachments: Iterable[Any] = ()) -> Message:
        model = {key: self.render(value, parameters, autoescape=False)
                 for key, value in parse_model_lines(body)}
        return Message(
            subject=self.render_subject(subject, parameters),
            text="\n".join(f"{key}: {value}" for key, value in model.items()),
            data=model,
        )

    def format_preview(self, message: Message) -> str:
        rows = "".join(f"<tr><th>{html.escape(key)}</th><td>{html.escape(str(value))}</td></tr>"
                       for key, value in (message.data or {}).items())
        return (f'<p class="vox-subject">Postmark template '
                f'<strong>{html.escape(message.subject)}</strong></p>\n'
                f'<table class="vox-data">{rows}</table>')

    def validate_address(self, address: str) -> None:
        validate_email_address(address, self.PROTOCOL)

    def deliver(self, address: str, message: Message) -> str | None:
        return self._post(message.from_address, [address], message)

    def send_message(self, from_address: str, to_addresses: Sequence[str],
                     message: Message) -> str | None:
        """One request for all addresses (Postmark takes a comma-separated To)."""
        self._require_message("send_message", message)
        for address in to_addresses:
            self.validate_address(address)
        with self.delivering(", ".join(to_addresses)):
            return self._post(from_address or message.from_address, to_addresses, message)

    def send_many(self, items: Sequence[tuple[str, Message]]) -> list[SendError | str | None]:
        """Individual messages, up to ``SEND_MANY_LIMIT`` (500) per request to
        Postmark's batch endpoint (``POST /email/batchWithTemplates``).

        Returns one entry per ``(address, message)``: Postmark's MessageID
        when it accepted it, else the send error (an invalid address, Postmark's
        ErrorCode and Message, or the failure of the whole request).
        """
        results: list[SendError | str | None] = [None] * len(items)
        valid: list[int] = []
        for index, (address, _message) in enumerate(items):
            try:
                self.validate_address(address)
            except InvalidAddress as err:
                results[index] = err
            else:
                valid.append(index)
        size = self.SEND_MANY_LIMIT
        for start in range(0, len(valid), size):
            chunk = valid[start:start + size]
            for index, error in zip(chunk, self._send_batch([items[i] for i in chunk])):
                results[index] = error
        return results

    def _send_batch(self, items: Sequence[tuple[str, Message]]
                    ) -> list[SendError | str | None]:
        """Send validated ``(address, message)`` items in one request: their ids or errors."""
        if len(items) == 1:  # one message: the single endpoint, same request count
            address, message = items[0]
            try:
                with self.delivering(address):
                    return [self._post(message.from_address, [address], message)]
            except SendError as err:
                return [err]
        payload = {"Messages": [self._payload(message.from_address, [address], message)
                                for address, message in items]}
        try:
            with self.delivering(f"{len(items)} addresses"):
                response = self._request("/email/batchWithTemplates", payload)
        except SendError as err:
            return [err] * len(items)
        answers = _json(response.text, list)
        if len(answers) != len(items):
            failure: SendError | str | None = PermanentSendError(
                f"Postmark answered the batch of {len(items)} messages with "
                f"{len(answers)} results; which were sent is unknown",
                status=response.status_code, body=response.text)
            return [failure] * len(items)
        return [_answer_error(answer, response.status_code) for answer in answers]

    def _payload(self, from_address: str, to_addresses: Sequence[str],
                 message: Message) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "From": rendering.fold_header(from_address) or self.get_default_from_address(),
            "To": ", ".join(to_addresses),
            "TemplateAlias": message.subject,
            "TemplateModel": message.data or {},
        }
        if message.headers:  # e.g. List-Unsubscribe, folded against header injection
            payload["Headers"] = [{"Name": rendering.fold_header(name),
                                   "Value": rendering.fold_header(value)}
                                  for name, value in message.headers.items()]
        return payload

    def _request(self, path: str, payload: dict[str, Any]) -> requests.Response:
        """POST ``payload`` to Postmark; the response, or a send error with
        Postmark's ErrorCode, Message and Retry-After."""
        token = conf.require("DJANGO_VOX_POSTMARK_TOKEN")
        url = conf.get("DJANGO_VOX_POSTMARK_ENDPOINT").rstrip("/") + path
        headers = {"Accept": "application/json", "X-Postmark-Server-Token": token}
        try:
            response = self.http.post_json(url, payload, headers=headers,
                                           what="Postmark request")
        except SendError as err:
            if err.status is None:
                raise
            raise _postmark_error(type(err), err.status, err.body,
                                  retry_after=err.retry_after) from err
        if not 200 <= response.status_code < 300:
            raise _postmark_error(PermanentSendError, response.status_code, response.text)
        return response

    def _post(self, from_address: str, to_addresses: Sequence[str],
              message: Message) -> str | None:
        payload = self._payload(from_address, to_addresses, message)
        response = self._request("/email/withTemplate", payload)
        answer = _json(response.text)
        if answer.get("ErrorCode"):
            raise _postmark_error(PermanentSendError, response.status_code, response.text)
        logger.debug("Postmark accepted the email to %s: %s", payload["To"], answer.get("MessageID"))
        return str(answer.get("MessageID") or "") or None


def _json(text: str | None, kind: type[Any] = dict) -> Any:
    try:
        answer = json.loads(text or "null")
    except ValueError:
        return kind()
    return answer if isinstance(answer, kind) else kind()


def _answer_error(answer: object, status: int) -> SendError | str | None:
    """The MessageID of a batch result Postmark accepted, else its send error."""
    if isinstance(answer, dict) and answer.get("ErrorCode") == 0:
        return str(answer.get("MessageID") or "") or None
    return _postmark_error(PermanentSendError, status, json.dumps(answer))


def _postmark_error(error_class: type[SendError], status: int, body: Any,
                    retry_after: float | None = None) -> SendError:
    """A send error with Postmark's ErrorCode and Message."""
    answer = _json(body)
    detail = clean_body(str(answer.get("Message") or body or ""))
    return error_class(f"Postmark refused the email: {detail}", status=status,
                       code=answer.get("ErrorCode"), body=clean_body(body),
                       retry_after=retry_after)
