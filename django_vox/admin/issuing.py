"""Issuing a notification by hand: choose objects by searching, and the actor
and target when the notification has them.

The choosers are the admin's own autocomplete widget (select2) fed by the
notification's search URLs (see :mod:`django_vox.admin.search`), so editors
type a few letters and pick among all objects, not the newest few hundred.
Every field, and the names a re-displayed form shows, offers only the objects
the editor may reach (:mod:`django_vox.admin.reach`): an id beyond them is a
form error.
"""

from django import forms
from django.contrib.admin.widgets import AutocompleteSelect, get_select2_language
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

__all__ = ["ObjectChooser", "ObjectsChooser", "IssueForm", "ROLE_FIELDS", "needs_text"]

#: Issue-form field → (the notification's model getter, the search role).
ROLE_FIELDS = {
    "objects": ("get_object_model", "object"),
    "actor": ("get_actor_model", "actor"),
    "target": ("get_target_model", "target"),
}


class _ChooserMixin:
    """A select the admin's autocomplete script turns into a search box.

    ``url`` answers ``?term=`` with ``{"results": [{"id", "text"}]}``."""

    def __init__(self, url, attrs=None, choices=(), placeholder=""):
        attrs = dict(attrs or {})
        attrs.update({
            "class": " ".join(filter(None, [attrs.get("class"), "admin-autocomplete"])),
            "data-ajax--url": url,
            "data-ajax--cache": "true",
            "data-ajax--delay": "250",
            "data-ajax--type": "GET",
            "data-theme": "admin-autocomplete",
            "data-allow-clear": "true",
            "data-placeholder": placeholder or gettext("Type to search…"),
            "lang": get_select2_language() or "",
        })
        super().__init__(attrs, choices)

    @property
    def media(self):
        return AutocompleteSelect(None, None).media


class ObjectChooser(_ChooserMixin, forms.Select):
    """Choose one object by searching."""


class ObjectsChooser(_ChooserMixin, forms.SelectMultiple):
    """Choose several objects by searching."""


def _chosen_choices(field, value):
    """The choices a re-displayed form needs: the objects already chosen."""
    if not value:
        return []
    keys = value if isinstance(value, (list, tuple)) else [value]
    rows = field.queryset.filter(pk__in=[key for key in keys if key not in ("", None)])
    return [(str(obj.pk), str(obj)) for obj in rows]


def needs_text(notification) -> str:
    """What the editor must choose besides the objects, in words ("" for nothing)."""
    parts = []
    if notification.actor_type_id:
        parts.append(gettext("who did it (the actor: a %(model)s)") % {
            "model": notification.actor_type.name})
    if notification.target_type_id:
        parts.append(gettext("what it was done to (the target: a %(model)s)") % {
            "model": notification.target_type.name})
    if not parts:
        return ""
    return gettext("This notification also needs %(what)s.") % {"what": gettext(" and ").join(parts)}


class IssueForm(forms.Form):
    """Choose the objects to issue a notification about (and its actor and target)."""

    objects = forms.ModelMultipleChoiceField(
        label=_("objects"), queryset=None,
        help_text=_("Type a few letters to search. The notification is issued once for each "
                    "object chosen."))
    actor = forms.ModelChoiceField(label=_("actor"), queryset=None)
    target = forms.ModelChoiceField(label=_("target"), queryset=None)

    def __init__(self, notification, search_urls, reach, *args, **kwargs):
        """``search_urls`` maps roles (object, actor, target) to search URLs;
        ``reach`` is the editor's :class:`~django_vox.admin.reach.EditorReach`."""
        super().__init__(*args, **kwargs)
        for name, (getter, role) in ROLE_FIELDS.items():
            model = getattr(notification, getter)()
            if model is None:
                del self.fields[name]
                continue
            field = self.fields[name]
            field.queryset = reach.queryset(model)
            if not reach.may_view(model):
                refused = gettext("You may not view %(model)s, so you cannot choose one.") % {
                    "model": model._meta.verbose_name_plural}
                field.error_messages.update(invalid_choice=refused, invalid_pk_value=refused)
            chooser = ObjectsChooser if name == "objects" else ObjectChooser
            field.widget = chooser(search_urls[role])
            if name == "objects":
                field.label = capfirst(model._meta.verbose_name_plural)
            else:
                field.label = f"{capfirst(field.label)} ({model._meta.verbose_name})"
            getlist = getattr(self.data, "getlist", None)
            chosen = getlist(name) if getlist else self.data.get(name)
            field.widget.choices = _chosen_choices(field, chosen)
