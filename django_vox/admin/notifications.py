"""Admin of notifications (with their templates inline, a preview and an
issue page) and of site contacts."""

import zoneinfo

from django import forms
from django.contrib import admin, messages
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count
from django.urls import path, reverse
from django.utils.text import capfirst
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.i18n import JavaScriptCatalog

from django_vox.admin import introspection, views, words
from django_vox.admin import translations as translation_pages
from django_vox.admin.checks import overlapping_templates
from django_vox.admin.deliveries import ProtocolFilter
from django_vox.admin.editor_preview import editor_media
from django_vox.admin.forms import DIGEST_FIELDS, TemplateForm, backend_info
from django_vox.admin.preferences import ModelNameFilter
from django_vox.backends import backends as backend_registry
from django_vox.exceptions import VoxError
from django_vox.models import Notification, SiteContact, SiteContactSetting, Template
from django_vox.registry import locales, objects

__all__ = ["NotificationAdmin", "SiteContactAdmin", "SiteContactForm",
           "SiteContactSettingInline", "TemplateInline"]


class TemplateInline(admin.StackedInline):
    model = Template
    form = TemplateForm
    extra = 0
    fields = ["backend", "recipients", "from_address", "subject", "content", "attachments",
              "bulk", "enabled", *DIGEST_FIELDS]

    #: What users who may only view see instead of the stored codes.
    READ_ONLY_WORDS = {"backend": "backend_name", "recipients": "recipient_words"}

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("translations")

    @admin.display(description=_("translations"))
    def translations(self, template):
        """Each language the site offers: translated, missing or out of date (links)."""
        if not template.pk:
            return gettext("Save the template first.")
        return translation_pages.template_links(self.admin_site.name, template)

    @admin.display(description=_("attachments"))
    def attachments(self, template):
        """Read-only display (users who may only view): the attachments by name."""
        if not template.pk:
            return "-"
        names = dict(introspection.attachment_choices(template.notification))
        return ", ".join(names.get(a.key, a.key) for a in template.attachments.all()) or "-"

    @admin.display(description=_("backend"))
    def backend_name(self, template):
        return words.backend_name(template.backend)

    @admin.display(description=_("recipients"))
    def recipient_words(self, template):
        return words.recipient_words(template.notification, template.get_recipient_keys())

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if translation_pages.other_languages() and "translations" not in fields:
            fields = [*fields, "translations"]
        if self.has_change_permission(request, obj):
            return fields
        return [self.READ_ONLY_WORDS.get(name, name) for name in fields]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if translation_pages.other_languages():
            readonly.append("translations")
        if not self.has_change_permission(request, obj):
            readonly += list(self.READ_ONLY_WORDS.values())
        return readonly

    def get_formset(self, request, obj=None, **kwargs):
        # Give each form the notification, so recipients and attachments are its own.
        kwargs["form"] = type("TemplateForm", (self.form,), {"notification": obj})
        return super().get_formset(request, obj, **kwargs)


