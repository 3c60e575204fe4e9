"""Admin of recipients' preferences."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from django_vox.models import Preference

__all__ = ["PreferenceAdmin"]


class OwnerKindFilter(admin.SimpleListFilter):
    title = _("owner")
    parameter_name = "owner_kind"

    def lookups(self, request, model_admin):
        return [("object", _("An object")), ("address", _("An address with no object"))]

    def queryset(self, request, queryset):
        if self.value() == "object":
            return queryset.filter(owner_type__isnull=False)
        if self.value() == "address":
            return queryset.filter(owner_type__isnull=True)
        return queryset


@admin.register(Preference)
class PreferenceAdmin(admin.ModelAdmin):
    list_display = ["owner_label", "notification_label", "protocol_label", "enabled", "delivery",
                    "updated_at"]
    list_filter = ["enabled", OwnerKindFilter, ("owner_type", admin.RelatedOnlyFieldListFilter),
                   ("notification", admin.RelatedOnlyFieldListFilter), "protocol", "updated_at"]
    list_select_related = ["owner_type", "notification__object_type"]
    search_fields = ["owner_id", "address", "notification__codename", "protocol"]
    readonly_fields = ["owner", "updated_at"]
    fields = ["owner_type", "owner_id", "address", "owner", "notification", "protocol", "enabled",
              "delivery", "updated_at"]
    date_hierarchy = "updated_at"

    @admin.display(description=_("owner"), ordering="owner_type")
    def owner_label(self, obj):
        if obj.owner_type_id:
            return f"{obj.owner_type.app_label}.{obj.owner_type.model} #{obj.owner_id}"
        return f"{obj.protocol}: {obj.address}"

    @admin.display(description=_("owner object"))
    def owner(self, obj):
        instance = obj.get_owner() if obj.pk else None
        return str(instance) if instance is not None else "—"

    @admin.display(description=_("notification"), ordering="notification")
    def notification_label(self, obj):
        return str(obj.notification) if obj.notification_id else _("(all notifications)")

    @admin.display(description=_("protocol"), ordering="protocol")
    def protocol_label(self, obj):
        return obj.protocol or _("(all protocols)")
