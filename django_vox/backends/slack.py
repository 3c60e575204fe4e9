"""Slack incoming webhooks: the address is the webhook URL.

Slack reads ``<...>`` as a link, a mention or a command (``<!channel>``,
``<https://evil.example|your invoice>``), so ``&``, ``<`` and ``>`` in values
from data are escaped as Slack's mrkdwn asks (``&amp;``, ``&lt;``, ``&gt;``)
wherever the template prints them.  What the editor writes stays live.
"""

import logging
from typing import Any

from django.utils.translation import gettext_lazy as _

from django_vox.backends.base import Backend as BaseBackend
from django_vox.http import HttpSessionMixin, validate_url
from django_vox.messages import Message
from django_vox.templating import rendering

__all__ = ["Backend", "mrkdwn_escape"]

logger = logging.getLogger("django_vox")


_MRKDWN = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def mrkdwn_escape(text: str) -> str:
    """``text`` with the three characters Slack's mrkdwn gives a meaning escaped."""
    return text.translate(_MRKDWN)


class Backend(HttpSessionMixin, BaseBackend):
    ID = "slack-webhook"
    PROTOCOL = "slack-webhook"
    ADDRESS_IS_ENDPOINT = True  # the recipient's own URL
    VERBOSE_NAME = _("Slack webhook")
    EDITOR_TYPE = "basic"
    ESCAPED_TEXT = True  # the text is the rendered, escaped content

    def render(self, source: str, parameters: dict[str, Any],
               autoescape: bool | None = None) -> str:
        """Values from data escaped for mrkdwn (see the module)."""
        rendered: str = rendering.render(source, parameters, autoescape=True,
                                         escape=mrkdwn_escape)
        return rendered

    def validate_address(self, address: str) -> None:
        validate_url(address, protocol=self.PROTOCOL)

    def deliver(self, address: str, message: Message) -> None:
        """POST ``{"text": ...}``; a non-2xx answer raises with Slack's response body."""
        self.http.post_json(address, {"text": message.text}, what="Slack webhook")
