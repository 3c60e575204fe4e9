"""In-memory backends for tests: sent messages land in :data:`outbox`.

Name them in ``DJANGO_VOX_BACKENDS`` in your test settings, issue
notifications, and assert on ``django_vox.backends.locmem.outbox`` the way you
would on ``django.core.mail.outbox``.  There is one class per protocol so that
the protocol's contact methods are used; clear the outbox between tests with
``outbox.clear()``.
"""

import copy
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django_vox.backends.base import Backend as BaseBackend
from django_vox.messages import Message, MessageAttachment

__all__ = ["outbox", "SentMessage", "Backend", "SmsBackend", "TwitterBackend",
           "SlackBackend", "JsonWebhookBackend", "XmppBackend", "ActivityBackend"]

#: Every message sent through a locmem backend, oldest first.
outbox: list["SentMessage"] = []
_lock = threading.Lock()


@dataclass
class SentMessage:
    backend: str
    protocol: str
    to: list[str]
    message: Message = field(repr=False)

    @property
    def subject(self) -> str:
        return self.message.subject

    @property
    def body(self) -> str:
        return self.message.text

    @property
    def html(self) -> str | None:
        return self.message.html

    @property
    def from_address(self) -> str:
        return self.message.from_address

    @property
    def attachments(self) -> list[MessageAttachment]:
        return self.message.attachments


class Backend(BaseBackend):
    """Keeps messages for the ``email`` protocol in :data:`outbox`."""

    ID = "locmem"
    PROTOCOL = "email"
    VERBOSE_NAME = "In-memory (tests)"
    USE_SUBJECT = True
    USE_ATTACHMENTS = True
    USE_FROM_ADDRESS = True

    #: Number of times open() was called, for asserting connection reuse.
    opened = 0

    def open(self) -> bool:
        opened = super().open()
        if opened:
            type(self).opened += 1
        return opened

    def get_default_from_address(self) -> str:
        return "webmaster@localhost" if self.PROTOCOL == "email" else ""

    def _record(self, to: Sequence[str], message: Message) -> None:
        with _lock:
            outbox.append(SentMessage(self.ID, self.PROTOCOL, list(to), copy.deepcopy(message)))

    def deliver(self, address: str, message: Message) -> None:
        self._record([address], message)

    def send_message(self, from_address: str, to_addresses: Sequence[str],
                     message: Message) -> None:
        self._require_message("send_message", message)
        if from_address:
            message.from_address = from_address
        for address in to_addresses:
            self.validate_address(address)
        with self.delivering(", ".join(to_addresses)):
            if self.PROTOCOL == "email":
                self._record(to_addresses, message)
            else:
                for address in to_addresses:
                    self._record([address], message)


def _for_protocol(protocol: str, name: str) -> type[Backend]:
    attributes: dict[str, Any] = {
        "ID": f"locmem-{protocol}",
        "PROTOCOL": protocol,
        "VERBOSE_NAME": f"In-memory {protocol} (tests)",
        "USE_SUBJECT": False,
        "USE_ATTACHMENTS": False,
        "USE_FROM_ADDRESS": protocol == "sms",
        "__module__": __name__,
        "__qualname__": name,
    }
    return type(name, (Backend,), attributes)


SmsBackend = _for_protocol("sms", "SmsBackend")
TwitterBackend = _for_protocol("twitter", "TwitterBackend")
SlackBackend = _for_protocol("slack-webhook", "SlackBackend")
JsonWebhookBackend = _for_protocol("json-webhook", "JsonWebhookBackend")
XmppBackend = _for_protocol("xmpp", "XmppBackend")
ActivityBackend = _for_protocol("activity", "ActivityBackend")
