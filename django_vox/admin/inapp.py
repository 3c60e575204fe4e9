"""Admin of the in-app messages: listed and shown read-only (they are what
was delivered); deleting one takes it from the user's list.

Reading them unmasked needs ``django_vox.view_delivery_content``, as the
delivery log's messages do.  Everyone else sees the title, the body and the
link as the delivery log shows a message (:mod:`django_vox.admin.masking`):
links carrying a token and the secret values the message's delivery log row
recorded replaced by ``[hidden]``.  The row is the one whose provider
message id is the in-app message's key (the in-app backend returns the key
as its id): one query, on an indexed column, for a page of the list, made
only for those who see it masked.  A message whose log row is gone (purged,
deleted) shows no title and body at all: its secrets are not known any more.  Such users search the list by user only.

The rows' ``str()`` names no content, so the breadcrumbs, the deletion pages
and the admin's history record none either.
"""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from django_vox.admin import masking
from django_vox.admin.activity import RecordAdmin
from django_vox.inapp.models import InAppMessage
from django_vox.models import Delivery

__all__ = ["InAppMessageAdmin", "logged_secrets"]

#: The columns and fields shown masked, and what shows them.
MASKED = {"title": "masked_title", "body": "masked_body", "link": "masked_link"}
_LABELS = {name: InAppMessage._meta.get_field(name).verbose_name for name in MASKED}


def logged_secrets(keys) -> dict[str, set[str]]:
    """``{key: secret values}`` the delivery log recorded for the in-app
    messages of ``keys`` (one query); a key no log row has is left out."""
    keys = sorted({str(key) for key in keys})
    found: dict[str, set[str]] = {}
    if not keys:
        return found
    rows = (Delivery.objects.filter(provider_message_id__in=keys).order_by()
            .values_list("provider_message_id", f"message__{masking.SECRET_VALUES}"))
    for key, values in rows:
        found.setdefault(str(key), set()).update(
            value for value in values or () if isinstance(value, str) and value)
    return found


def _secrets(obj):
    """The secret values of ``obj``'s message; None when no log row has it."""
    if not hasattr(obj, "_vox_secrets"):
        obj._vox_secrets = logged_secrets([obj.key]).get(str(obj.key))
    return obj._vox_secrets


@admin.register(InAppMessage)
class InAppMessageAdmin(RecordAdmin):
    list_display = ("title", "user", "state_name", "notification", "created_at")
    list_filter = ("notification", ("read_at", admin.EmptyFieldListFilter),
                   ("archived_at", admin.EmptyFieldListFilter))
    search_fields = ("title",)
    date_hierarchy = "created_at"
    list_select_related = ("user", "notification")
    change_form_template = "django_vox/admin/inapp_change_form.html"

    @admin.display(description=_("state"))
    def state_name(self, obj):
        return obj.state

    # -- masked for those who may not read messages (see admin.masking) -----------

    @admin.display(description=_LABELS["title"])
    def masked_title(self, obj):
        secrets = _secrets(obj)
        if secrets is None:
            return masking.HIDDEN if obj.title else obj.title
        return masking.masked_text(obj.title, secrets)

    @admin.display(description=_LABELS["body"])
    def masked_body(self, obj):
        secrets = _secrets(obj)
        if secrets is None:
            return masking.HIDDEN if obj.body else obj.body
        return masking.masked_text(obj.body, secrets)

    @admin.display(description=_LABELS["link"])
    def masked_link(self, obj):
        return masking.masked_link(obj.link, _secrets(obj) or ())

    def _masked_names(self, request, names):
        if masking.may_read(request.user):
            return list(names)
        return [MASKED.get(name, name) if isinstance(name, str) else name for name in names]

    def get_list_display(self, request):
        return self._masked_names(request, super().get_list_display(request))

    def get_readonly_fields(self, request, obj=None):
        return self._masked_names(request, super().get_readonly_fields(request, obj))

    def get_fields(self, request, obj=None):
        # Every field is read-only: the page shows those (masked ones for
        # those who may not read), never a form field of the original.
        return self.get_readonly_fields(request, obj)

    def get_search_fields(self, request):
        by_user = f"user__{get_user_model().USERNAME_FIELD}"
        if masking.may_read(request.user):
            return [*super().get_search_fields(request), by_user]
        return [by_user]

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        if not masking.may_read(request.user):
            rows = list(changelist.result_list)  # the page is rendered from these objects
            found = logged_secrets(row.key for row in rows)
            for row in rows:
                row._vox_secrets = found.get(str(row.key))
        return changelist

    def render_change_form(self, request, context, add=False, change=False, form_url="",
                           obj=None):
        # ``obj`` is the instance the fields show: its secrets are looked up once.
        if obj is not None:
            readable = masking.may_read(request.user)
            context["subtitle"] = obj.title if readable else self.masked_title(obj)
            context["vox_masked_note"] = "" if readable else masking.masked_note()
        return super().render_change_form(request, context, add, change, form_url, obj)
