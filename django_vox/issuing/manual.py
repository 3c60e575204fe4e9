"""One-time messages: write a message in the admin and send it to the contacts
of the selected objects.

It goes through the same delivery log as issued notifications (rows written
before sending, failures recorded and resendable), so the only difference is
that no Notification or Template is involved.
"""

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType

from django_vox import deliverylog
from django_vox.backends import Backend
from django_vox.backends import backends as backend_registry
from django_vox.issuing import BackendSession, build_context, policy, rendering_without_writes
from django_vox.issuing.context import stored_message
from django_vox.issuing.recipients import unique_contacts
from django_vox.messages import Message
from django_vox.models import Delivery, OneTimeNotification
from django_vox.registry import Contact
from django_vox.registry import objects as registry
from django_vox.templating.sandbox import collecting_secrets

__all__ = ["ManualResult", "manual_backends", "send_one_time"]

logger = logging.getLogger("django_vox")


@dataclass
class ManualResult:
    """What a one-time message did: counts for the admin's report."""

    sent: int = 0
    failed: int = 0
    #: Selected objects that had no contact for the backend's protocol.
    unreachable: int = 0
    #: Contacts not written to: their address is on the suppression list.
    suppressed: int = 0
    issue_id: uuid.UUID | None = None


def manual_backends() -> list[type[Backend]]:
    """The enabled backend classes that allow one-time messages."""
    return [cls for cls in backend_registry.all() if cls.ALLOW_MANUAL_SENDING]


def _build(backend: Backend, instances: Iterable[Any], subject: str, body: str,
           from_address: str) -> tuple[list[tuple[Any, Contact, Any]], list[Message], int]:
    """Render one message per contact.  Returns (contacts, messages, unreachable):
    ``contacts`` are ``(instance, contact, what the log stores of its message)``."""
    contacts, messages, unreachable = [], [], 0
    for instance in instances:
        registration = registry[type(instance)].registration
        found = list(registration.get_contacts(instance, backend.PROTOCOL, OneTimeNotification))
        if not found:
            unreachable += 1
            continue
        for contact in unique_contacts(found):
            params = build_context(instance, contact=contact)
            with collecting_secrets() as secrets:
                message = backend.build_message(subject, body, params)
                message.from_address = backend.get_from_address(from_address, params)
            contacts.append((instance, contact, stored_message(message, secrets)))
            messages.append(message)
    return contacts, messages, unreachable


def send_one_time(instances: Iterable[Any], backend_id: str, subject: str, body: str,
                  from_address: str = "") -> ManualResult:
    """Send ``body`` (an editor template) to the contacts of each of ``instances``.

    Raises KeyError for a backend that is not enabled and TemplateRenderError
    when the message cannot be rendered (nothing is sent then).
    """
    backend_class = backend_registry.by_id(backend_id)
    if not backend_class.ALLOW_MANUAL_SENDING:
        raise KeyError(f"Backend {backend_id!r} does not allow one-time messages")
    result = ManualResult(issue_id=uuid.uuid4())
    session = BackendSession(backend_class)
    backend = session.backend
    # Render in a transaction that is rolled back: an editor's template
    # must never change the database, even through a method that writes.
    with rendering_without_writes():
        contacts, messages, result.unreachable = _build(
            backend, list(instances), subject, body, from_address)
    if not messages:
        return result
    # The contact policy of a required notification: only the suppression list refuses.
    _allowed, refused = policy.contact_filter(OneTimeNotification, backend.PROTOCOL).split(
        [contact for _instance, contact, _stored in contacts])
    refused = {id(contact): reason for contact, reason in refused}
    rows, outgoing, sending = [], [], []
    for (instance, contact, stored), message in zip(contacts, messages, strict=True):
        ct = ContentType.objects.get_for_model(type(instance))
        reason = refused.get(id(contact))
        row = Delivery(
            issue_id=result.issue_id, object_type=ct, object_id=str(instance.pk),
            backend=backend.ID, protocol=backend.PROTOCOL, from_address=message.from_address,
            to_addresses=[contact.address], message=stored,
            **({"status": Delivery.SUPPRESSED, "error": reason} if reason else {}))
        rows.append(row)
        if reason is None:
            outgoing.append(row)
            sending.append(message)
    deliverylog.insert(rows)
    result.suppressed = len(rows) - len(outgoing)
    if outgoing:  # no connection opened when every address is suppressed
        with session:
            sent, failed = session.send(outgoing, sending)
        result.sent, result.failed = sent, len(failed)
    logger.info("One-time message via %s: %d sent, %d failed, %d suppressed, %d without "
                "contact.", backend.ID, result.sent, result.failed, result.suppressed,
                result.unreachable)
    return result

