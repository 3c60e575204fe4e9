"""Postmark's webhooks for the Postmark template backend: Delivery, Bounce,
SpamComplaint, Open, Click and SubscriptionChange, posted as JSON to
``tracking/postmark/`` (name ``django_vox:postmark-webhook``) with the HTTP
Basic credentials of ``DJANGO_VOX_POSTMARK_WEBHOOK_CREDENTIALS`` (set the
same "user:password" in the webhook's URL at Postmark).  Without that
setting, or without the right credentials, every request is refused.
"""

from __future__ import annotations

import json
import logging

from django.http import HttpRequest, HttpResponse
from django.utils.dateparse import parse_datetime

from django_vox import conf
from django_vox.tracking.models import EventKind
from django_vox.tracking.recorder import TrackedEvent, record_event
from django_vox.tracking.webhooks import accepted, basic_auth_matches, refuse, webhook

__all__ = ["postmark_webhook", "read_postmark_event", "BOUNCE_KINDS"]

logger = logging.getLogger("django_vox")

#: Postmark's bounce ``Type`` → the kind recorded (any other type: failed).
BOUNCE_KINDS = {
    "HardBounce": EventKind.BOUNCED, "BadEmailAddress": EventKind.BOUNCED,
    "SoftBounce": EventKind.SOFT_BOUNCED, "DnsError": EventKind.SOFT_BOUNCED,
    "Transient": EventKind.DEFERRED, "SpamNotification": EventKind.COMPLAINED,
    "SpamComplaint": EventKind.COMPLAINED, "Blocked": EventKind.REJECTED,
    "ManuallyDeactivated": EventKind.REJECTED, "DMARCPolicy": EventKind.REJECTED,
    "Unsubscribe": EventKind.UNSUBSCRIBED, "ManualSuppression": EventKind.UNSUBSCRIBED,
    "AutoResponder": EventKind.AUTORESPONDED, "AddressChange": EventKind.AUTORESPONDED,
    "ChallengeVerification": EventKind.AUTORESPONDED,
}
#: SubscriptionChange's ``SuppressionReason`` when sending is suppressed.
SUPPRESSION_KINDS = {"HardBounce": EventKind.BOUNCED, "SpamComplaint": EventKind.COMPLAINED,
                     "ManualSuppression": EventKind.UNSUBSCRIBED}
_TIME_FIELDS = ("DeliveredAt", "BouncedAt", "ReceivedAt", "ChangedAt")


def _kind(payload: dict) -> str:
    record = payload.get("RecordType")
    if record == "Delivery":
        return EventKind.DELIVERED
    if record == "Bounce":
        return BOUNCE_KINDS.get(payload.get("Type"), EventKind.FAILED)
    if record == "SpamComplaint":
        return EventKind.COMPLAINED
    if record == "Open":
        return EventKind.OPENED
    if record == "Click":
        return EventKind.CLICKED
    if record == "SubscriptionChange":
        if not payload.get("SuppressSending"):
            return EventKind.SUBSCRIBED
        return SUPPRESSION_KINDS.get(payload.get("SuppressionReason"), EventKind.UNSUBSCRIBED)
    return EventKind.UNKNOWN


def read_postmark_event(payload: dict) -> TrackedEvent:
    """The event of one webhook payload."""
    when = next((payload[name] for name in _TIME_FIELDS if payload.get(name)), None)
    occurred = parse_datetime(when) if isinstance(when, str) else None
    # Bounces and complaints have an ID of their own; the others are keyed by
    # what they say (a replayed request has the same key).
    key = f"{payload.get('RecordType')}:{payload['ID']}" if payload.get("ID") else ""
    description = payload.get("Description") or payload.get("Details") or ""
    if payload.get("RecordType") == "Click" and payload.get("OriginalLink"):
        description = f"Clicked {payload['OriginalLink']}"
    return TrackedEvent(
        provider="postmark", kind=_kind(payload), message_id=str(payload.get("MessageID") or ""),
        event_key=key, occurred_at=occurred, protocol="email",
        address=str(payload.get("Email") or payload.get("Recipient") or ""),
        description=str(description), payload=payload)


@webhook
def postmark_webhook(request: HttpRequest, body: bytes) -> HttpResponse:
    credentials = conf.get("DJANGO_VOX_POSTMARK_WEBHOOK_CREDENTIALS")
    if not credentials:
        return refuse(403, "Postmark webhooks are not set up on this site.")
    if not basic_auth_matches(request, credentials):
        logger.warning("Postmark webhook refused: wrong or missing credentials.")
        return refuse(401, "Credentials required.", WWW_Authenticate='Basic realm="django-vox"')
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return refuse(400, "The body is not JSON.")
    if not isinstance(payload, dict) or not isinstance(payload.get("RecordType"), str):
        return refuse(400, "The body is not a Postmark webhook event.")
    record_event(read_postmark_event(payload))
    return accepted()
