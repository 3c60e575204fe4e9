"""Admin of the delivery log (and of its failed messages), with a resend action
and a Resend button (through :func:`django_vox.issuing.resending.resend`, the one
resend path).

The log is shown in words: the subject, the notification's name, the backend's
name, the addresses as text and the status; each delivery's page shows the
message as its recipient sees it (the HTML in a frame that runs nothing).
Without ``django_vox.view_delivery_content`` the page and the list show it
masked (:mod:`django_vox.admin.masking`), and the timeline of what the
provider said too.
"""

import json

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.text import Truncator, capfirst
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from django_vox.admin import masking, words
from django_vox.issuing import resending
from django_vox.models import Delivery, FailedMessage
from django_vox.tracking.admin import ProviderSaidFilter, TrackingColumns

__all__ = ["DeliveryAdmin", "FailedMessageAdmin", "resend_text"]


def resend_text(result, reasons=()) -> str:
    """What a resend did, in words, with the ``reasons`` of the failures."""
    text = ngettext("%(sent)d message resent, %(failed)d failed",
                    "%(sent)d messages resent, %(failed)d failed", result.sent) % {
        "sent": result.sent, "failed": result.failed}
    if result.skipped:
        text += gettext(", %(count)d already sent (skipped)") % {"count": result.skipped}
    if result.suppressed:
        text += gettext(", %(count)d suppressed by the recipient's preferences (skipped)") % {
            "count": result.suppressed}
    text += "."
    if reasons:
        text += " " + gettext("Why: %(reasons)s.") % {"reasons": "; ".join(reasons)}
    return text


def failure_reasons(result) -> list[str]:
    """The distinct errors of the deliveries ``result`` did not send, in words."""
    failed = [pk for pk, ok in result.outcomes.items() if not ok]
    errors = (Delivery.objects.filter(pk__in=failed, status=Delivery.FAILED).order_by()
              .values_list("error", flat=True).distinct())
    return sorted({words.error_words(error).rstrip(".") for error in errors if error})


class _UsedValueFilter(admin.SimpleListFilter):
    """Choices: the values of the field ``parameter_name`` that the admin's
    rows use (empty ones aside), in words by ``value_words`` and sorted by
    them; choosing one keeps the rows with that value."""

    def lookups(self, request, model_admin):
        # order_by(): the admin's ordering would make DISTINCT keep one row per object.
        used = (model_admin.get_queryset(request).order_by()
                .values_list(self.parameter_name, flat=True).distinct())
        return sorted(((key, self.value_words(key)) for key in used if key), key=lambda c: c[1])

    def queryset(self, request, queryset):
        value = self.value()
        return queryset.filter(**{self.parameter_name: value}) if value else queryset


class BackendFilter(_UsedValueFilter):
    title = _("backend")
    parameter_name = "backend"
    value_words = staticmethod(words.backend_name)


class ProtocolFilter(_UsedValueFilter):
    title = _("protocol")
    parameter_name = "protocol"
    value_words = staticmethod(words.protocol_name)


