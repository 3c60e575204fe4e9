"""Activity Streams rows written by the activity backend: activities and the
inbox items that deliver them.  ``Activity.as_document()`` imports
:mod:`django_vox.activities.documents` when called."""

from __future__ import annotations

import uuid

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

__all__ = ["Activity", "InboxItem"]



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
        # No content: str() ends up in the admin's breadcrumbs, deletion pages and
        # history, which the content permission does not guard (django_vox.admin.activity).
        return f"{self.type} activity {self.pk}"

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