#: Functions ``(model_admin, wrap) -> [URL patterns]`` adding pages to the
#: notification admin.  The core adds none; django_vox.compat adds the 4.x URL
#: names from VoxConfig.ready() (the core never imports compat).
EXTRA_URLS = []


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["display_name", "about", "who_can_turn_off", "template_count",
                    "last_updated"]
    list_filter = [("object_type", ModelNameFilter), "required", "from_code"]
    search_fields = ["codename", "description", "name"]
    fields = ["name", "codename", "object_type", "description", "actor_type", "target_type",
              "required", "default_enabled", "activity_type", "from_code"]
    inlines = [TemplateInline]
    change_form_template = "django_vox/admin/notification_change_form.html"

    #: Fields that make_notifications keeps equal to the code.
    CODE_FIELDS = ["codename", "object_type", "description", "actor_type", "target_type",
                   "required", "default_enabled", "activity_type"]

    @property
    def media(self):
        return super().media + editor_media()

    @admin.display(description=_("notification"), ordering="name")
    def display_name(self, obj):
        return words.notification_name(obj)

    @admin.display(description=_("about"), ordering="object_type__model")
    def about(self, obj):
        return capfirst(obj.object_type.name) if obj.object_type_id else "—"

    @admin.display(description=_("recipients may turn it off"), ordering="required")
    def who_can_turn_off(self, obj):
        return gettext("No, always sent") if obj.required else gettext("Yes")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        """Object, actor and target types: the registered models, by name."""
        if db_field.name in ("object_type", "actor_type", "target_type"):
            models = objects.models()
            types = ContentType.objects.get_for_models(*models).values() if models else []
            kwargs["queryset"] = ContentType.objects.filter(pk__in=[ct.pk for ct in types])
            field = super().formfield_for_foreignkey(db_field, request, **kwargs)
            field.label_from_instance = lambda ct: capfirst(ct.name)
            return field
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_inlines(self, request, obj):
        # Templates are written once the notification exists (its object,
        # actor and target decide the recipients and variables offered).
        return self.inlines if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.from_code:
            return False  # make_notifications would bring it back
        return super().has_delete_permission(request, obj)

    def get_actions(self, request, action_location=None):
        # Django 6.1 passes where the actions show (change list or change form)
        # and deprecates overrides without the argument; 5.2 and 6.0 know none.
        if action_location is None:
            actions = super().get_actions(request)
        else:
            actions = super().get_actions(request, action_location=action_location)
        actions.pop("delete_selected", None)  # some are declared in code
        return actions

    def _warn_disabled_backends(self, request, notification):
        """Enabled templates whose backend is not enabled send nothing (check W002)."""
        for template in notification.templates.filter(enabled=True):
            if backend_registry.get(template.backend) is None:
                self.message_user(request, gettext(
                    "%(template)s sends nothing: its delivery method is not enabled on this "
                    "site. Ask the developers to enable it, or switch the template off.") % {
                    "template": words.template_heading(template)}, messages.WARNING)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        for formset in formsets:
            for template_form in formset.forms:
                for warning in getattr(template_form, "warnings", ()):
                    self.message_user(request, gettext(
                        "%(template)s uses a variable the picker does not offer (it prints "
                        "nothing): %(where)s") % {
                        "template": words.template_heading(template_form.instance),
                        "where": warning}, messages.WARNING)
        self._warn_overlaps(request, form.instance)

    def _warn_overlaps(self, request, notification):
        templates = list(notification.templates.all())
        for first, second, shared in overlapping_templates(templates):
            self.message_user(request, ngettext(
                "Two enabled templates (%(first)s; %(second)s) send the same backend to "
                "%(shared)s: everybody there gets two messages.",
                "Two enabled templates (%(first)s; %(second)s) send the same backend to "
                "%(shared)s: everybody there gets two messages.", len(shared)) % {
                "first": words.template_heading(first), "second": words.template_heading(second),
                "shared": words.recipient_words(notification, shared)}, messages.WARNING)

    def get_queryset(self, request):
        rows = (super().get_queryset(request)
                .select_related("object_type", "actor_type", "target_type")
                .annotate(template_count=Count("templates")))
        if translation_pages.other_languages():  # the list's translations, in two queries a page
            rows = rows.prefetch_related("templates__translations")
        return rows

    @admin.display(description=_("templates"), ordering="template_count")
    def template_count(self, obj):
        return obj.template_count

    @admin.display(description=_("translations to do"))
    def translations_to_do(self, obj):
        """Missing and out-of-date translations of its enabled templates."""
        return translation_pages.summary(obj) or gettext("none")

    def get_list_display(self, request):
        shown = list(super().get_list_display(request))
        if translation_pages.other_languages():  # a site offering several languages
            shown.append("translations_to_do")
        return shown

    #: Flags shown in words where they cannot be changed (not ✔/✖).
    FLAG_WORDS = {"required": "required_words", "default_enabled": "default_enabled_words",
                  "from_code": "from_code_words", "object_type": "object_type_words",
                  "actor_type": "actor_type_words", "target_type": "target_type_words"}

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.from_code:
            return [self.FLAG_WORDS.get(name, name) for name in self.CODE_FIELDS + ["from_code"]]
        return ["from_code_words"]

    def get_fields(self, request, obj=None):
        read_only = set(self.get_readonly_fields(request, obj))
        return [self.FLAG_WORDS[name] if self.FLAG_WORDS.get(name) in read_only else name
                for name in self.fields]

    @admin.display(description=_("required"))
    def required_words(self, obj):
        if obj.required:
            return gettext("Yes: always sent, recipients cannot turn it off")
        return gettext("No: recipients may turn it off")

    @admin.display(description=_("enabled by default"))
    def default_enabled_words(self, obj):
        if obj.default_enabled:
            return gettext("Yes: sent unless a recipient turns it off")
        return gettext("No: sent only to recipients who turn it on")

    @admin.display(description=_("object type"))
    def object_type_words(self, obj):
        return capfirst(obj.object_type.name) if obj.object_type_id else "—"

    @admin.display(description=_("actor type"))
    def actor_type_words(self, obj):
        return capfirst(obj.actor_type.name) if obj.actor_type_id else "—"

    @admin.display(description=_("target type"))
    def target_type_words(self, obj):
        return capfirst(obj.target_type.name) if obj.target_type_id else "—"

    @admin.display(description=_("declared in code"))
    def from_code_words(self, obj):
        if obj is not None and obj.from_code:
            return gettext("Yes: the developers keep it in step with the code")
        return gettext("No: made by hand in the admin")

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            *translation_pages.urls(self, wrap),  # before "<path:object_id>/…", which would match
            path("<path:object_id>/preview/", wrap(self.preview_view),
                 name="django_vox_notification_preview"),
            path("<path:object_id>/issue/", wrap(self.issue_view),
                 name="django_vox_notification_issue"),
            path("<path:object_id>/search/<str:role>/", wrap(self.search_view),
                 name="django_vox_notification_search"),
            path("one-time-preview/", wrap(self.one_time_preview_view),
                 name="django_vox_one_time_preview"),
            # With the admin's words: the admin's page script replaces
            # window.django after admin:jsi18n ran, so the catalog loaded
            # last answers every gettext() of the page, the admin's too.
            path("jsi18n/", wrap(JavaScriptCatalog.as_view(
                packages=["django.contrib.admin", "django_vox"])), name="django_vox_jsi18n"),
            *(pattern for extend in EXTRA_URLS for pattern in extend(self, wrap)),
        ] + super().get_urls()

    def preview_view(self, request, object_id):
        return views.preview_view(self, request, object_id)

    def issue_view(self, request, object_id):
        return views.issue_view(self, request, object_id)

    def search_view(self, request, object_id, role):
        return views.search_view(self, request, object_id, role)

    def one_time_preview_view(self, request):
        return views.one_time_preview_view(request, self.admin_site)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        notification = self.get_object(request, object_id)
        if notification is not None:
            extra_context.update(self.editor_context(notification))
            if request.method == "GET":
                self._warn_disabled_backends(request, notification)
        return super().change_view(request, object_id, form_url, extra_context)

    def editor_context(self, notification):
        """Data the editor script reads: backends, variables, the preview URL."""
        name = self.admin_site.name
        return {
            "vox_notification_name": words.notification_name(notification),
            "subtitle": words.notification_name(notification),  # not str(): codes
            "vox_editor": {
                "backends": backend_info(),
                "variables": introspection.variables(notification),
                "digest_variables": introspection.digest_variables(notification),
                "preview_url": reverse(f"{name}:django_vox_notification_preview",
                                       args=[notification.pk]),
                "search_url": views.search_urls(name, notification)["object"],
            },
            "vox_can_issue": views.can_issue(notification),
            "vox_issue_url": reverse(f"{name}:django_vox_notification_issue",
                                     args=[notification.pk]),
        }


