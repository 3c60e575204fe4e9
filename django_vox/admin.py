"""The admin: notifications with their templates, site contacts, the delivery
log, and the ``notify`` action any ModelAdmin can list.

    from django_vox.admin import notify

    class OrderAdmin(admin.ModelAdmin):
        actions = [notify]
"""

from django import forms
from django.contrib import admin, messages
from django.db.models import Count
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from django_vox import admin_views, introspection, issuing
from django_vox.backends import backends as backend_registry
from django_vox.forms import TemplateForm, backend_info
from django_vox.models import (
    Activity,
    Delivery,
    FailedMessage,
    InboxItem,
    Notification,
    SiteContact,
    SiteContactSetting,
    Template,
)

__all__ = ["notify", "NotificationAdmin", "TemplateInline", "SiteContactAdmin",
           "DeliveryAdmin", "FailedMessageAdmin"]

EDITOR_MEDIA = forms.Media(
    css={"all": ["django_vox/admin/editor.css"]},
    js=["django_vox/admin/editor.js"],
)


@admin.action(description=_("Send a one-time message"), permissions=["change"])
def notify(modeladmin, request, queryset):
    """Admin action: write a message and send it to the selected objects' contacts.

    Needs the change permission on the model and django_vox.add_delivery
    (sending writes the delivery log).
    """
    if not request.user.has_perm("django_vox.add_delivery"):
        modeladmin.message_user(request, _("You may not send messages (the “Can add delivery” "
                                           "permission is needed)."), messages.ERROR)
        return None
    return admin_views.notify_action_view(modeladmin, request, queryset)


class TemplateInline(admin.StackedInline):
    model = Template
    form = TemplateForm
    extra = 0
    fields = ["backend", "recipients", "subject", "content", "attachments", "from_address",
              "bulk", "enabled"]

    @admin.display(description=_("attachments"))
    def attachments(self, template):
        """Read-only display (users who may only view): the attachment keys."""
        return ", ".join(a.key for a in template.attachments.all()) if template.pk else "-"

    def get_formset(self, request, obj=None, **kwargs):
        # Give each form the notification, so recipients and attachments are its own.
        kwargs["form"] = type("TemplateForm", (self.form,), {"notification": obj})
        return super().get_formset(request, obj, **kwargs)


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["codename", "object_type", "description", "required", "template_count",
                    "last_updated"]
    list_filter = [("object_type", admin.RelatedOnlyFieldListFilter), "required", "from_code"]
    search_fields = ["codename", "description"]
    fields = ["codename", "object_type", "description", "actor_type", "target_type", "required",
              "default_enabled", "activity_type", "from_code"]
    inlines = [TemplateInline]
    change_form_template = "django_vox/admin/notification_change_form.html"

    #: Fields that make_notifications keeps equal to the code.
    CODE_FIELDS = ["codename", "object_type", "description", "actor_type", "target_type",
                   "required", "default_enabled", "activity_type"]

    @property
    def media(self):
        return super().media + EDITOR_MEDIA

    def get_queryset(self, request):
        return (super().get_queryset(request)
                .select_related("object_type", "actor_type", "target_type")
                .annotate(template_count=Count("templates")))

    @admin.display(description=_("templates"), ordering="template_count")
    def template_count(self, obj):
        return obj.template_count

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.from_code:
            return self.CODE_FIELDS + ["from_code"]
        return ["from_code"]

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/preview/", wrap(self.preview_view),
                 name="django_vox_notification_preview"),
            path("<path:object_id>/issue/", wrap(self.issue_view),
                 name="django_vox_notification_issue"),
        ] + super().get_urls()

    def preview_view(self, request, object_id):
        return admin_views.preview_view(self, request, object_id)

    def issue_view(self, request, object_id):
        return admin_views.issue_view(self, request, object_id)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        notification = self.get_object(request, object_id)
        if notification is not None:
            extra_context.update(self.editor_context(notification))
        return super().change_view(request, object_id, form_url, extra_context)

    def editor_context(self, notification):
        """Data the editor script reads: backends, variables, the preview URL."""
        name = self.admin_site.name
        return {
            "vox_editor": {
                "backends": backend_info(),
                "variables": introspection.variables(notification),
                "preview_url": reverse(f"{name}:django_vox_notification_preview",
                                       args=[notification.pk]),
            },
            "vox_can_issue": admin_views.can_issue(notification),
            "vox_issue_url": reverse(f"{name}:django_vox_notification_issue",
                                     args=[notification.pk]),
        }


