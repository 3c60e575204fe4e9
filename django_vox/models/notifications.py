"""Notifications (one row per notification declared in code) and their
templates.  ``Notification.issue()``, ``issue_now()`` and ``preview()`` import the
pipeline when called (the facades of the layer order)."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from django_vox.digests.options import DigestOptions

__all__ = ["Notification", "Template", "TemplateAttachment", "OneTimeNotification"]



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
    name = models.CharField(_("name for recipients"), max_length=200, blank=True, help_text=_(
        "What recipients read on their preferences and unsubscribe pages, such as “New "
        "article”.  Filled in from the code; a change made here is kept."))
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

    def __str__(self):  # the name people read: in the admin's messages, on public pages
        return self.name or capfirst(self.description or self.codename.replace("_", " "))

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
        from django_vox.templating.preview import preview

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
