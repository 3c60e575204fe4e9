"""django-vox's models: notifications and their templates, site contacts and
the delivery log (the background issues are in :mod:`django_vox.background_models`,
imported at the end).

The lowest layer of the package: this module imports nothing of django-vox's
at module level (only the plain ``messages`` dataclasses).  The conveniences
that reach up (``Notification.issue``, ``issue_now``, ``preview``,
``Delivery.resend``) import what they need when called.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from django_vox.digestoptions import DigestOptions, DigestRowFields
from django_vox.messages import Message

__all__ = [
    "Notification", "Template", "TemplateAttachment", "SiteContact",
    "SiteContactSetting", "Delivery", "FailedMessage", "Activity", "InboxItem",
    "Preference", "OneTimeNotification", "BackgroundIssue", "IssueChunk", "InAppMessage",
]

logger = logging.getLogger("django_vox")


class NotificationManager(models.Manager):
    def get_by_natural_key(self, app_label, model, codename):
        return self.get(codename=codename, object_type__app_label=app_label,
                        object_type__model=model)

    def get_for_model(self, model: type, codename: str) -> Notification:
        ct = ContentType.objects.get_for_model(model, for_concrete_model=False)
        try:
            return self.select_related("object_type", "actor_type", "target_type").get(
                object_type=ct, codename=codename)
        except self.model.DoesNotExist:
            concrete = ContentType.objects.get_for_model(model)
            if concrete != ct:
                return self.get(object_type=concrete, codename=codename)
            raise self.model.DoesNotExist(
                f"No notification {codename!r} for {model._meta.label}: "
                f"run 'manage.py make_notifications' (or migrate) to create it.") from None


class Notification(models.Model):
    """A notification declared in code (or by hand), with its templates."""

    codename = models.SlugField(_("codename"), max_length=100)
    object_type = models.ForeignKey(ContentType, models.CASCADE, related_name="+",
                                    verbose_name=_("object type"))
    description = models.TextField(_("description"), blank=True)
    actor_type = models.ForeignKey(ContentType, models.CASCADE, related_name="+", null=True,
                                   blank=True, verbose_name=_("actor type"))
    target_type = models.ForeignKey(ContentType, models.CASCADE, related_name="+", null=True,
                                    blank=True, verbose_name=_("target type"))
    required = models.BooleanField(_("required"), default=False,
                                   help_text=_("Issuing it raises an error when nothing is sent."))
    default_enabled = models.BooleanField(_("enabled by default"), default=True)
    activity_type = models.CharField(_("activity type"), max_length=100, blank=True)
    from_code = models.BooleanField(_("from code"), default=False, editable=False)
    last_updated = models.DateTimeField(_("last updated"), auto_now=True)

    objects = NotificationManager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        unique_together = [("codename", "object_type")]
        ordering = ["object_type__app_label", "object_type__model", "codename"]

    def __str__(self):
        return f"{self.object_type.app_label}.{self.object_type.model}: {self.codename}"

    def natural_key(self):
        return (self.object_type.app_label, self.object_type.model, self.codename)

    natural_key.dependencies = ["contenttypes.contenttype"]

    def get_object_model(self) -> type | None:
        return self.object_type.model_class()

    def get_actor_model(self) -> type | None:
        return self.actor_type.model_class() if self.actor_type_id else None

    def get_target_model(self) -> type | None:
        return self.target_type.model_class() if self.target_type_id else None

    def issue(self, obj: Any, *, actor: Any = None, target: Any = None) -> Any:
        """Issue through DJANGO_VOX_ISSUE_METHOD (sending now, by default)."""
        from django_vox import issuing

        issuing.validate_issue(self, obj, actor, target)
        method = issuing.get_issue_method()
        return method(self, obj, actor=actor, target=target)
    issue.alters_data = True  # sends or writes: never from a template

    def issue_now(self, obj: Any, *, actor: Any = None, target: Any = None) -> Any:
        """Issue in this process; sending waits for the transaction to commit.
        Returns the :class:`django_vox.issuing.Issue`."""
        from django_vox import issuing

        return issuing.issue_now(self, obj, actor=actor, target=target)
    issue_now.alters_data = True  # sends or writes: never from a template

    def preview(self, backend_id: str, content: str, subject: str = "") -> str:
        """HTML of ``content`` rendered by backend ``backend_id`` against a sample object."""
        from django_vox.preview import preview

        return preview(self, backend_id, content, subject)
    preview.alters_data = True  # renders editor templates itself: never from a template


class Template(DigestOptions):
    """The copy of one notification for one backend, written by editors."""

    notification = models.ForeignKey(Notification, models.CASCADE, related_name="templates",
                                     verbose_name=_("notification"))
    # A plain CharField: the registry supplies choices at run time, so enabling
    # a backend never needs a migration.
    backend = models.CharField(_("backend"), max_length=100)
    recipients = models.CharField(_("recipients"), max_length=500, blank=True,
                                  help_text=_("Comma-separated recipient keys (c, c:KEY, se, re, si)."))
    subject = models.CharField(_("subject"), max_length=500, blank=True)
    content = models.TextField(_("content"), blank=True)
    from_address = models.CharField(_("from address"), max_length=500, blank=True,
                                    help_text=_("A template; blank uses the backend's default."))
    bulk = models.BooleanField(_("bulk"), default=False,
                               help_text=_("Send one message to all recipients instead of one each."))
    enabled = models.BooleanField(_("enabled"), default=True)
    class Meta:
        verbose_name = _("template")
        verbose_name_plural = _("templates")

    def __str__(self):
        return f"{self.notification} [{self.backend}]"

    def get_recipient_keys(self) -> list[str]:
        return [key.strip() for key in self.recipients.split(",") if key.strip()]


class TemplateAttachment(models.Model):
    template = models.ForeignKey(Template, models.CASCADE, related_name="attachments")
    key = models.CharField(_("key"), max_length=500,
                           help_text=_('Where the file comes from, e.g. "object.invoice".'))

    class Meta:
        verbose_name = _("template attachment")
        verbose_name_plural = _("template attachments")

    def __str__(self):
        return self.key


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
        return f"{self.name} <{self.address}> ({self.protocol})" if self.name else self.address


class SiteContactSetting(models.Model):
    site_contact = models.ForeignKey(SiteContact, models.CASCADE, related_name="settings")
    notification = models.ForeignKey(Notification, models.CASCADE, related_name="+")
    enabled = models.BooleanField(_("enabled"))

    class Meta:
        verbose_name = _("site contact setting")
        verbose_name_plural = _("site contact settings")
        unique_together = [("site_contact", "notification")]

    def __str__(self):
        return f"{self.site_contact} / {self.notification}: {'on' if self.enabled else 'off'}"


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
    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "digest_due"], name="django_vox_held_due")]

    def __str__(self):
        return f"{self.backend} → {', '.join(self.to_addresses or [])} ({self.status})"

    def get_message(self) -> Message:
        return Message.from_dict(self.message or {})

    def resend(self) -> bool:
        """Send this message again, exactly as rendered.  Returns True when it
        has been sent (now, or before)."""
        from django_vox import resending

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
        from django_vox import resending

        return resending.resend([self], raise_errors=True).outcomes[self.pk]


class _OneTimeNotification:
    """What contact methods get as ``notification`` for a one-time message
    (the admin's ``notify`` action), where no Notification row is involved."""

    pk = id = None
    codename = description = activity_type = ""
    object_type = actor_type = target_type = None
    required = True
    from_code = False
    default_enabled = True

    def __str__(self):
        return "<OneTimeNotification>"

    __repr__ = __str__

    def natural_key(self):
        return "", "", ""

    def get_object_model(self):
        return None

    get_actor_model = get_target_model = get_object_model


#: The one-time notification (django-vox 4.x name).
OneTimeNotification = _OneTimeNotification()


# -- Activity Streams (the activity backend) ------------------------------------


class Activity(models.Model):
    """An Activity Streams 2.0 activity stored by the activity backend.

    The activity backend delivers by writing rows: storing an Activity and its
    InboxItems *is* its delivery, so unlike other backends it writes models.
    ``document`` holds the AS2 properties (type, summary, actor, object,
    target); ``as_document()`` adds the JSON-LD context, id and published.
    """

    key = models.UUIDField(_("key"), unique=True, default=uuid.uuid4, editable=False,
                           help_text=_("Names the activity in its id."))
    type = models.CharField(_("type"), max_length=100, default="Create")
    summary = models.TextField(_("summary"), blank=True)
    actor_iri = models.CharField(_("actor"), max_length=500, blank=True)
    object_iri = models.CharField(_("object"), max_length=500, blank=True)
    target_iri = models.CharField(_("target"), max_length=500, blank=True)
    document = models.JSONField(_("document"), default=dict)
    published = models.DateTimeField(_("published"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-published", "-pk"]

    def __str__(self):
        return f"{self.type}: {self.summary[:60]}" if self.summary else self.type

    def get_iri(self):
        """The activity's ``id`` (see django_vox.activities.activity_iri)."""
        return _activity_documents().activity_iri(self.key)

    def as_document(self, *, context=True):
        """The activity as AS2 JSON-LD (``context=False`` when embedded in a collection)."""
        return _activity_documents().activity_document(self, context=context)


def _activity_documents():
    """django_vox.activities.documents, imported when first needed: it sits
    above the models in the layer order (it reads the registry)."""
    from django_vox.activities import documents

    return documents


class InboxItemQuerySet(models.QuerySet):
    def for_owner(self, owner):
        """The items in ``owner``'s inbox, newest first."""
        ct = ContentType.objects.get_for_model(owner.__class__)  # works for request.user too
        return self.filter(owner_type=ct, owner_id=str(owner.pk)).order_by("-created_at", "-pk")

    def unread(self):
        return self.filter(read_at__isnull=True)


class InboxItem(models.Model):
    """One activity in one owner's inbox.  ``owner`` is the registered object
    whose IRI the activity was addressed to; ``owner_iri`` keeps that IRI."""

    owner_type = models.ForeignKey(ContentType, models.CASCADE, related_name="+",
                                   verbose_name=_("owner type"))
    owner_id = models.CharField(_("owner id"), max_length=255)
    owner = GenericForeignKey("owner_type", "owner_id")
    owner_iri = models.CharField(_("owner IRI"), max_length=500)
    activity = models.ForeignKey(Activity, models.CASCADE, related_name="inbox_items",
                                 verbose_name=_("activity"))
    created_at = models.DateTimeField(_("received"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    objects = InboxItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("inbox item")
        verbose_name_plural = _("inbox items")
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["activity", "owner_type", "owner_id"],
                                               name="django_vox_inboxitem_once")]
        indexes = [models.Index(fields=["owner_type", "owner_id", "-created_at"],
                                name="django_vox_inbox_newest")]

    def __str__(self):
        return f"{self.activity} → {self.owner_iri}"

    def mark_read(self, when=None):
        """Mark the item read (once: the first time counts)."""
        if self.read_at is None:
            self.read_at = when or timezone.now()
            InboxItem.objects.filter(pk=self.pk, read_at__isnull=True).update(read_at=self.read_at)
    mark_read.alters_data = True  # sends or writes: never from a template


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
        owner = (f"{self.owner_type.app_label}.{self.owner_type.model} #{self.owner_id}"
                 if self.owner_type_id else f"{self.protocol}:{self.address}")
        what = self.notification.codename if self.notification_id else _("all notifications")
        how = self.protocol or _("all protocols")
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


# Background issues live in a module of their own (this one is long enough).
from django_vox.background_models import BackgroundIssue, IssueChunk  # noqa: E402

# The in-app backend's messages (django_vox.inapp), registered under this app.
from django_vox.inapp.models import InAppMessage  # noqa: E402
