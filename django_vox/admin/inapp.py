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
deleted) shows no title and body at all: its secrets are not known any more.
Such users search the list by user only.  The admin side of the rule is
:class:`~django_vox.admin.activity.MaskedRecordAdmin`, shared with the
activities' admin.

The rows' ``str()`` names no content, so the breadcrumbs, the deletion pages
and the admin's history record none either.
"""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from django_vox.admin import masking
from django_vox.admin.activity import MaskedRecordAdmin
from django_vox.admin.masking import logged_secrets
from django_vox.inapp.models import InAppMessage

__all__ = ["InAppMessageAdmin", "logged_secrets"]

#: The columns and fields shown masked, and what shows them.
MASKED = {"title": "masked_title", "body": "masked_body", "link": "masked_link"}
_LABELS = {name: InAppMessage._meta.get_field(name).verbose_name for name in MASKED}


@admin.register(InAppMessage)
class InAppMessageAdmin(MaskedRecordAdmin):
    list_display = ("title", "user", "state_name", "notification", "created_at")
    list_filter = ("notification", ("read_at", admin.EmptyFieldListFilter),
                   ("archived_at", admin.EmptyFieldListFilter))
    search_fields = ("title",)
    date_hierarchy = "created_at"
    list_select_related = ("user", "notification")
    masked_fields = MASKED

    def log_id(self, obj) -> str:
        return str(obj.key)

    @admin.display(description=_("state"))
    def state_name(self, obj):
        return obj.state

    # -- masked for those who may not read messages (see admin.masking) -----------

    @admin.display(description=_LABELS["title"])
    def masked_title(self, obj):
        return self.masked(obj, obj.title)

    @admin.display(description=_LABELS["body"])
    def masked_body(self, obj):
        return self.masked(obj, obj.body)

    @admin.display(description=_LABELS["link"])
    def masked_link(self, obj):
        return masking.masked_link(obj.link, self.secrets(obj) or ())

    def get_search_fields(self, request):
        by_user = f"user__{get_user_model().USERNAME_FIELD}"
        if masking.may_read(request.user):
            return [*super().get_search_fields(request), by_user]
        return [by_user]

    def render_change_form(self, request, context, add=False, change=False, form_url="",
                           obj=None):
        # ``obj`` is the instance the fields show: its secrets are looked up once.
        if obj is not None:
            context["subtitle"] = (obj.title if masking.may_read(request.user)
                                   else self.masked_title(obj))
        return super().render_change_form(request, context, add, change, form_url, obj)
