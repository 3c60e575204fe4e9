"""Admin of what the activity backend stored: activities and inbox items,
shown read-only."""

from django.contrib import admin

from django_vox.models import Activity, InboxItem

__all__ = ["ActivityAdmin", "InboxItemAdmin", "InboxItemInline", "RecordAdmin"]


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
