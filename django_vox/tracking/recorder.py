"""Recording what a provider said about a message: the one entry point of
every source (django-anymail's signal, the Postmark and Twilio webhooks).

:func:`record_event` finds the delivery by the provider's message id (one
query on an indexed column), stores the event once (``(provider, event_key)``
is unique: a replayed request changes nothing), moves the delivery's
``provider_status`` forward, applies the suppression rules and sends the
signals of :mod:`django_vox.tracking.signals`.  An event for a message no
delivery knows is stored with no delivery: kept apart, not an error.

Suppression rules: a hard bounce, a spam complaint and an unsubscribe at the
provider suppress the address at once; soft bounces count, and
``DJANGO_VOX_SOFT_BOUNCE_LIMIT`` of them within
``DJANGO_VOX_SOFT_BOUNCE_WINDOW`` seconds suppress it; a source may name a
reason itself (Twilio's error 21610: the recipient replied STOP).  A
``subscribed`` event lifts a suppression that an unsubscribe caused.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from django_vox import conf
from django_vox.models import Delivery, DeliveryEvent, Suppression
from django_vox.tracking import signals
from django_vox.tracking.models import EventKind
from django_vox.tracking.suppression import lift, normalize, suppress

__all__ = ["TrackedEvent", "record_event", "STATUS_RANK", "event_key_of", "cap_payload"]

logger = logging.getLogger("django_vox")

#: How far each kind moves ``Delivery.provider_status``: a kind only
#: replaces one of a lower rank (events arrive out of order).  Kinds not
#: listed (unsubscribed, subscribed, autoresponded, unknown) leave it alone;
#: an open or a click means the message was delivered.
STATUS_RANK = {
    EventKind.QUEUED: 1, EventKind.SENT: 1, EventKind.DEFERRED: 2, EventKind.SOFT_BOUNCED: 2,
    EventKind.DELIVERED: 3, EventKind.OPENED: 3, EventKind.CLICKED: 3, EventKind.FAILED: 4,
    EventKind.REJECTED: 4, EventKind.BOUNCED: 4, EventKind.COMPLAINED: 5,
}
_STATUS_OF = {EventKind.OPENED: EventKind.DELIVERED, EventKind.CLICKED: EventKind.DELIVERED}
#: Kinds that put the address on the suppression list at once, with the reason.
SUPPRESSING = {EventKind.BOUNCED: Suppression.BOUNCED, EventKind.COMPLAINED: Suppression.COMPLAINED,
               EventKind.UNSUBSCRIBED: Suppression.UNSUBSCRIBED}


@dataclass
class TrackedEvent:
    """One event as a source reads it, before it is recorded."""

    provider: str
    kind: str
    message_id: str = ""
    #: The provider's own id of the event; blank: a digest of the payload.
    event_key: str = ""
    occurred_at: datetime | None = None
    address: str = ""
    #: The protocol of ``address`` when no delivery tells it ("email", "sms").
    protocol: str = ""
    description: str = ""
    payload: object = None
    #: A suppression reason the source decided on (e.g. Twilio's STOP).
    suppress_reason: str = ""


def event_key_of(event: TrackedEvent) -> str:
    """The provider's event id, else a digest of what makes the event itself
    (so the same request posted twice has the same key)."""
    if event.event_key:
        return str(event.event_key)[:255]
    body = json.dumps([event.kind, event.message_id, event.address,
                       event.occurred_at.isoformat() if event.occurred_at else "",
                       event.payload], sort_keys=True, default=str)
    return "sha256:" + hashlib.sha256(body.encode()).hexdigest()


def cap_payload(payload) -> object:
    """``payload`` as stored on the event: as it came when short enough, else
    its JSON text cut to ``DJANGO_VOX_TRACKING_PAYLOAD_LIMIT`` characters."""
    limit = conf.positive_int("DJANGO_VOX_TRACKING_PAYLOAD_LIMIT")
    if payload is None:
        return {}
    text = json.dumps(payload, default=str)
    if len(text) <= limit:
        return json.loads(text)
    return {"truncated": True, "length": len(text), "text": text[:limit]}


def _find_delivery(message_id: str):
    if not message_id:
        return None
    return (Delivery.objects.filter(provider_message_id=message_id)
            .only("pk", "protocol", "to_addresses", "provider_status", "status").first())


def _address(event: TrackedEvent, delivery, protocol: str) -> str:
    if event.address:
        return normalize(protocol, event.address)
    if delivery is not None and len(delivery.to_addresses or []) == 1:
        return normalize(protocol, delivery.to_addresses[0])
    return ""


def record_event(event: TrackedEvent) -> tuple[DeliveryEvent, bool]:
    """Record ``event``; ``(DeliveryEvent, created)``.  ``created`` is False
    for an event recorded before (nothing else happens then)."""
    message_id = str(event.message_id or "").strip().strip("<>")[:255]
    event.message_id = message_id
    kind = event.kind if event.kind in EventKind.values else EventKind.UNKNOWN
    delivery = _find_delivery(message_id)
    protocol = (delivery.protocol if delivery is not None and delivery.protocol
                else event.protocol)
    row = DeliveryEvent(
        delivery=delivery, kind=kind, occurred_at=event.occurred_at or timezone.now(),
        provider=event.provider[:50], provider_message_id=message_id,
        event_key=event_key_of(event), address=_address(event, delivery, protocol)[:500],
        description=str(event.description or "")[:2000], payload=cap_payload(event.payload))
    try:
        with transaction.atomic():
            row.save(force_insert=True)
    except IntegrityError:
        existing = DeliveryEvent.objects.filter(provider=row.provider,
                                                event_key=row.event_key).first()
        if existing is not None:
            logger.debug("Event %s of %s recorded before; ignored.", row.event_key, row.provider)
            return existing, False
        raise
    if delivery is None:
        logger.info("%s event %r for unknown message %r kept apart.", row.provider, kind,
                    message_id)
    else:
        _advance_status(delivery, kind)
    _apply_rules(row, protocol, event.suppress_reason)
    _send_signals(row, delivery)
    return row, True


def _advance_status(delivery, kind: str) -> None:
    rank = STATUS_RANK.get(kind)
    if rank is None:
        return
    status = _STATUS_OF.get(kind, kind)
    lower = [name for name, value in STATUS_RANK.items() if value < rank] + [""]
    # One conditional statement: a concurrent event of higher rank is never overwritten.
    Delivery.objects.filter(pk=delivery.pk, provider_status__in=lower).exclude(
        provider_status=status).update(provider_status=status)


def _apply_rules(row: DeliveryEvent, protocol: str, reason: str) -> None:
    if not row.address or not protocol:
        return
    reason = reason or SUPPRESSING.get(row.kind, "")
    if reason:
        suppress(protocol, row.address, reason, event=row, description=row.description)
    elif row.kind == EventKind.SOFT_BOUNCED:
        _count_soft_bounces(row, protocol)
    elif row.kind == EventKind.SUBSCRIBED:
        lift(Suppression.objects.filter(protocol=protocol, address=row.address,
                                        reason=Suppression.UNSUBSCRIBED, lifted_at__isnull=True),
             note=f"Subscribed again at the provider ({row.provider}).")


def _count_soft_bounces(row: DeliveryEvent, protocol: str) -> None:
    limit = conf.positive_int("DJANGO_VOX_SOFT_BOUNCE_LIMIT")
    window = timedelta(seconds=conf.positive_int("DJANGO_VOX_SOFT_BOUNCE_WINDOW"))
    since = max(row.occurred_at, timezone.now()) - window
    count = DeliveryEvent.objects.filter(address=row.address, kind=EventKind.SOFT_BOUNCED,
                                         occurred_at__gte=since).count()
    if count >= limit:
        suppress(protocol, row.address, Suppression.SOFT_BOUNCES, event=row,
                 description=f"{count} soft bounces within {window.days or window} "
                             f"{'days' if window.days else ''}".strip() + f": {row.description}")


def _send_signals(row: DeliveryEvent, delivery) -> None:
    signals.delivery_event.send_robust(DeliveryEvent, event=row, delivery=delivery)
    signal = signals.SIGNALS.get(row.kind)
    if signal is not None:
        signal.send_robust(DeliveryEvent, event=row, delivery=delivery)
