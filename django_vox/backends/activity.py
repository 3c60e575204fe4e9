"""The activity backend: notifications as Activity Streams 2.0 activities in
the recipients' inboxes.

Unlike every other backend, this one writes to the database: it has no
remote service to talk to, so storing the :class:`~django_vox.models.Activity`
and one :class:`~django_vox.models.InboxItem` per recipient *is* the delivery.
The issuing pipeline still logs each delivery and records failures as usual.

An address is the recipient's IRI (see :mod:`django_vox.activities`).  One
issue stores one activity: messages built by one backend instance with the
same content share a key, and sending is idempotent per key and recipient, so
individual templates, bulk templates and resends never store an activity or
an inbox item twice.
"""

import hashlib
import json
import re
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, TypeGuard, cast

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from django_vox import activities
from django_vox.backends.base import Backend as BaseBackend
from django_vox.exceptions import InvalidAddress, PermanentSendError
from django_vox.messages import Message
from django_vox.templating.sandbox import live_values

__all__ = ["Backend"]


_CONTROL = re.compile(r"[\x00-\x20\x7f]")


class Backend(BaseBackend):
    ID = "activity"
    PROTOCOL = "activity"
    VERBOSE_NAME = _("Activity Streams inbox")
    # The summary is HTML in AS2: values from objects are escaped.
    ESCAPE_HTML = True
    EDITOR_TYPE = "basic"
    ESCAPED_TEXT = True  # the text is the rendered, escaped content

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._keys: dict[str, tuple[str, str]] = {}  # content digest -> (key, published)

    # -- building (no database writes) -------------------------------------
    def build_message(self, subject: str, body: str, parameters: dict[str, Any],
                      attachments: Iterable[Any] = ()) -> Message:
        """Render the summary and describe the activity; stored only when sent."""
        summary = self.render(body, parameters).strip()
        live: dict[str, Any] = live_values(parameters)  # the real objects, not the template's views
        notification = live.get("notification")
        obj, actor, target = (live.get(k) for k in ("object", "actor", "target"))
        document: dict[str, Any] = {
            "type": getattr(notification, "activity_type", "") or "Create",
            "summary": summary,
            "actor": activities.get_activity_object(actor) if actor is not None
            else activities.site_actor(),
            # Without a notification (a one-time message from the admin) the
            # object is the message itself, not the recipient it was sent to.
            "object": activities.get_activity_object(obj)
            if obj is not None and notification is not None
            else {"type": "Note", "content": summary},
        }
        if target is not None:
            document["target"] = activities.get_activity_object(target)
        digest = hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()
        key, published = self._keys.setdefault(
            digest, (str(uuid.uuid4()), activities.format_datetime(timezone.now())))
        return Message(text=summary, data={"key": key, "published": published,
                                           "activity": document})

    def format_preview(self, message: Message) -> str:
        from django.utils.html import escape

        data = cast("dict[str, Any]", message.data)  # built by build_message()
        document = dict(data["activity"], published=data["published"])
        text = json.dumps({"@context": activities.AS_CONTEXT, **document}, indent=2)
        return f'<pre class="vox-text">{escape(text)}</pre>'

    # -- sending (stores rows) ----------------------------------------------
    def validate_address(self, address: str) -> None:
        if not self._is_iri(address):
            raise InvalidAddress(address, "not the IRI of a registered object on this site "
                                 "(an activity address is an http(s) IRI)",
                                 protocol=self.PROTOCOL)

    @staticmethod
    def _is_iri(address: object) -> TypeGuard[str]:
        return (isinstance(address, str) and address.startswith(("http://", "https://"))
                and not _CONTROL.search(address))

    def deliver(self, address: str, message: Message) -> str | None:
        return self.send_message("", [address], message)

    def send_message(self, from_address: str, to_addresses: Sequence[str],
                     message: Message) -> str | None:
        """Store the activity once and put it in each recipient's inbox; the
        activity's key, which the delivery log records as the provider's
        message id (the admin finds an activity's log rows by it, an indexed
        column, for masking: :mod:`django_vox.admin.activity`).

        Recipients found are delivered even when others are not; the unknown
        IRIs are then reported in one InvalidAddress (resending is safe).
        """
        self._require_message("send_message", message)
        data = self._activity_data(message)
        addresses = list(dict.fromkeys(to_addresses))
        found: dict[str, Any] = activities.resolve_owners(a for a in addresses if self._is_iri(a))
        owners = [(address, found[address]) for address in addresses if address in found]
        unknown = [address for address in addresses if address not in found]
        if owners:
            self._store(data, owners)
        if unknown:
            raise InvalidAddress(", ".join(map(str, unknown)),
                                 "not the IRI of a registered object on this site",
                                 protocol=self.PROTOCOL)
        return str(data[0]) if owners else None

    def _activity_data(self, message: Message) -> tuple[uuid.UUID, dict[str, Any], datetime]:
        data = message.data or {}
        document = data.get("activity")
        key: uuid.UUID | None
        try:
            key = uuid.UUID(str(data.get("key")))
        except ValueError:
            key = None
        if not isinstance(document, dict) or key is None:
            raise PermanentSendError("The message holds no activity (was it built by the "
                                     "activity backend?)")
        activity_type = document.get("type")
        if not (activity_type in activities.ACTIVITY_TYPES
                or isinstance(activity_type, str) and ":" in activity_type):
            raise PermanentSendError(
                f"{activity_type!r} is not an Activity Streams activity type; set the "
                f"notification's activity_type to one such as Create, Update or Announce.")
        published = parse_datetime(data.get("published") or "") or timezone.now()
        if not settings.USE_TZ and timezone.is_aware(published):
            published = timezone.make_naive(published)  # what a naive DateTimeField holds
        return key, document, published

    def _store(self, data: tuple[uuid.UUID, dict[str, Any], datetime],
               owners: list[tuple[str, Any]]) -> None:
        key, document, published = data
        activities.store_activity(key, document, published, owners)
