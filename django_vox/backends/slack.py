"""Slack incoming webhooks: the address is the webhook URL."""

import logging

from django.utils.translation import gettext_lazy as _

from django_vox.backends.base import Backend as BaseBackend
from django_vox.http import HttpSessionMixin, validate_url

__all__ = ["Backend"]

logger = logging.getLogger("django_vox")


class Backend(HttpSessionMixin, BaseBackend):
    ID = "slack-webhook"
    PROTOCOL = "slack-webhook"
    VERBOSE_NAME = _("Slack webhook")
    EDITOR_TYPE = "basic"

    def validate_address(self, address):
        validate_url(address, protocol=self.PROTOCOL)

    def deliver(self, address, message):
        """POST ``{"text": ...}``; a non-2xx answer raises with Slack's response body."""
        self.http.post_json(address, {"text": message.text}, what="Slack webhook")
