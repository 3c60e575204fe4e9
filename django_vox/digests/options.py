"""The digest options of a template (an abstract model :class:`Template` extends).

See docs/digests.rst: the editor chooses when a template's messages go out
(at once, in a digest per recipient and window, or at once and then in a
digest while busy) and writes the digest's own subject and content.
"""

import datetime

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from django_vox.pacing import ratelimit

__all__ = ["DigestOptions", "DigestRowFields"]


class DigestOptions(models.Model):
    """Fields and choices of :class:`django_vox.models.Template` for digests."""

    IMMEDIATELY = "immediately"
    DIGEST = "digest"
    BUSY = "busy"
    DELIVERY_MODES = [
        (IMMEDIATELY, _("Immediately")),
        (DIGEST, _("In a digest")),
        (BUSY, _("Immediately, then in a digest while busy")),
    ]
    HOURLY = "hourly"
    DAILY = "daily"
    WEEKLY = "weekly"
    WINDOWS = [(HOURLY, _("Hourly")), (DAILY, _("Daily")), (WEEKLY, _("Weekly"))]
    WEEKDAYS = [(0, _("Monday")), (1, _("Tuesday")), (2, _("Wednesday")), (3, _("Thursday")),
                (4, _("Friday")), (5, _("Saturday")), (6, _("Sunday"))]
    delivery_mode = models.CharField(
        _("delivery"), max_length=20, choices=DELIVERY_MODES, default=IMMEDIATELY,
        help_text=_("Send each message at once, or gather them into one digest per recipient."))
    digest_window = models.CharField(
        _("digest window"), max_length=10, choices=WINDOWS, default=DAILY,
        help_text=_("How often a digest is sent (in the site's time zone)."))
    digest_time = models.TimeField(_("digest time"), default=datetime.time(8, 0),
                                   help_text=_("When daily and weekly digests are sent."))
    digest_weekday = models.PositiveSmallIntegerField(
        _("digest weekday"), choices=WEEKDAYS, default=0,
        help_text=_("The day weekly digests are sent."))
    digest_subject = models.CharField(
        _("digest subject"), max_length=500, blank=True,
        help_text=_("Blank: made from the subject above."))
    digest_content = models.TextField(
        _("digest content"), blank=True,
        help_text=_("Variables: items (each with the message's variables, subject and text), "
                    "count, window, recipient.  Blank: made from the content above."))
    allow_digests = models.BooleanField(
        _("recipients may choose digests"), default=False,
        help_text=_("Offer daily and weekly digests on the preferences page (always offered "
                    "when the delivery above is not immediately)."))
    recipient_limit = models.CharField(
        _("recipient limit"), max_length=20, blank=True,
        help_text=_('At most this many messages to one recipient, such as "5/h"; the rest '
                    'are held for a digest.  Blank: the site\'s limit, if it has one.'))


    class Meta:
        abstract = True

    def digest_allowed(self) -> bool:
        """Whether recipients may choose digests of this template's messages."""
        return bool(self.allow_digests) or self.delivery_mode != self.IMMEDIATELY

    def clean(self):
        super().clean()
        if self.recipient_limit:
            try:
                ratelimit.parse_rate(self.recipient_limit)
            except ImproperlyConfigured:
                raise ValidationError({"recipient_limit": _(
                    'A rate such as "5/h" or "20/m" (a whole number of at least 1 per s, m '
                    'or h), not %(value)r.') % {"value": self.recipient_limit}}) from None


class DigestRowFields(models.Model):
    """The digest columns of :class:`django_vox.models.Delivery`: where a held
    message goes, when its window closes, and the digest that carried it."""

    contact_key = models.CharField(_("contact"), max_length=600, blank=True, db_index=True,
                                   help_text=_("protocol:address of a one-address message."))
    digest_key = models.CharField(
        _("digest key"), max_length=650, blank=True, db_index=True,
        help_text=_("template id/protocol:address: the digest a held message goes into."))
    digest_due = models.DateTimeField(_("digest due"), null=True, blank=True,
                                      help_text=_("When the window of a held message closes."))
    digest = models.ForeignKey("self", models.SET_NULL, null=True, blank=True,
                               related_name="digest_items", verbose_name=_("digest"),
                               help_text=_("The digest message this one was sent in."))
    digest_claim = models.UUIDField(_("digest claim"), null=True, blank=True, db_index=True,
                                    editable=False)
    digest_data = models.JSONField(_("digest data"), default=dict, blank=True,
                                   help_text=_("The recipient and the objects of a held message."))

    class Meta:
        abstract = True
