"""Signals about what providers reported, sent with ``send_robust`` by
:mod:`django_vox.tracking.recorder` once the event is recorded.

Every receiver gets ``event`` (the :class:`~django_vox.tracking.models.DeliveryEvent`)
and ``delivery`` (its Delivery, or None for an unknown message).
"""

from django.dispatch import Signal

__all__ = ["delivery_event", "message_queued", "message_delivered", "message_deferred",
           "message_bounced", "message_soft_bounced", "message_complained", "message_opened",
           "message_clicked", "message_unsubscribed", "message_failed_later",
           "message_rejected", "SIGNALS", "address_suppressed", "suppression_lifted"]

#: Every event, whatever its kind.
delivery_event = Signal()
message_queued = Signal()
message_delivered = Signal()
message_deferred = Signal()
#: A hard bounce: the address does not exist (it is suppressed too).
message_bounced = Signal()
message_soft_bounced = Signal()
#: The recipient marked the message as spam (the address is suppressed too).
message_complained = Signal()
message_opened = Signal()
message_clicked = Signal()
message_unsubscribed = Signal()
#: The provider accepted the message but could not deliver it (Twilio
#: ``failed``/``undelivered``, anymail ``failed``).
message_failed_later = Signal()
message_rejected = Signal()

#: kind → its signal (kinds without one only send ``delivery_event``).
SIGNALS = {
    "queued": message_queued, "delivered": message_delivered,
    "deferred": message_deferred, "bounced": message_bounced,
    "soft_bounced": message_soft_bounced, "complained": message_complained,
    "opened": message_opened, "clicked": message_clicked,
    "unsubscribed": message_unsubscribed, "failed": message_failed_later,
    "rejected": message_rejected,
}

#: An address was put on the suppression list: ``suppression``, ``event`` (or None).
address_suppressed = Signal()
#: A suppression was lifted: ``suppression``, ``user`` (who lifted it, or None).
suppression_lifted = Signal()
