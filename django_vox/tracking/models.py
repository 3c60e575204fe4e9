"""What providers said about deliveries, and the addresses not written to any more.

Imports nothing of django-vox's: :mod:`django_vox.models` imports it, so the
models belong to the ``django_vox`` app.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

__all__ = ["EventKind", "DeliveryEvent", "Suppression"]


class EventKind(models.TextChoices):
    """What a provider reported.  The names follow django-anymail's event types,
    with ``soft_bounced`` apart from (hard) ``bounced``."""

    QUEUED = "queued", _("queued")
    SENT = "sent", _("sent")
    DELIVERED = "delivered", _("delivered")
    DEFERRED = "deferred", _("deferred")
    BOUNCED = "bounced", _("bounced")
    SOFT_BOUNCED = "soft_bounced", _("soft-bounced")
    COMPLAINED = "complained", _("complained")
    OPENED = "opened", _("opened")
    CLICKED = "clicked", _("clicked")
    UNSUBSCRIBED = "unsubscribed", _("unsubscribed")
    SUBSCRIBED = "subscribed", _("subscribed")
    AUTORESPONDED = "autoresponded", _("autoresponded")
    FAILED = "failed", _("failed")
    REJECTED = "rejected", _("rejected")
    UNKNOWN = "unknown", _("unknown")


class DeliveryEvent(models.Model):
    """One thing a provider said about one sent message.

    ``delivery`` is null for an event whose message id matches no delivery
    (kept, not an error: a message sent by something else, or a log row
    deleted).  ``(provider, event_key)`` is unique, so the same event
    processed twice is recorded once.
    """

    delivery = models.ForeignKey("django_vox.Delivery", models.CASCADE, null=True, blank=True,
                                 related_name="events", verbose_name=_("delivery"))
    kind = models.CharField(_("kind"), max_length=20, choices=EventKind.choices, db_index=True)
    occurred_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    provider = models.CharField(_("provider"), max_length=50,
                                help_text=_('Where the event came from, e.g. "postmark", '
                                            '"twilio" or "anymail:mailgun".'))
    provider_message_id = models.CharField(_("provider message id"), max_length=255,
                                           blank=True, db_index=True)
    event_key = models.CharField(_("event key"), max_length=255, editable=False,
                                 help_text=_("The provider's id of the event (or a digest of "
                                             "it): the same event is recorded once."))
    address = models.CharField(_("address"), max_length=500, blank=True,
                               help_text=_("The recipient the event is about, normalised."))
    description = models.TextField(_("description"), blank=True)
    payload = models.JSONField(_("payload"), default=dict, blank=True,
                               help_text=_("What the provider sent (cut to "
                                           "DJANGO_VOX_TRACKING_PAYLOAD_LIMIT characters)."))

    class Meta:
        verbose_name = _("delivery event")
        verbose_name_plural = _("delivery events")
        ordering = ["-occurred_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["provider", "event_key"],
                                               name="django_vox_event_once")]
        indexes = [models.Index(fields=["address", "kind", "occurred_at"],
                                name="django_vox_event_address")]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.provider}, {self.occurred_at:%Y-%m-%d %H:%M})"


class Suppression(models.Model):
    """An address nothing is sent to any more, and why.

    A lifted suppression stays as history (``lifted_at`` set); at most one
    active suppression exists per protocol and address.
    """

    BOUNCED = "bounced"
    COMPLAINED = "complained"
    UNSUBSCRIBED = "unsubscribed"
    STOPPED = "stopped"
    SOFT_BOUNCES = "soft_bounces"
    MANUAL = "manual"
    REASON_CHOICES = [
        (BOUNCED, _("hard bounce")),
        (COMPLAINED, _("spam complaint")),
        (UNSUBSCRIBED, _("unsubscribed at the provider")),
        (STOPPED, _("replied STOP")),
        (SOFT_BOUNCES, _("repeated soft bounces")),
        (MANUAL, _("added by hand")),
    ]

    protocol = models.CharField(_("protocol"), max_length=100)
    address = models.CharField(_("address"), max_length=500,
                               help_text=_("Normalised: a bare, lower-case email address; a "
                                           "phone number without spaces."))
    reason = models.CharField(_("reason"), max_length=20, choices=REASON_CHOICES)
    description = models.TextField(_("description"), blank=True)
    event = models.ForeignKey(DeliveryEvent, models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("caused by"))
    created_at = models.DateTimeField(_("since"), default=timezone.now, db_index=True)
    lifted_at = models.DateTimeField(_("lifted"), null=True, blank=True)
    lifted_by = models.CharField(_("lifted by"), max_length=150, blank=True)
    lift_note = models.TextField(_("note on lifting"), blank=True)

    class Meta:
        verbose_name = _("suppression")
        verbose_name_plural = _("suppressions")
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(
            fields=["protocol", "address"], condition=models.Q(lifted_at__isnull=True),
            name="django_vox_suppressed_once")]
        indexes = [models.Index(fields=["protocol", "address"], name="django_vox_suppressed")]

    def __str__(self):
        return f"{self.protocol}:{self.address} ({self.get_reason_display()})"

    @property
    def active(self) -> bool:
        return self.lifted_at is None
