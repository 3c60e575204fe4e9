"""Admin of what providers reported (:mod:`django_vox.tracking`): the events,
read-only, those of unknown messages included.

A provider's report can echo the message: Postmark's bounces and spam
complaints carry its ``Subject`` and ``Content``, Mailgun's and Amazon SES's
events its headers, a click the link clicked (an unsubscribe link's token).
So reading the description and the payload unmasked needs
``django_vox.view_delivery_content``, as the delivery log's messages do;
everyone else sees them as :func:`django_vox.admin.masking.masked_text` and
:func:`~django_vox.admin.masking.masked_payload` show them (with the secret
values the event's delivery recorded), and searches by message id and
address only.
"""

import json

from django.contrib import admin
from django.db.models.fields.json import KeyTransform
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from django_vox.admin import masking
from django_vox.models import DeliveryEvent

__all__ = ["DeliveryEventAdmin", "MatchedFilter"]

#: The columns and fields shown masked, and what shows them.
MASKED = {"description": "masked_description", "payload": "masked_payload"}
_LABELS = {name: DeliveryEvent._meta.get_field(name).verbose_name for name in MASKED}


class MatchedFilter(admin.SimpleListFilter):
    title = _("message")
    parameter_name = "matched"

    def lookups(self, request, model_admin):
        return [("yes", _("a logged delivery")), ("no", _("unknown message"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(delivery__isnull=False)
        if self.value() == "no":
            return queryset.filter(delivery__isnull=True)
        return queryset


def _secrets(obj):
    """The secret values the event's delivery recorded with its message."""
    if not hasattr(obj, "vox_secrets"):
        message = obj.delivery.message if obj.delivery_id is not None else None
        obj.vox_secrets = (message or {}).get(masking.SECRET_VALUES)
    return [value for value in obj.vox_secrets or () if isinstance(value, str) and value]


@admin.register(DeliveryEvent)
class DeliveryEventAdmin(admin.ModelAdmin):
    """What providers reported, read-only; events of unknown messages too."""

    list_display = ["occurred_at", "kind", "provider", "address", "delivery_link",
                    "description"]
    list_filter = ["kind", MatchedFilter, "provider", "occurred_at"]
    search_fields = ["provider_message_id", "address", "description"]
    date_hierarchy = "occurred_at"
    fields = ["delivery", "kind", "occurred_at", "received_at", "provider",
              "provider_message_id", "address", "description", "payload"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("delivery"))
    def delivery_link(self, obj):
        if obj.delivery_id is None:
            return gettext("unknown message %(id)s") % {"id": obj.provider_message_id or "—"}
        url = reverse("admin:django_vox_delivery_change", args=[obj.delivery_id])
        return format_html('<a href="{}">{}</a>', url, gettext("delivery"))

    # -- masked for those who may not read messages (see admin.masking) -----------

    @admin.display(description=_LABELS["description"])
    def masked_description(self, obj):
        return masking.masked_text(obj.description, _secrets(obj))

    @admin.display(description=_LABELS["payload"])
    def masked_payload(self, obj):
        payload = masking.masked_payload(obj.payload, _secrets(obj))
        return json.dumps(payload, ensure_ascii=False, default=str)

    def _masked_names(self, request, names):
        if masking.may_read(request.user):
            return list(names)
        return [MASKED.get(name, name) if isinstance(name, str) else name for name in names]

    def get_queryset(self, request):
        # The secret values of each event's delivery, in the list's one query
        # (only those who see the events masked need them).
        queryset = super().get_queryset(request)
        if masking.may_read(request.user):
            return queryset
        return queryset.annotate(vox_secrets=KeyTransform(masking.SECRET_VALUES,
                                                          "delivery__message"))

    def get_list_display(self, request):
        return self._masked_names(request, super().get_list_display(request))

    def get_fields(self, request, obj=None):
        return self._masked_names(request, super().get_fields(request, obj))

    def get_readonly_fields(self, request, obj=None):
        return self._masked_names(request, super().get_readonly_fields(request, obj))

    def get_search_fields(self, request):
        fields = super().get_search_fields(request)
        if masking.may_read(request.user):
            return fields
        return [name for name in fields if name not in MASKED]