class SiteContactForm(forms.ModelForm):
    protocol = forms.ChoiceField(label=_("protocol"))

    class Meta:
        model = SiteContact
        fields = ["name", "protocol", "address", "enable_filter"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        protocols = backend_registry.protocols()
        current = self.instance.protocol
        if current and current not in protocols:
            protocols.append(current)
        self.fields["protocol"].choices = [(p, p) for p in protocols]


class SiteContactSettingInline(admin.TabularInline):
    model = SiteContactSetting
    extra = 0
    fields = ["notification", "enabled"]
    verbose_name = _("notification setting")
    verbose_name_plural = _("Notification settings (on for a whitelist, off for a blacklist)")


@admin.register(SiteContact)
class SiteContactAdmin(admin.ModelAdmin):
    form = SiteContactForm
    list_display = ["name", "protocol", "address", "enable_filter"]
    list_filter = ["protocol", "enable_filter"]
    search_fields = ["name", "address"]
    inlines = [SiteContactSettingInline]


class DeliveryAdmin(admin.ModelAdmin):
    """The delivery log: read-only, with a resend action."""

    list_display = ["created_at", "backend", "recipients", "status", "attempts", "notification",
                    "short_error"]
    list_filter = ["status", "backend", "protocol", "created_at"]
    search_fields = ["to_addresses", "error", "from_address"]
    date_hierarchy = "created_at"
    actions = ["resend"]
    readonly_fields = ["issue_id", "notification", "template", "object_type", "object_id",
                       "backend", "protocol", "from_address", "to_addresses", "status",
                       "attempts", "error", "created_at", "updated_at", "sent_at",
                       "next_attempt_at", "message_subject", "message_text"]
    fields = readonly_fields
    list_select_related = ["notification__object_type"]

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("to"))
    def recipients(self, obj):
        return ", ".join(obj.to_addresses or [])

    @admin.display(description=_("error"))
    def short_error(self, obj):
        return (obj.error[:80] + "…") if len(obj.error) > 80 else obj.error

    @admin.display(description=_("subject"))
    def message_subject(self, obj):
        return (obj.message or {}).get("subject", "")

    @admin.display(description=_("text"))
    def message_text(self, obj):
        return format_html("<pre>{}</pre>", (obj.message or {}).get("text", ""))

    @admin.action(description=_("Resend the selected messages"), permissions=["change"])
    def resend(self, request, queryset):
        rows = list(queryset)
        already = sum(1 for row in rows if row.status == Delivery.SENT)
        suppressed = sum(1 for row in rows if row.status == Delivery.SUPPRESSED)
        results = issuing.send_deliveries(rows, raise_errors=False)
        failed = sum(1 for ok in results.values() if not ok) - suppressed
        sent = len(results) - failed - already - suppressed
        text = ngettext("%(sent)d message resent, %(failed)d failed",
                        "%(sent)d messages resent, %(failed)d failed", sent) % {
            "sent": sent, "failed": failed}
        if already:
            text += _(", %(count)d already sent (skipped)") % {"count": already}
        if suppressed:
            text += _(", %(count)d suppressed by the recipient's preferences (skipped)") % {
                "count": suppressed}
        self.message_user(request, text + ".", messages.WARNING if failed else messages.SUCCESS)


admin.site.register(Delivery, DeliveryAdmin)


@admin.register(FailedMessage)
class FailedMessageAdmin(DeliveryAdmin):
    list_filter = ["backend", "protocol", "created_at"]


class InboxItemInline(admin.TabularInline):
    model = InboxItem
    extra = 0
    fields = ("owner_iri", "created_at", "read_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class RecordAdmin(admin.ModelAdmin):
    """A record of what was delivered: listed and shown, never added or edited."""

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Activity)
class ActivityAdmin(RecordAdmin):
    list_display = ("type", "summary", "actor_iri", "object_iri", "published")
    list_filter = ("type",)
    search_fields = ("summary", "actor_iri", "object_iri")
    date_hierarchy = "published"
    inlines = [InboxItemInline]


@admin.register(InboxItem)
class InboxItemAdmin(RecordAdmin):
    list_display = ("owner_iri", "activity", "created_at", "read_at")
    list_filter = ("owner_type", ("read_at", admin.EmptyFieldListFilter))
    search_fields = ("owner_iri",)
    list_select_related = ("activity",)


from django_vox import admin_preferences  # noqa: E402,F401  (registers PreferenceAdmin)
