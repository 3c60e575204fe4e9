"""Generic JSON webhooks: the template's ``key: value`` lines become a JSON
object POSTed to the address (a URL).

Each value is rendered as a template on its own, so a rendered value may hold
any text, colons and newlines included, without changing the object's keys.
"""

import html
import json

from django.utils.translation import gettext_lazy as _

from django_vox.backends.base import Backend as BaseBackend
from django_vox.exceptions import TemplateRenderError
from django_vox.http import HttpSession, validate_url
from django_vox.messages import Message

__all__ = ["Backend", "parse_fields"]


def parse_fields(body):
    """Split a template into ``{key: value template}``.

    The first colon of each line splits key from value; blank lines are
    ignored; a non-blank line without a colon, or with an empty key, is an error
    naming the line.
    """
    fields = {}
    for number, line in enumerate((body or "").splitlines(), start=1):
        if not line.strip():
            continue
        key, colon, value = line.partition(":")
        key = key.strip()
        if not colon or not key:
            raise TemplateRenderError(
                f'Line {number} of the webhook template must read "key: value", not {line!r}.')
        fields[key] = value.strip()
    return fields


class Backend(BaseBackend):
    ID = "json-webhook"
    PROTOCOL = "json-webhook"
    VERBOSE_NAME = _("JSON webhook")
    EDITOR_TYPE = "basic"

    def __init__(self):
        super().__init__()
        self.http = HttpSession()

    def open(self):
        opened = super().open()
        self.http.open()
        return opened

    def close(self):
        self.http.close()
        super().close()

    def build_message(self, subject, body, parameters, attachments=()):
        data = {key: self.render(value, parameters, autoescape=False)
                for key, value in parse_fields(body).items()}
        return Message(text=json.dumps(data, ensure_ascii=False), data=data)

    def format_preview(self, message):
        pretty = json.dumps(message.data or {}, indent=2, ensure_ascii=False)
        return f'<pre class="vox-json">{html.escape(pretty)}</pre>'

    def validate_address(self, address):
        validate_url(address, protocol=self.PROTOCOL)

    def send(self, address, message):
        self.validate_address(address)
        data = message.data if message.data is not None else {}
        self.http.post_json(address, data, what="JSON webhook")