def _reason(error) -> str:
    """The reason of an InvalidAddress, without the address and protocol code."""
    text = str(error)
    return text.split(": ", 1)[1] if text.startswith("Invalid address") and ": " in text else text


class SiteContactForm(forms.ModelForm):
    protocol = forms.ChoiceField(label=_("protocol"))
    language = forms.ChoiceField(label=_("language"), required=False)

    class Meta:
        model = SiteContact
        fields = ["name", "protocol", "address", "enable_filter", "language", "timezone"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["protocol"].choices = words.protocol_choices(self.instance.protocol)
        self.fields["language"].choices = [("", gettext("The site's default language")),
                                           *locales.offered_languages()]

    def clean_timezone(self):
        zone = self.cleaned_data.get("timezone", "").strip()
        if zone:
            try:
                zoneinfo.ZoneInfo(zone)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                raise forms.ValidationError(gettext(
                    "“%(zone)s” is not a time zone name; write one such as “Europe/Paris”.")
                    % {"zone": zone}, code="timezone") from None
        return zone

    def clean(self):
        """The address must be one the protocol's backends can send to."""
        cleaned = super().clean()
        protocol, address = cleaned.get("protocol"), cleaned.get("address")
        backends = backend_registry.by_protocol(protocol) if protocol and address else []
        for backend_class in backends:  # every backend of the protocol must take it
            try:
                backend_class().validate_address(address)
            except (VoxError, ValueError) as err:
                self.add_error("address", gettext("This is not an address for %(protocol)s: "
                                                  "%(reason)s") % {
                    "protocol": words.protocol_name(protocol),
                    "reason": _reason(err)})
                break
        return cleaned


class SiteContactSettingInline(admin.TabularInline):
    model = SiteContactSetting
    extra = 0
    fields = ["notification", "enabled"]
    verbose_name = _("notification setting")
    verbose_name_plural = _("Notification settings (on for a whitelist, off for a blacklist)")


@admin.register(SiteContact)
class SiteContactAdmin(admin.ModelAdmin):
    form = SiteContactForm
    list_display = ["name", "protocol_name", "address", "enable_filter"]
    list_filter = [ProtocolFilter, "enable_filter"]

    @admin.display(description=_("protocol"), ordering="protocol")
    def protocol_name(self, obj):
        return words.protocol_name(obj.protocol)
    search_fields = ["name", "address"]
    inlines = [SiteContactSettingInline]
