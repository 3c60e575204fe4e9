"""The delivery log's rows: :class:`Delivery` (one message to one address) and
the :class:`FailedMessage` proxy.  ``resend()`` imports resending when called."""

from __future__ import annotations

import uuid

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from django_vox.digests.options import DigestRowFields
from django_vox.messages import Message
from django_vox.models.notifications import Notification, Template

__all__ = ["Delivery", "FailedMessage"]



class Delivery(DigestRowFields):
    """The delivery log: one row per outgoing message, written before it is sent.

    ``message`` holds the rendered message (``Message.to_dict()``), enough to
    send it again exactly.
    """

    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"
    SUPPRESSED = "suppressed"
    HELD = "held"
    DIGESTED = "digested"
    STATUS_CHOICES = [
        (QUEUED, _("queued")),
        (SENT, _("sent")),
        (FAILED, _("failed")),
        (SUPPRESSED, _("suppressed")),
        (HELD, _("held for a digest")),
        (DIGESTED, _("sent in a digest")),
    ]

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    issue_id = models.UUIDField(_("issue"), null=True, blank=True, db_index=True,
                                help_text=_("Shared by the deliveries of one issue."))
    notification = models.ForeignKey(Notification, models.SET_NULL, null=True, blank=True,
                                     related_name="deliveries", verbose_name=_("notification"))
    template = models.ForeignKey(Template, models.SET_NULL, null=True, blank=True,
                                 related_name="deliveries", verbose_name=_("template"))
    object_type = models.ForeignKey(ContentType, models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    object_id = models.CharField(max_length=255, blank=True)
    backend = models.CharField(_("backend"), max_length=100)
    protocol = models.CharField(_("protocol"), max_length=100, blank=True)
    from_address = models.CharField(_("from address"), max_length=500, blank=True)
    to_addresses = models.JSONField(_("to addresses"), default=list)
    message = models.JSONField(_("message"), default=dict)
    status = models.CharField(_("status"), max_length=10, choices=STATUS_CHOICES,
                              default=QUEUED, db_index=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    recipient_type = models.ForeignKey(ContentType, models.SET_NULL, null=True, blank=True,
                                       related_name="+", verbose_name=_("recipient type"))
    recipient_id = models.CharField(_("recipient id"), max_length=255, blank=True)
    # What the provider calls the message, and what it said last (django_vox.tracking).
    provider_message_id = models.CharField(_("provider message id"), max_length=255,
                                           blank=True, default="", db_index=True)
    provider_status = models.CharField(_("provider said"), max_length=20, blank=True,
                                       default="", db_index=True)
    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "digest_due"], name="django_vox_held_due")]
        permissions = [("view_delivery_content",
                        _("Can read the stored messages of deliveries unmasked"))]

    def __str__(self):
        return f"{self.backend} → {', '.join(self.to_addresses or [])} ({self.status})"

    def get_message(self) -> Message:
        return Message.from_dict(self.message or {})

    def resend(self) -> bool:
        """Send this message again, exactly as rendered.  Returns True when it
        has been sent (now, or before)."""
        from django_vox.issuing import resending

        return resending.resend([self]).outcomes[self.pk]
    resend.alters_data = True  # sends or writes: never from a template


class FailedManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(status=Delivery.FAILED)


class FailedMessage(Delivery):
    """Deliveries that failed, with ``resend()`` (django-vox 4.x name)."""

    objects = FailedManager()

    class Meta:
        proxy = True
        verbose_name = _("failed message")
        verbose_name_plural = _("failed messages")

    def __str__(self):
        return f"{','.join(self.to_addresses or [])} @ {self.created_at}"

    def resend(self) -> bool:
        """Send this message again; as in 4.x, the send error is raised when it
        fails again (``Delivery.resend()`` answers False instead)."""
        from django_vox.issuing import resending

        return resending.resend([self], raise_errors=True).outcomes[self.pk]