class DeliveryAdmin(TrackingColumns, admin.ModelAdmin):
    """The delivery log: read-only, with a resend action and button."""

    list_display = ["created_at", "message_line", "backend_name", "outcome", "recipients"]
    list_display_links = ["created_at", "message_line"]
    list_filter = ["status", ProviderSaidFilter, BackendFilter, ProtocolFilter, "created_at"]
    search_fields = ["to_addresses", "error", "from_address", "message__subject",
                     "digest_key", "provider_message_id"]
    date_hierarchy = "created_at"
    actions = ["resend"]
    readonly_fields = ["subject", "notification_name", "recipients", "from_address",
                       "backend_name", "protocol_name", "status_words", "attempts", "error",
                       "created_at", "sent_at", "next_attempt_at", "about", "issue",
                       "digest_words", "digest_due", "digest", "provider_message_id",
                       "provider_said"]
    fields = readonly_fields
    list_select_related = ["notification__object_type"]
    change_form_template = "django_vox/admin/delivery_change_form.html"

    class Media:
        css = {"all": ["django_vox/admin/deliveries.css"]}

    def has_add_permission(self, request):
        return False

    # -- the columns, in words ---------------------------------------------------

    @admin.display(description=_("subject"))
    def subject(self, obj):
        return (obj.message or {}).get("subject") or "—"

    @admin.display(description=_("subject"))
    def masked_subject(self, obj):
        return masking.masked_text(self.subject(obj), _secrets(obj))

    @admin.display(description=_("message"))
    def masked_message_line(self, obj):
        return format_html('{}<br><span class="quiet">{}</span>', self.masked_subject(obj),
                           self.notification_name(obj))

    # -- masked for those who may not read messages (see admin.masking) -----------

    _MASKED = {"subject": "masked_subject", "message_line": "masked_message_line"}

    def _masked_names(self, request, names):
        if masking.may_read(request.user):
            return list(names)
        return [self._MASKED.get(name, name) if isinstance(name, str) else name
                for name in names]

    def get_list_display(self, request):
        return self._masked_names(request, super().get_list_display(request))

    def get_list_display_links(self, request, list_display):
        return self._masked_names(request, super().get_list_display_links(request,
                                                                          list_display))

    def get_readonly_fields(self, request, obj=None):
        return self._masked_names(request, super().get_readonly_fields(request, obj))

    def get_fields(self, request, obj=None):
        return self._masked_names(request, super().get_fields(request, obj))

    def get_search_fields(self, request):
        fields = super().get_search_fields(request)
        if masking.may_read(request.user):
            return fields
        return [name for name in fields if not name.startswith("message__")]

    @admin.display(description=_("message"))
    def message_line(self, obj):
        """The subject, and under it the notification (one column, to fit a laptop)."""
        return format_html('{}<br><span class="quiet">{}</span>', self.subject(obj),
                           self.notification_name(obj))

    @admin.display(description=_("notification"), ordering="notification")
    def notification_name(self, obj):
        if obj.notification_id is None:
            return gettext("One-time message")
        return words.notification_name(obj.notification)

    def lookup_allowed(self, lookup, value, request=None):
        # ?issue_id=… lists one issue's deliveries (linked from background issues).
        return lookup == "issue_id" or super().lookup_allowed(lookup, value, request)

    @admin.display(description=_("to"))
    def recipients(self, obj):
        return ", ".join(obj.to_addresses or [])

    @admin.display(description=_("backend"), ordering="backend")
    def backend_name(self, obj):
        return words.backend_name(obj.backend)

    @admin.display(description=_("protocol"), ordering="protocol")
    def protocol_name(self, obj):
        return words.protocol_name(obj.protocol)

    @admin.display(description=_("status"), ordering="status")
    def status_words(self, obj):
        status = obj.get_status_display()
        if obj.attempts > 1:
            return gettext("%(status)s after %(count)d attempts") % {
                "status": status, "count": obj.attempts}
        return status

    @admin.display(description=_("about"))
    def about(self, obj):
        if obj.object_type_id is None:
            return "—"
        model = obj.object_type.model_class()
        instance = model._default_manager.filter(pk=obj.object_id).first() if model else None
        name = capfirst(obj.object_type.name)
        return f"{name}: {instance}" if instance is not None else f"{name} #{obj.object_id}"

    @admin.display(description=_("error"))
    def short_error(self, obj):
        return Truncator(words.error_words(obj.error)).chars(100)

    @admin.display(description=_("status"), ordering="status")
    def outcome(self, obj):
        """The status in words and, under it, the error of a failure in short
        (the whole error is on the delivery's page)."""
        status = capfirst(self.status_words(obj))
        if obj.error and obj.status == Delivery.FAILED:
            status = format_html('{}<br><span class="quiet">{}</span>', status,
                                 self.short_error(obj))
        return self.with_provider_said(obj, status)  # what the provider said, under it

    @admin.display(description=_("issue"))
    def issue(self, obj):
        if obj.issue_id is None:
            return "—"
        url = reverse(f"{self.admin_site.name}:django_vox_delivery_changelist")
        return format_html('<a href="{}?issue_id={}">{}</a>', url, obj.issue_id,
                           gettext("All deliveries of this issue"))

    @admin.display(description=_("digest"))
    def digest_words(self, obj):
        """The digest a held message goes into: its template, protocol and address."""
        template_id, _slash, contact = obj.digest_key.partition("/")
        protocol, _colon, address = contact.partition(":")
        if not obj.digest_key:
            return "—"
        text = gettext("%(protocol)s to %(address)s") % {
            "protocol": words.protocol_name(protocol), "address": address}
        if obj.notification_id is None:
            return text
        url = reverse(f"{self.admin_site.name}:django_vox_notification_change",
                      args=[obj.notification_id])
        return format_html('{} (<a href="{}">{}</a>, {})', text, url,
                           words.notification_name(obj.notification),
                           gettext("template %(id)s") % {"id": template_id})

    # -- the page of one delivery ------------------------------------------------

    def get_urls(self):
        opts = self.model._meta
        return [
            path("<path:object_id>/resend/", self.admin_site.admin_view(self.resend_view),
                 name=f"{opts.app_label}_{opts.model_name}_resend"),
        ] + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        row = self.get_object(request, object_id)
        if row is not None:
            readable = masking.may_read(request.user)
            extra_context["vox_message"] = self._message(row, readable)
            extra_context.update(self._events(row, readable))
            extra_context["title"] = gettext("Delivery to %(to)s") % {"to": self.recipients(row)}
            extra_context["subtitle"] = (self.subject(row) if readable  # not str(row): codes
                                         else self.masked_subject(row))
            if row.status in (Delivery.QUEUED, Delivery.FAILED) and \
                    self.has_change_permission(request, row):
                opts = self.model._meta
                extra_context["vox_resend_url"] = reverse(
                    f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_resend",
                    args=[row.pk])
        return super().change_view(request, object_id, form_url, extra_context)

    def changelist_view(self, request, extra_context=None):
        title = gettext("Delivery log") if self.model is Delivery else \
            self.model._meta.verbose_name_plural.capitalize()
        extra_context = {"title": title, **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    def _events(self, row, readable):
        """The timeline; its descriptions masked as the message is (a click's
        description is the link clicked)."""
        context = self.tracking_context(row)
        if not readable:
            for event in context["vox_events"]:
                event.description = masking.masked_text(event.description, _secrets(row))
        return context

    @staticmethod
    def _message(row, readable=True):
        message = row.message or {}
        if not readable:
            message = masking.masked_message(message)
        data = message.get("data")
        return {
            "masked_note": "" if readable else masking.masked_note(),
            "subject": message.get("subject") or "",
            "html": message.get("html") or "",
            "text": message.get("text") or "",
            "data": data,
            "data_json": json.dumps(data, indent=2, ensure_ascii=False) if data else "",
            "attachments": [a.get("filename", "") for a in message.get("attachments") or []],
        }

    def resend_view(self, request, object_id):
        """POST: resend one delivery, then back to its page with the outcome."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        row = get_object_or_404(self.get_queryset(request), pk=object_id)
        if not self.has_change_permission(request, row):
            raise PermissionDenied
        result = resending.resend([row])
        self.message_user(request, resend_text(result, failure_reasons(result)),
                          messages.WARNING if result.failed else messages.SUCCESS)
        opts = self.model._meta
        return redirect(f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_change",
                        row.pk)

    @admin.action(description=_("Resend the selected messages"), permissions=["change"])
    def resend(self, request, queryset):
        result = resending.resend(queryset)
        self.message_user(request, resend_text(result, failure_reasons(result)),
                          messages.WARNING if result.failed else messages.SUCCESS)


def _secrets(row):
    return (row.message or {}).get(masking.SECRET_VALUES) or ()


admin.site.register(Delivery, DeliveryAdmin)


@admin.register(FailedMessage)
class FailedMessageAdmin(DeliveryAdmin):
    list_filter = [ProviderSaidFilter, BackendFilter, ProtocolFilter, "created_at"]
