"""Admin of the delivery log (and of its failed messages), with a resend action
(through :func:`django_vox.resending.resend`, the one resend path)."""

from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from django_vox import resending
from django_vox.models import Delivery, FailedMessage

__all__ = ["DeliveryAdmin", "FailedMessageAdmin"]


class DeliveryAdmin(admin.ModelAdmin):
    """The delivery log: read-only, with a resend action."""

    list_display = ["created_at", "backend", "recipients", "status", "attempts", "notification",
                    "short_error"]
    list_filter = ["status", "backend", "protocol", "created_at"]
    search_fields = ["to_addresses", "error", "from_address", "digest_key"]
    date_hierarchy = "created_at"
    actions = ["resend"]
    readonly_fields = ["issue_id", "notification", "template", "object_type", "object_id",
                       "backend", "protocol", "from_address", "to_addresses", "status",
                       "attempts", "error", "created_at", "updated_at", "sent_at",
                       "next_attempt_at", "message_subject", "message_text", "digest_key",
                       "digest_due", "digest"]
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
        result = resending.resend(queryset)
        sent, failed = result.sent, result.failed
        already, suppressed = result.skipped, result.suppressed
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
