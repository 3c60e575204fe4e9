"""Admin of background issues: read-only, with their progress (chunks done and
the counts of their deliveries) so an operator can follow a large issue and
see what ``vox_recover`` will pick up."""

from django.contrib import admin
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from django_vox.models import BackgroundIssue, Delivery, IssueChunk

__all__ = ["BackgroundIssueAdmin"]

_COUNTED = (Delivery.SENT, Delivery.FAILED, Delivery.QUEUED, Delivery.SUPPRESSED)


def _count_of(status):
    """A subquery counting the issue's deliveries with ``status`` (no query per row)."""
    rows = (Delivery.objects.filter(issue_id=OuterRef("pk"), status=status).order_by()
            .values("issue_id").annotate(n=Count("pk")).values("n"))
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def _chunks_done():
    rows = (IssueChunk.objects.filter(issue=OuterRef("pk"), state=IssueChunk.DONE).order_by()
            .values("issue").annotate(n=Count("pk")).values("n"))
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


class ChunkInline(admin.TabularInline):
    model = IssueChunk
    fields = ["number", "template", "size", "state", "attempts", "sent", "failed",
              "suppressed", "error", "updated_at", "finished_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(BackgroundIssue)
class BackgroundIssueAdmin(admin.ModelAdmin):
    """Background issues: what was issued, how far it got."""

    list_display = ["created_at", "notification", "state", "chunks", "sent", "failed", "queued",
                    "suppressed", "finished_at"]
    list_filter = ["state", "created_at"]
    date_hierarchy = "created_at"
    list_select_related = ["notification__object_type"]
    fields = ["id", "notification", "object_ref", "actor_ref", "target_ref", "state", "chunks",
              "sent", "failed", "queued", "suppressed", "deliveries", "plan_attempts", "error",
              "created_at", "updated_at", "finished_at"]
    readonly_fields = fields
    inlines = [ChunkInline]

    def get_queryset(self, request):
        counts = {f"n_{status}": _count_of(status) for status in _COUNTED}
        return super().get_queryset(request).annotate(n_chunks_done=_chunks_done(), **counts)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("chunks done"))
    def chunks(self, obj):
        return f"{obj.n_chunks_done} / {obj.chunks_planned}"

    @admin.display(description=_("sent"), ordering="n_sent")
    def sent(self, obj):
        return obj.n_sent

    @admin.display(description=_("failed"), ordering="n_failed")
    def failed(self, obj):
        return obj.n_failed

    @admin.display(description=_("queued"), ordering="n_queued")
    def queued(self, obj):
        return obj.n_queued

    @admin.display(description=_("suppressed"), ordering="n_suppressed")
    def suppressed(self, obj):
        return obj.n_suppressed

    @admin.display(description=_("delivery log"))
    def deliveries(self, obj):
        url = reverse("admin:django_vox_delivery_changelist") + "?" + urlencode(
            {"issue_id": str(obj.pk)})
        return format_html('<a href="{}">{}</a>', url, _("This issue's deliveries"))
