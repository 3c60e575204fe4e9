"""The admin's parts of tracking: what providers said in the delivery log
(a column, a filter, the timeline on a delivery's page) and the suppression
list with a "lift" action that asks for a note.  The events themselves
(those of unknown messages included) are in :mod:`django_vox.admin.events`,
beside the masking they share with the delivery log.
"""

from django import forms
from django.contrib import admin, messages
from django.db.models import Exists, OuterRef
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from django_vox.models import DeliveryEvent, Suppression
from django_vox.tracking.models import EventKind
from django_vox.tracking.suppression import lift, normalize

__all__ = ["ProviderSaidFilter", "TrackingColumns", "SuppressionAdmin", "LiftForm"]

#: The kinds the delivery log sums up, as ``provider_status`` or an event.
SUMMED = [(EventKind.DELIVERED, _("delivered")), (EventKind.BOUNCED, _("bounced")),
          (EventKind.COMPLAINED, _("complained")), (EventKind.OPENED, _("opened")),
          (EventKind.CLICKED, _("clicked"))]
_BY_EVENT = (EventKind.OPENED, EventKind.CLICKED)


def _has_event(kind):
    return Exists(DeliveryEvent.objects.filter(delivery=OuterRef("pk"), kind=kind))


class ProviderSaidFilter(admin.SimpleListFilter):
    """Deliveries by what their provider reported."""

    title = _("what the provider said")
    parameter_name = "provider_said"

    def lookups(self, request, model_admin):
        return [*SUMMED, ("none", _("nothing yet"))]

    def queryset(self, request, queryset):
        value = self.value()
        if value in _BY_EVENT:
            return queryset.filter(_has_event(value))
        if value == "none":
            return queryset.filter(provider_status="")
        if value in dict(SUMMED):
            return queryset.filter(provider_status=value)
        return queryset


class TrackingColumns:
    """Mixed into the delivery log's ModelAdmin: what the provider said under
    the status (the delivery's provider status, and whether it was opened or
    clicked: two EXISTS in the list's one query), and the events of a
    delivery's page.  The ModelAdmin's status column calls
    :meth:`with_provider_said`."""

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            vox_opened=_has_event(EventKind.OPENED), vox_clicked=_has_event(EventKind.CLICKED))

    @admin.display(description=_("provider said"), ordering="provider_status")
    def provider_said(self, obj):
        said = []
        if obj.provider_status:
            said.append(EventKind(obj.provider_status).label
                        if obj.provider_status in EventKind.values else obj.provider_status)
        if getattr(obj, "vox_opened", False):
            said.append(EventKind.OPENED.label)
        if getattr(obj, "vox_clicked", False):
            said.append(EventKind.CLICKED.label)
        if not said:
            return "—"
        return format_html_join(" · ", '<span class="vox-said vox-said-{}">{}</span>',
                                ((word.replace(" ", "-"), word) for word in
                                 (str(part) for part in said)))

    def with_provider_said(self, obj, status_text):
        """The log's status column with what the provider said under it (one
        column, so the list still fits a laptop's screen)."""
        said = self.provider_said(obj)
        if said == "—":
            return status_text
        return format_html('{}<br><span class="quiet vox-provider-said">{}</span>',
                           status_text, said)

    def tracking_context(self, row) -> dict:
        """The change page's timeline: the delivery's events, oldest first."""
        events = list(DeliveryEvent.objects.filter(delivery=row.pk)
                      .order_by("occurred_at", "pk")[:200])
        return {"vox_events": events}


class LiftForm(forms.Form):
    """The note a "lift" asks for."""

    note = forms.CharField(label=_("Why may these addresses get messages again?"),
                           widget=forms.Textarea(attrs={"rows": 3, "cols": 60}), max_length=2000)


class ActiveFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "active"

    def lookups(self, request, model_admin):
        return [("yes", _("in force")), ("no", _("lifted"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(lifted_at__isnull=True)
        if self.value() == "no":
            return queryset.filter(lifted_at__isnull=False)
        return queryset


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin):
    """The suppression list: searchable; "lift" asks for a note first."""

    list_display = ["address", "protocol", "reason", "created_at", "state", "cause"]
    list_filter = [ActiveFilter, "reason", "protocol", "created_at"]
    search_fields = ["address", "description", "lift_note"]
    date_hierarchy = "created_at"
    actions = ["lift_suppressions"]
    fields = ["protocol", "address", "reason", "description", "cause", "created_at",
              "lifted_at", "lifted_by", "lift_note"]
    readonly_fields = ["cause", "created_at", "lifted_at", "lifted_by", "lift_note"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:  # added by hand: protocol, address, reason, description
            return self.readonly_fields
        return [*self.fields]

    def get_changeform_initial_data(self, request):
        return {"reason": Suppression.MANUAL, **super().get_changeform_initial_data(request)}

    def save_model(self, request, obj, form, change):
        obj.address = normalize(obj.protocol, obj.address)
        super().save_model(request, obj, form, change)

    @admin.display(description=_("state"), boolean=False, ordering="lifted_at")
    def state(self, obj):
        if obj.lifted_at is None:
            return gettext("in force")
        return gettext("lifted %(when)s") % {"when": obj.lifted_at.strftime("%Y-%m-%d")}

    @admin.display(description=_("caused by"))
    def cause(self, obj):
        event = obj.event
        if event is None:
            return obj.description or "—"
        text = f"{event.get_kind_display()} ({event.provider})"
        if event.delivery_id:
            url = reverse("admin:django_vox_delivery_change", args=[event.delivery_id])
            return format_html('<a href="{}">{}</a>', url, text)
        return text

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("event")

    @admin.action(description=_("Lift the selected suppressions"), permissions=["change"])
    def lift_suppressions(self, request, queryset):
        """An intermediate page asks for a note; lifting happens on its submit."""
        active = queryset.filter(lifted_at__isnull=True)
        form = LiftForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            count = lift(list(active), note=form.cleaned_data["note"], user=request.user)
            self.message_user(request, ngettext(
                "%(count)d suppression lifted: those addresses get messages again.",
                "%(count)d suppressions lifted: those addresses get messages again.",
                count) % {"count": count}, messages.SUCCESS)
            return None
        return TemplateResponse(request, "django_vox/admin/lift_suppressions.html", {
            **self.admin_site.each_context(request), "opts": self.model._meta,
            "title": gettext("Lift suppressions"), "form": form, "suppressions": active,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
        })
