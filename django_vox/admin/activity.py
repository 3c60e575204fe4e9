"""Admin of what the activity backend stored: activities and inbox items,
shown read-only.

Reading what they say unmasked needs ``django_vox.view_delivery_content``,
as the delivery log's messages do.  Everyone else sees an activity's
summary and its AS2 document, and an inbox item's summary, as the delivery
log shows a message (:mod:`django_vox.admin.masking`): links carrying a
token and the secret values the activity's delivery log rows recorded
replaced by ``[hidden]``.  Those rows are the ones whose provider message
id is the activity's key (the activity backend returns the key as its id):
one query, on an indexed column, for a page of the list, made only for
those who see it masked.  An activity no log row names (its rows purged or
deleted, or a delivery that failed for another recipient of the same
request) shows no summary and no document at all: its secrets are not
known.  Such users search activities by actor and object IRI only.  The
IRIs (actor, object, target, owner) are shown as they are: they are the
addresses the site gives its objects, not what a template wrote.

The rows' ``str()`` names no content (``Create activity 12``), so the
breadcrumbs, the deletion pages and the admin's history record none either.
:class:`MaskedRecordAdmin` is the rule's admin side, shared with the in-app
admin (:mod:`django_vox.admin.inapp`).
"""

import json
from typing import ClassVar

from django.contrib import admin

from django_vox.admin import masking
from django_vox.models import Activity, InboxItem

__all__ = ["ActivityAdmin", "InboxItemAdmin", "InboxItemInline", "MaskedRecordAdmin",
           "RecordAdmin"]


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


class MaskedRecordAdmin(RecordAdmin):
    """A record whose content those without ``view_delivery_content`` see
    masked: each field or column named in :attr:`masked_fields` is shown to
    them by the method named there, with the secret values of the record's
    delivery log rows (:meth:`secrets`), and they search
    :attr:`masked_search_fields` only."""

    #: Field or column -> the method that shows it masked.
    masked_fields: ClassVar[dict[str, str]] = {}
    #: What those who see the content masked may search (nothing it says).
    masked_search_fields: ClassVar[tuple[str, ...]] = ()
    change_form_template = "django_vox/admin/record_change_form.html"

    def log_id(self, obj) -> str:
        """The provider message id the delivery log recorded for ``obj``."""
        raise NotImplementedError(f"{type(self).__name__} must implement log_id()")

    def secrets(self, obj) -> set[str] | None:
        """The secret values of ``obj``'s message; None when no log row has it."""
        if not hasattr(obj, "_vox_secrets"):
            key = self.log_id(obj)
            obj._vox_secrets = masking.logged_secrets([key]).get(key)
        return obj._vox_secrets

    def masked(self, obj, text: str) -> str:
        """``text``, said by ``obj``, masked; hidden whole when no log row has it."""
        secrets = self.secrets(obj)
        if secrets is None:
            return masking.HIDDEN if text else text
        return masking.masked_text(text, secrets)

    def _masked_names(self, request, names):
        if masking.may_read(request.user):
            return list(names)
        return [self.masked_fields.get(name, name) if isinstance(name, str) else name
                for name in names]

    def get_list_display(self, request):
        return self._masked_names(request, super().get_list_display(request))

    def get_readonly_fields(self, request, obj=None):
        return self._masked_names(request, super().get_readonly_fields(request, obj))

    def get_fields(self, request, obj=None):
        # Every field is read-only: the page shows those (masked ones for
        # those who may not read), never a form field of the original.
        return self.get_readonly_fields(request, obj)

    def get_search_fields(self, request):
        if masking.may_read(request.user):
            return super().get_search_fields(request)
        return list(self.masked_search_fields)

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        if not masking.may_read(request.user):
            rows = list(changelist.result_list)  # the page is rendered from these objects
            found = masking.logged_secrets(self.log_id(row) for row in rows)
            for row in rows:
                row._vox_secrets = found.get(self.log_id(row))
        return changelist

    def render_change_form(self, request, context, add=False, change=False, form_url="",
                           obj=None):
        if obj is not None:
            context["vox_masked_note"] = ("" if masking.may_read(request.user)
                                          else masking.masked_note())
        return super().render_change_form(request, context, add, change, form_url, obj)


def _label(model, name):
    return model._meta.get_field(name).verbose_name


@admin.register(Activity)
class ActivityAdmin(MaskedRecordAdmin):
    list_display = ("type", "summary", "actor_iri", "object_iri", "published")
    list_filter = ("type",)
    search_fields = ("summary", "actor_iri", "object_iri")
    date_hierarchy = "published"
    inlines = [InboxItemInline]
    masked_fields = {"summary": "masked_summary", "document": "masked_document"}
    masked_search_fields = ("actor_iri", "object_iri")

    def log_id(self, obj) -> str:
        return str(obj.key)

    @admin.display(description=_label(Activity, "summary"))
    def masked_summary(self, obj):
        return self.masked(obj, obj.summary)

    @admin.display(description=_label(Activity, "document"))
    def masked_document(self, obj):
        secrets = self.secrets(obj)
        if secrets is None:
            return masking.HIDDEN if obj.document else ""
        return json.dumps(masking.masked_data(obj.document, secrets), ensure_ascii=False)


@admin.register(InboxItem)
class InboxItemAdmin(MaskedRecordAdmin):
    list_display = ("owner_iri", "activity", "activity_summary", "created_at", "read_at")
    list_filter = ("owner_type", ("read_at", admin.EmptyFieldListFilter))
    search_fields = ("owner_iri",)
    list_select_related = ("activity",)
    masked_fields = {"activity_summary": "masked_summary"}
    masked_search_fields = search_fields

    def log_id(self, obj) -> str:
        return str(obj.activity.key)

    def get_readonly_fields(self, request, obj=None):
        names = [f.name for f in self.model._meta.fields]
        names.insert(names.index("activity") + 1, "activity_summary")
        return self._masked_names(request, names)

    @admin.display(description=_label(Activity, "summary"))
    def activity_summary(self, obj):
        return obj.activity.summary

    @admin.display(description=_label(Activity, "summary"))
    def masked_summary(self, obj):
        return self.masked(obj, obj.activity.summary)
