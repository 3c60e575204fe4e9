"""Twilio's status callbacks for the Twilio SMS backend.

With ``DJANGO_VOX_WEBHOOK_BASE_URL`` set, the backend asks Twilio to post
each message's status changes to ``tracking/twilio/`` (name
``django_vox:twilio-status``).  A request must carry a valid
``X-Twilio-Signature`` made with ``DJANGO_VOX_TWILIO_AUTH_TOKEN`` over the
public URL (the base URL setting and the request's path, not the Host header
the request came with); anything else is refused.

``undelivered`` and ``failed`` are recorded with Twilio's error code; error
21610 (the recipient replied STOP) suppresses the number.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, QueryDict

from django_vox import conf
from django_vox.models import Suppression
from django_vox.tracking.models import EventKind
from django_vox.tracking.recorder import TrackedEvent, record_event
from django_vox.tracking.webhooks import accepted, refuse, webhook

__all__ = ["twilio_status", "read_twilio_status", "STATUS_KINDS", "STOPPED_CODE"]

logger = logging.getLogger("django_vox")

#: Twilio's MessageStatus → the kind recorded.
STATUS_KINDS = {
    "accepted": EventKind.QUEUED, "scheduled": EventKind.QUEUED, "queued": EventKind.QUEUED,
    "sending": EventKind.SENT, "sent": EventKind.SENT, "delivered": EventKind.DELIVERED,
    "read": EventKind.OPENED, "undelivered": EventKind.FAILED, "failed": EventKind.FAILED,
    "canceled": EventKind.FAILED,
}
#: "Attempt to send to unsubscribed recipient": the number replied STOP.
STOPPED_CODE = "21610"


def read_twilio_status(params: dict) -> TrackedEvent:
    """The event of one status callback's form fields."""
    status = str(params.get("MessageStatus") or params.get("SmsStatus") or "")
    code = str(params.get("ErrorCode") or "")
    sid = str(params.get("MessageSid") or params.get("SmsSid") or "")
    description = f"Twilio status {status}" + (f", error {code}" if code else "")
    if code == STOPPED_CODE:
        description += " (the recipient replied STOP)"
    return TrackedEvent(
        provider="twilio", kind=STATUS_KINDS.get(status, EventKind.UNKNOWN), message_id=sid,
        # Twilio posts each status of a message once: a replay has the same key.
        event_key=f"{sid}:{status}:{code}", address=str(params.get("To") or ""),
        protocol="sms", description=description, payload=params,
        suppress_reason=Suppression.STOPPED if code == STOPPED_CODE else "")


def _signature_valid(request: HttpRequest, params: dict) -> bool:
    from twilio.request_validator import RequestValidator

    token = conf.get("DJANGO_VOX_TWILIO_AUTH_TOKEN")
    base = conf.get("DJANGO_VOX_WEBHOOK_BASE_URL")
    signature = request.META.get("HTTP_X_TWILIO_SIGNATURE", "")
    if not token or not base or not signature:
        return False
    url = str(base).rstrip("/") + request.get_full_path()
    return bool(RequestValidator(token).validate(url, params, signature))


@webhook
def twilio_status(request: HttpRequest, body: bytes) -> HttpResponse:
    if not conf.get("DJANGO_VOX_TWILIO_AUTH_TOKEN") or not conf.get("DJANGO_VOX_WEBHOOK_BASE_URL"):
        return refuse(403, "Twilio status callbacks are not set up on this site.")
    try:
        form = QueryDict(body.decode("utf-8"))
    except UnicodeDecodeError:
        return refuse(400, "The body is not a form.")
    params = {key: form[key] for key in form}  # Twilio sends each field once
    if not _signature_valid(request, params):
        logger.warning("Twilio status callback refused: missing or wrong signature.")
        return refuse(403, "The request is not signed by Twilio.")
    if not params.get("MessageSid") and not params.get("SmsSid"):
        return refuse(400, "The request names no message.")
    record_event(read_twilio_status(params))
    return accepted()
