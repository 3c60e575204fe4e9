"""The in-app message: one row per notification per signed-in user.

States: a message arrives *unseen*; it is *seen* once the user has opened
the list it is in, and *read* once they open it or mark it read. Archiving
takes it out of the list whatever its state.  The unread count (what the
bell shows) reads a partial index of the unread, unarchived rows of one user,
so it stays one small index lookup with millions of rows in the table.

This module imports nothing of django-vox, so ``django_vox.models`` can
import it to register the model under the ``django_vox`` app.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Count, Max, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

__all__ = ["InAppMessage", "InAppMessageQuerySet", "UNREAD", "UNSEEN", "SEEN", "READ",
           "ARCHIVED"]

UNSEEN, SEEN, READ, ARCHIVED = "unseen", "seen", "read", "archived"
#: What the unread count counts; the partial index has the same condition.
UNREAD = Q(read_at__isnull=True, archived_at__isnull=True)


class InAppMessageQuerySet(models.QuerySet):
    """``user.vox_inapp_messages.unread()``, ``InAppMessage.objects.for_user(u).mark_all_read()``.

    ``unread()``, ``read()`` and ``unseen()`` leave archived messages out;
    ``archived()`` is those alone.
    """

    def for_user(self, user) -> InAppMessageQuerySet:
        return self.filter(user=user)

    def active(self) -> InAppMessageQuerySet:
        return self.filter(archived_at__isnull=True)

    def unread(self) -> InAppMessageQuerySet:
        return self.filter(UNREAD)

    def read(self) -> InAppMessageQuerySet:
        return self.filter(read_at__isnull=False, archived_at__isnull=True)

    def unseen(self) -> InAppMessageQuerySet:
        return self.filter(seen_at__isnull=True, archived_at__isnull=True)

    def archived(self) -> InAppMessageQuerySet:
        return self.filter(archived_at__isnull=False)

    def unread_state(self) -> tuple[int, int]:
        """``(unread count, id of the newest unread message or 0)`` in one
        query on the unread index (what the count endpoint's ETag is made of)."""
        found = self.unread().aggregate(count=Count("pk"), newest=Max("pk"))
        return found["count"], found["newest"] or 0

    async def aunread_state(self) -> tuple[int, int]:
        """:meth:`unread_state` for async code (the server-sent events stream)."""
        found = await self.unread().aaggregate(count=Count("pk"), newest=Max("pk"))
        return found["count"], found["newest"] or 0

    def mark_all_read(self) -> int:
        """Mark the unread ones read (and seen) in one statement; how many changed."""
        now = timezone.now()
        return self.filter(read_at__isnull=True).update(
            read_at=now, seen_at=Coalesce("seen_at", models.Value(now)))

    mark_all_read.alters_data = True

    def mark_all_seen(self) -> int:
        """Mark the unseen ones seen in one statement; how many changed."""
        return self.filter(seen_at__isnull=True).update(seen_at=timezone.now())

    mark_all_seen.alters_data = True

    def archive(self) -> int:
        """Archive them all in one statement; how many changed."""
        return self.filter(archived_at__isnull=True).update(archived_at=timezone.now())

    archive.alters_data = True


class InAppMessage(models.Model):
    """A message the ``inapp`` backend stored for ``user``."""

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE,
                             related_name="vox_inapp_messages", verbose_name=_("user"))
    #: The same for every recipient of one sent message: a resend stores nothing twice.
    key = models.UUIDField(_("message key"), editable=False)
    notification = models.ForeignKey("django_vox.Notification", models.SET_NULL, null=True,
                                     blank=True, related_name="+",
                                     verbose_name=_("notification"))
    title = models.CharField(_("title"), max_length=255, blank=True)
    body = models.TextField(_("body (HTML)"), blank=True,
                            help_text=_("Rendered and sanitized when the message was sent."))
    link = models.CharField(_("link"), max_length=2000, blank=True)
    object_type = models.ForeignKey(ContentType, models.CASCADE, null=True, blank=True,
                                    related_name="+")
    object_id = models.CharField(max_length=255, blank=True)
    object = GenericForeignKey("object_type", "object_id")
    actor_type = models.ForeignKey(ContentType, models.CASCADE, null=True, blank=True,
                                   related_name="+")
    actor_id = models.CharField(max_length=255, blank=True)
    actor = GenericForeignKey("actor_type", "actor_id")
    target_type = models.ForeignKey(ContentType, models.CASCADE, null=True, blank=True,
                                    related_name="+")
    target_id = models.CharField(max_length=255, blank=True)
    target = GenericForeignKey("target_type", "target_id")
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    seen_at = models.DateTimeField(_("seen"), null=True, blank=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True)

    objects = InAppMessageQuerySet.as_manager()

    class Meta:
        app_label = "django_vox"
        verbose_name = _("in-app message")
        verbose_name_plural = _("in-app messages")
        ordering = ["-id"]
        indexes = [
            # The list, newest first, and its cursor (id < N) per user.
            models.Index(fields=["user", "-id"], name="django_vox_inapp_list"),
            # The unread count: only unread, unarchived rows are in it.
            # (Databases without partial indexes fall back to the list index.)
            # (user, id): the count and the newest id come from the index alone.
            models.Index(fields=["user", "id"], condition=UNREAD, name="django_vox_inapp_unread"),
            # Retention: read messages by the time they were read.
            models.Index(fields=["read_at"], condition=Q(read_at__isnull=False),
                         name="django_vox_inapp_read"),
        ]
        constraints = [models.UniqueConstraint(fields=["user", "key"],
                                               name="django_vox_inapp_once")]

    def __str__(self):
        # No content: str() ends up in the admin's breadcrumbs, deletion pages and
        # history, which the content permission does not guard (django_vox.admin.inapp).
        return f"in-app message {self.pk}"

    @property
    def state(self) -> str:
        """``"archived"``, ``"read"``, ``"seen"`` or ``"unseen"``."""
        if self.archived_at is not None:
            return ARCHIVED
        if self.read_at is not None:
            return READ
        return SEEN if self.seen_at is not None else UNSEEN

    @property
    def unread(self) -> bool:
        return self.read_at is None

    def mark_read(self) -> None:
        now = timezone.now()
        self.read_at = self.read_at or now
        self.seen_at = self.seen_at or now
        self.save(update_fields=["read_at", "seen_at"])

    mark_read.alters_data = True

    def mark_unread(self) -> None:
        self.read_at = None
        self.save(update_fields=["read_at"])

    mark_unread.alters_data = True

    def mark_seen(self) -> None:
        if self.seen_at is None:
            self.seen_at = timezone.now()
            self.save(update_fields=["seen_at"])

    mark_seen.alters_data = True

    def archive(self) -> None:
        if self.archived_at is None:
            self.archived_at = timezone.now()
            self.save(update_fields=["archived_at"])

    archive.alters_data = True

    def unarchive(self) -> None:
        self.archived_at = None
        self.save(update_fields=["archived_at"])

    unarchive.alters_data = True
