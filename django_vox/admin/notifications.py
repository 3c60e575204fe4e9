"""Admin of notifications (with their templates inline, a preview and an
issue page) and of site contacts."""

from django import forms
from django.contrib import admin
from django.db.models import Count
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from django_vox.admin import introspection, views, vox4
from django_vox.admin.forms import DIGEST_FIELDS, TemplateForm, backend_info
from django_vox.backends import backends as backend_registry
from django_vox.models import Notification, SiteContact, SiteContactSetting, Template

__all__ = ["EDITOR_MEDIA", "NotificationAdmin", "SiteContactAdmin", "SiteContactForm",
           "SiteContactSettingInline", "TemplateInline"]

EDITOR_MEDIA = forms.Media(
    css={"all": ["django_vox/admin/editor.css"]},
    js=["django_vox/admin/editor.js"],
)


class TemplateInline(admin.StackedInline):
    model = Template
    form = TemplateForm
    extra = 0
    fields = ["backend", "recipients", "subject", "content", "attachments", "from_address",
              "bulk", "enabled", *DIGEST_FIELDS]

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
            # The 4.x URL names (django_vox_issue is the page above).
            path("<path:object_id>/issue/", wrap(self.issue_view), name="django_vox_issue"),
            path("<path:object_id>/variables/", wrap(self.variables_view),
                 name="django_vox_variables"),
            path("preview/<str:backend_id>/", wrap(self.backend_preview_view),
                 name="django_vox_preview"),
        ] + super().get_urls()

    def variables_view(self, request, object_id):
        return vox4.variables_view(self, request, object_id)

    def backend_preview_view(self, request, backend_id):
        return vox4.backend_preview_view(self, request, backend_id)

    def preview_view(self, request, object_id):
        return views.preview_view(self, request, object_id)

    def issue_view(self, request, object_id):
        return views.issue_view(self, request, object_id)

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
            "vox_can_issue": views.can_issue(notification),
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
