"""Admin of the in-app messages: listed and shown read-only (they are what
was delivered); deleting one takes it from the user's list."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from django_vox.admin.activity import RecordAdmin
from django_vox.inapp.models import InAppMessage

__all__ = ["InAppMessageAdmin"]


@admin.register(InAppMessage)
class InAppMessageAdmin(RecordAdmin):
    list_display = ("title", "user", "state_name", "notification", "created_at")
    list_filter = ("notification", ("read_at", admin.EmptyFieldListFilter),
                   ("archived_at", admin.EmptyFieldListFilter))
    search_fields = ("title",)
    date_hierarchy = "created_at"
    list_select_related = ("user", "notification")

    @admin.display(description=_("state"))
    def state_name(self, obj):
        return obj.state
