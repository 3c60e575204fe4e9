"""Background issues, written before they fan out (see
:mod:`django_vox.background.chunks` and docs/background.rst).

Part of the models layer: :mod:`django_vox.models` imports these two models
(so they are ``django_vox.models.BackgroundIssue`` and ``IssueChunk`` too);
they refer to the other models by name and import nothing of the package.
"""

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

__all__ = ["BackgroundIssue", "IssueChunk"]


class BackgroundIssue(models.Model):
    """An issue sent by task workers; ``id`` is its deliveries' ``issue_id``."""

    PLANNING, RUNNING, DONE, SKIPPED = "planning", "running", "done", "skipped"
    STATE_CHOICES = [(PLANNING, _("planning")), (RUNNING, _("sending")), (DONE, _("done")),
                     (SKIPPED, _("skipped"))]

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    notification = models.ForeignKey("django_vox.Notification", models.SET_NULL, null=True, blank=True,
                                     related_name="+", verbose_name=_("notification"))
    object_ref = models.JSONField(_("object"), default=list)
    actor_ref = models.JSONField(_("actor"), null=True, blank=True)
    target_ref = models.JSONField(_("target"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=STATE_CHOICES, default=PLANNING,
                             db_index=True)
    chunks_planned = models.PositiveIntegerField(_("chunks"), default=0)
    plan_attempts = models.PositiveIntegerField(_("planning attempts"), default=0)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("background issue")
        verbose_name_plural = _("background issues")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.notification or '-'} #{str(self.id)[:8]}"


class IssueChunk(models.Model):
    """Up to ``DJANGO_VOX_BATCH_SIZE`` contacts of one template of a background
    issue, fixed when planned (``[name, address, [content type id, pk] or null]``)."""

    PENDING, RUNNING, DONE = "pending", "running", "done"
    STATE_CHOICES = [(PENDING, _("pending")), (RUNNING, _("running")), (DONE, _("done"))]

    issue = models.ForeignKey("django_vox.BackgroundIssue", models.CASCADE, related_name="chunks",
                              verbose_name=_("issue"))
    number = models.PositiveIntegerField(_("number"))
    template = models.ForeignKey("django_vox.Template", models.SET_NULL, null=True, blank=True,
                                 related_name="+", verbose_name=_("template"))
    contacts = models.JSONField(_("contacts"), default=list)
    size = models.PositiveIntegerField(_("size"), default=0)
    state = models.CharField(_("state"), max_length=10, choices=STATE_CHOICES, default=PENDING,
                             db_index=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    sent = models.PositiveIntegerField(_("sent"), default=0)
    failed = models.PositiveIntegerField(_("failed"), default=0)
    suppressed = models.PositiveIntegerField(_("suppressed"), default=0)
    error = models.TextField(_("error"), blank=True)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("issue chunk")
        verbose_name_plural = _("issue chunks")
        ordering = ["issue", "number"]
        constraints = [models.UniqueConstraint(fields=["issue", "number"],
                                               name="django_vox_chunk_number")]
