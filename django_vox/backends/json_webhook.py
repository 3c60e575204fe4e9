"""Generic JSON webhooks: the template's ``key: value`` lines become a JSON
object POSTed to the address (a URL).

Each value is rendered as a template on its own, so a rendered value may hold
any text, colons and newlines included, without changing the object's keys.
"""

import html
import json
from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext_lazy as _

from django_vox.backends.base import Backend as BaseBackend
from django_vox.http import HttpSessionMixin, validate_url
from django_vox.messages import Message
from django_vox.templating import rendering

__all__ = ["Backend", "parse_fields"]


def parse_fields(body: str) -> dict[str, str]:
    """Split a template into ``{key: value template}`` (see rendering.parse_key_value_lines)."""
    lines: list[tuple[str, str]] = rendering.parse_key_value_lines(body, "webhook template")
    return dict(lines)


class Backend(HttpSessionMixin, BaseBackend):
    ID = "json-webhook"
    PROTOCOL = "json-webhook"
    ADDRESS_IS_ENDPOINT = True  # the recipient's own URL
    KEY_VALUE_CONTENT = True
    VERBOSE_NAME = _("JSON webhook")
    EDITOR_TYPE = "basic"

    def build_message(self, subject: str, body: str, parameters: dict[str, Any],
                      attachments: Iterable[Any] = ()) -> Message:
        data = {key: self.render(value, parameters, autoescape=False)
                for key, value in parse_fields(body).items()}
        return Message(text=json.dumps(data, ensure_ascii=False), data=data)

    def format_preview(self, message: Message) -> str:
        pretty = json.dumps(message.data or {}, indent=2, ensure_ascii=False)
        return f'<pre class="vox-json">{html.escape(pretty)}</pre>'

    def validate_address(self, address: str) -> None:
        validate_url(address, protocol=self.PROTOCOL)

    def deliver(self, address: str, message: Message) -> None:
        data = message.data if message.data is not None else {}
        self.http.post_json(address, data, what="JSON webhook")
