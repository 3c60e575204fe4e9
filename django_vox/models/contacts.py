"""Site contacts: addresses of the site's own people, chosen per notification."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from django_vox.backends import protocol_name
from django_vox.models.notifications import Notification

__all__ = ["SiteContact", "SiteContactSetting"]



class SiteContact(models.Model):
    """A fixed address (a team inbox, a Slack channel) that templates can reach as "si"."""

    BLACKLIST = "blacklist"
    WHITELIST = "whitelist"
    FILTER_CHOICES = [
        (BLACKLIST, _("Every notification except those disabled")),
        (WHITELIST, _("Only the notifications enabled")),
    ]

    name = models.CharField(_("name"), max_length=500, blank=True)
    protocol = models.CharField(_("protocol"), max_length=100)
    address = models.CharField(_("address"), max_length=500, blank=True)
    enable_filter = models.CharField(_("enable filter"), max_length=10, choices=FILTER_CHOICES,
                                     default=BLACKLIST)

    class Meta:
        verbose_name = _("site contact")
        verbose_name_plural = _("site contacts")
        ordering = ["name", "protocol", "address"]

    def __str__(self):
        return (f"{self.name} <{self.address}> ({protocol_name(self.protocol)})" if self.name
                else self.address)


class SiteContactSetting(models.Model):
    site_contact = models.ForeignKey(SiteContact, models.CASCADE, related_name="settings")
    notification = models.ForeignKey(Notification, models.CASCADE, related_name="+")
    enabled = models.BooleanField(_("enabled"))

    class Meta:
        verbose_name = _("site contact setting")
        verbose_name_plural = _("site contact settings")
        unique_together = [("site_contact", "notification")]

    def __str__(self):
        return f"{self.site_contact} / {self.notification}: {_('on') if self.enabled else _('off')}"
