"""Admin of recipients' preferences.

An owner is chosen as an editor thinks of it: the kind of record among the
models registered with django-vox, then the record itself by searching (the
admin's autocomplete box), or an address with no record behind it.  Protocols
and notifications are chosen from lists, by name.
"""

import json

from django import forms
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.http import Http404
from django.urls import path, reverse
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from django_vox.admin import words
from django_vox.admin.deliveries import ProtocolFilter
from django_vox.admin.issuing import ObjectChooser
from django_vox.admin.search import search_response
from django_vox.models import Notification, Preference
from django_vox.registry import objects

__all__ = ["ModelNameFilter", "PreferenceAdmin", "PreferenceForm"]


class ModelNameFilter(admin.RelatedOnlyFieldListFilter):
    """Content types by the model's verbose name ("Subscriber", not "Blog | subscriber")."""

    def field_choices(self, field, request, model_admin):
        return [(pk, capfirst(ContentType.objects.get_for_id(pk).name))
                for pk, _label in super().field_choices(field, request, model_admin)]


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


def _registered_types():
    types = ContentType.objects.get_for_models(*objects.models()) if objects.models() else {}
    return sorted(types.values(), key=lambda ct: ct.name)


class NotificationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return words.notification_name(obj)


class OwnerTypeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return capfirst(obj.name)


class PreferenceForm(forms.ModelForm):
    """``owner_search_url`` is set per admin (see PreferenceAdmin.get_form)."""

    owner_search_url = ""

    owner_type = OwnerTypeChoiceField(
        label=_("Kind of owner"), queryset=ContentType.objects.none(), required=False,
        empty_label=_("— an address with no record —"),
        widget=forms.Select(attrs={"class": "vox-owner-type"}))
    owner_id = forms.CharField(label=_("Owner"), required=False)
    notification = NotificationChoiceField(
        label=_("Notification"), queryset=Notification.objects.all(), required=False,
        empty_label=_("All notifications"))
    protocol = forms.ChoiceField(label=_("Protocol"), required=False)

    class Meta:
        model = Preference
        fields = ["owner_type", "owner_id", "address", "notification", "protocol", "enabled"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        types = _registered_types()
        current = self.instance.owner_type
        if current is not None and current not in types:
            types.append(current)
        self.fields["owner_type"].queryset = ContentType.objects.filter(
            pk__in=[ct.pk for ct in types])
        self.fields["owner_type"].widget.attrs["data-types"] = json.dumps(
            {str(ct.pk): [ct.app_label, ct.model] for ct in types})
        self.fields["protocol"].choices = [("", gettext("All protocols"))] + \
            words.protocol_choices(self.instance.protocol)
        if "delivery" in self.fields:
            self.fields["delivery"].choices = [(value, capfirst(label)) for value, label
                                               in self.fields["delivery"].choices]
        self._owner_widget(current)

    def _owner_widget(self, content_type):
        attrs = {"class": "vox-owner"}
        if content_type is not None:
            attrs.update({"data-app-label": content_type.app_label,
                          "data-model-name": content_type.model})
        widget = ObjectChooser(self.owner_search_url, attrs=attrs,
                               placeholder=gettext("Type to search…"))
        owner = self.instance.get_owner() if self.instance.owner_type_id else None
        if owner is not None:
            widget.choices = [(str(owner.pk), str(owner))]
        self.fields["owner_id"].widget = widget


@admin.register(Preference)
class PreferenceAdmin(admin.ModelAdmin):
    form = PreferenceForm
    list_display = ["owner_label", "notification_label", "protocol_label", "enabled", "delivery",
                    "updated_at"]
    list_filter = ["enabled", OwnerKindFilter, ("owner_type", ModelNameFilter),
                   ("notification", admin.RelatedOnlyFieldListFilter), ProtocolFilter,
                   "updated_at"]
    list_select_related = ["owner_type", "notification__object_type"]
    search_fields = ["owner_id", "address", "notification__codename",
                     "notification__description", "protocol"]
    readonly_fields = ["updated_at"]
    fields = ["owner_type", "owner_id", "address", "notification", "protocol", "enabled",
              "delivery", "updated_at"]
    date_hierarchy = "updated_at"

    class Media:
        js = ["django_vox/admin/preferences.js"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        url = reverse(f"{self.admin_site.name}:django_vox_preference_owners")
        return type("PreferenceForm", (form,), {"owner_search_url": url})

    def get_urls(self):
        return [path("owners/", self.admin_site.admin_view(self.owners_view),
                     name="django_vox_preference_owners")] + super().get_urls()

    def owners_view(self, request):
        """``GET ?app_label=&model_name=&term=`` → records of a registered model."""
        if not self.has_view_permission(request):
            raise Http404
        try:
            content_type = ContentType.objects.get_by_natural_key(
                request.GET.get("app_label", ""), request.GET.get("model_name", ""))
        except ContentType.DoesNotExist:
            raise Http404 from None
        model = content_type.model_class()
        if model is None or model not in objects:
            raise Http404
        return search_response(request, self.admin_site, model)

    @admin.display(description=_("owner"), ordering="owner_type")
    def owner_label(self, obj):
        if obj.owner_type_id:
            owner = obj.get_owner()
            name = capfirst(obj.owner_type.name)
            return f"{name}: {owner}" if owner is not None else f"{name} #{obj.owner_id}"
        return f"{words.protocol_name(obj.protocol)}: {obj.address}"

    @admin.display(description=_("notification"), ordering="notification")
    def notification_label(self, obj):
        if not obj.notification_id:
            return gettext("All notifications")
        return words.notification_name(obj.notification)

    @admin.display(description=_("protocol"), ordering="protocol")
    def protocol_label(self, obj):
        return words.protocol_name(obj.protocol) if obj.protocol else gettext("All protocols")
