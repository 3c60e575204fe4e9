"""Email through a Postmark template (``POST /email/withTemplate``).

The template's subject field is Postmark's template alias; its body is one
``key: value`` line per template-model field, each value a Django template.
"""

import html
import json
import logging

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from django_vox import conf, rendering
from django_vox.backends._email import validate_email_address
from django_vox.backends.base import Backend as BaseBackend
from django_vox.exceptions import PermanentSendError, SendError
from django_vox.http import HttpSessionMixin
from django_vox.messages import Message

__all__ = ["Backend", "parse_model_lines"]

logger = logging.getLogger("django_vox")


def parse_model_lines(body: str) -> list:
    """``[(key, value template), ...]`` from the template's ``key: value`` lines."""
    return rendering.parse_key_value_lines(body, "Postmark template model")


class Backend(HttpSessionMixin, BaseBackend):
    """Sends with a Postmark template; the body lines make its TemplateModel."""

    ID = "postmark-template"
    PROTOCOL = "email"
    VERBOSE_NAME = _("Postmark template")
    USE_SUBJECT = True
    USE_FROM_ADDRESS = True
    EDITOR_TYPE = "basic"
    REQUIRED_SETTINGS = ("DJANGO_VOX_POSTMARK_TOKEN",)

    def get_default_from_address(self):
        return settings.DEFAULT_FROM_EMAIL

    def build_message(self, subject, body, parameters, attachments=()):
        model = {key: self.render(value, parameters, autoescape=False)
                 for key, value in parse_model_lines(body)}
        return Message(
            subject=self.render_subject(subject, parameters),
            text="\n".join(f"{key}: {value}" for key, value in model.items()),
            data=model,
        )

    def format_preview(self, message):
        rows = "".join(f"<tr><th>{html.escape(key)}</th><td>{html.escape(str(value))}</td></tr>"
                       for key, value in (message.data or {}).items())
        return (f'<p class="vox-subject">Postmark template '
                f'<strong>{html.escape(message.subject)}</strong></p>\n'
                f'<table class="vox-data">{rows}</table>')

    def validate_address(self, address):
        validate_email_address(address, self.PROTOCOL)

    def deliver(self, address, message):
        self._post(message.from_address, [address], message)

    def send_message(self, from_address, to_addresses, message):
        """One request for all addresses (Postmark takes a comma-separated To)."""
        for address in to_addresses:
            self.validate_address(address)
        with self.delivering(", ".join(to_addresses)):
            self._post(from_address or message.from_address, to_addresses, message)

    def _post(self, from_address, to_addresses, message):
        token = conf.require("DJANGO_VOX_POSTMARK_TOKEN")
        url = conf.get("DJANGO_VOX_POSTMARK_ENDPOINT").rstrip("/") + "/email/withTemplate"
        payload = {
            "From": rendering.fold_header(from_address) or self.get_default_from_address(),
            "To": ", ".join(to_addresses),
            "TemplateAlias": message.subject,
            "TemplateModel": message.data or {},
        }
        if message.headers:  # e.g. List-Unsubscribe, folded against header injection
            payload["Headers"] = [{"Name": rendering.fold_header(name),
                                   "Value": rendering.fold_header(value)}
                                  for name, value in message.headers.items()]
        headers = {"Accept": "application/json", "X-Postmark-Server-Token": token}
        try:
            response = self.http.post_json(url, payload, headers=headers,
                                              what="Postmark request")
        except SendError as err:
            if err.status is None:
                raise
            raise _postmark_error(type(err), err.status, err.body) from err
        if not 200 <= response.status_code < 300:
            raise _postmark_error(PermanentSendError, response.status_code, response.text)
        answer = _json(response.text)
        if answer.get("ErrorCode"):
            raise _postmark_error(PermanentSendError, response.status_code, response.text)
        logger.debug("Postmark accepted the email to %s: %s", payload["To"], answer.get("MessageID"))


def _json(text):
    try:
        answer = json.loads(text or "{}")
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}


def _postmark_error(error_class, status, body):
    """A send error with Postmark's ErrorCode and Message."""
    answer = _json(body)
    detail = answer.get("Message") or (body or "")[:500]
    return error_class(f"Postmark refused the email: {detail}", status=status,
                       code=answer.get("ErrorCode"), body=body)
