"""Recipients' preferences: which notifications reach them, by which protocol."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models.functions import Coalesce
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from django_vox.backends import protocol_name
from django_vox.models.notifications import Notification

__all__ = ["Preference"]



class Preference(models.Model):
    """A recipient's choice to receive (or not) a notification on a protocol.

    The owner is a registered model instance (``owner_type`` + ``owner_id``)
    or, for a contact with no model, a ``protocol`` + ``address``.  A blank
    ``notification`` means every notification, a blank ``protocol`` every
    protocol; the most specific row wins (see ``django_vox.preferences``).
    """

    owner_type = models.ForeignKey(ContentType, models.CASCADE, null=True, blank=True,
                                   related_name="+", verbose_name=_("owner type"))
    owner_id = models.CharField(_("owner id"), max_length=255, blank=True)
    address = models.CharField(_("address"), max_length=500, blank=True,
                               help_text=_("Only for a contact that is not a model instance."))
    notification = models.ForeignKey(Notification, models.CASCADE, null=True, blank=True,
                                     related_name="preferences", verbose_name=_("notification"),
                                     help_text=_("Blank: every notification."))
    protocol = models.CharField(_("protocol"), max_length=100, blank=True,
                                help_text=_("Blank: every protocol."))
    enabled = models.BooleanField(_("enabled"))
    IMMEDIATELY = "immediately"
    DAILY = "daily"
    WEEKLY = "weekly"
    DELIVERY_CHOICES = [("", _("as the notification is set up")),
                        (IMMEDIATELY, _("immediately")), (DAILY, _("daily digest")),
                        (WEEKLY, _("weekly digest"))]
    delivery = models.CharField(_("delivery"), max_length=20, blank=True,
                                choices=DELIVERY_CHOICES,
                                help_text=_("When enabled: immediately or in a digest."))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("preference")
        verbose_name_plural = _("preferences")
        ordering = ["owner_type", "owner_id", "address", "protocol"]
        indexes = [models.Index(fields=["owner_type", "owner_id"], name="django_vox_pref_owner"),
                   models.Index(fields=["protocol", "address"], name="django_vox_pref_address")]
        constraints = [
            models.UniqueConstraint(
                Coalesce("owner_type", models.Value(0)), "owner_id", "address",
                Coalesce("notification", models.Value(0)), "protocol",
                name="django_vox_pref_unique"),
            models.CheckConstraint(
                condition=(models.Q(owner_type__isnull=False) & ~models.Q(owner_id="")
                           & models.Q(address=""))
                | (models.Q(owner_type__isnull=True) & models.Q(owner_id="")
                   & ~models.Q(address="") & ~models.Q(protocol="")),
                name="django_vox_pref_owner_or_address",
                violation_error_message=_("A preference belongs to an object (owner type and id) "
                                          "or to a protocol and address, not both.")),
        ]

    def __str__(self):
        owner = (f"{capfirst(self.owner_type.name)} #{self.owner_id}" if self.owner_type_id
                 else f"{protocol_name(self.protocol)}: {self.address}")
        what = self.notification if self.notification_id else _("all notifications")
        how = protocol_name(self.protocol)
        state = _("on") if self.enabled else _("off")
        return f"{owner}: {what} / {how}: {state}"

    def get_owner(self):
        """The owner instance, or None for an address (or a deleted owner)."""
        if not self.owner_type_id:
            return None
        model = self.owner_type.model_class()
        if model is None:
            return None
        return model._default_manager.filter(pk=self.owner_id).first()
