"""django-anymail's ``tracking`` signal as a source of delivery events.

Anymail turns the tracking webhooks of every ESP it supports into one
normalised signal; :func:`connect` (called when Django starts, when
django-anymail is installed: the ``anymail`` extra) records each of its events
through :func:`~django_vox.tracking.recorder.record_event`.  Anymail's event
types are django-vox's kinds; a bounce or deferral the ESP calls temporary
(Postmark's SoftBounce and DnsError, Mailgun's "temporary" severity) is a
``soft_bounced`` event.
"""

from __future__ import annotations

import logging

from django.http import QueryDict

from django_vox.tracking.models import EventKind
from django_vox.tracking.recorder import TrackedEvent, record_event

__all__ = ["connect", "receive", "read_anymail_event"]

logger = logging.getLogger("django_vox")

_SOFT_TYPES = {"SoftBounce", "DnsError"}  # Postmark's Type of a temporary bounce


def _is_soft(esp_event) -> bool:
    if not isinstance(esp_event, dict):
        return False
    if esp_event.get("Type") in _SOFT_TYPES:
        return True
    data = esp_event.get("event-data")
    return isinstance(data, dict) and data.get("severity") == "temporary"


def _payload(esp_event):
    if isinstance(esp_event, QueryDict):
        return esp_event.dict()
    if isinstance(esp_event, (dict, list, str, int, float)) or esp_event is None:
        return esp_event
    return str(esp_event)


def read_anymail_event(event, esp_name: str) -> TrackedEvent:
    """The django-vox event of an anymail ``AnymailTrackingEvent``."""
    kind = str(event.event_type or EventKind.UNKNOWN)
    if kind in (EventKind.BOUNCED, EventKind.DEFERRED) and _is_soft(event.esp_event):
        kind = EventKind.SOFT_BOUNCED
    description = event.description or event.mta_response or ""
    if kind == EventKind.CLICKED and event.click_url:
        description = f"Clicked {event.click_url}"
    return TrackedEvent(
        provider=f"anymail:{str(esp_name).lower()}"[:50], kind=kind,
        message_id=str(event.message_id or ""), event_key=str(event.event_id or ""),
        occurred_at=event.timestamp, address=str(event.recipient or ""), protocol="email",
        description=str(description), payload=_payload(event.esp_event))


def receive(sender, event, esp_name, **kwargs) -> None:
    """The receiver of anymail's ``tracking`` signal."""
    record_event(read_anymail_event(event, esp_name))


def connect() -> bool:
    """Receive anymail's tracking signal; False when django-anymail is not installed."""
    try:
        from anymail.signals import tracking
    except ImportError:
        return False
    tracking.connect(receive, dispatch_uid="django_vox_tracking_anymail")
    return True
