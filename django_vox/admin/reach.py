"""What an editor may reach: the one rule of the admin's previews, issuing,
one-time messages and digest previews (and of the choosers that feed them).

* **Objects** (a preview's sample, the actor and target, the recipients a
  preview offers, the objects to issue about, a one-time preview's objects)
  come from the model's admin queryset,
  ``admin_site._registry[model].get_queryset(request)``, so a site's
  restrictions (per tenant, per owner...) apply; the editor needs that
  admin's view permission (``has_view_permission(request)``).
* **A model with no ModelAdmin** on the site: the editor needs the model's
  *view* or *change* permission (what Django's ``has_view_permission`` asks
  by default), and the objects come from its default manager.
* **Related objects** a preview renders (``object.author.email``, a list of
  ``object.editors``, a declared variable returning objects) need the same
  view permission on their model; otherwise they render as nothing and the
  preview notes "hidden: you may not view <model>".  Messages sent to
  recipients are rendered without a reach: this only limits what an editor sees.
* **Secret variables** (``TemplateVariable(..., secret=True)``) of real
  objects render as ``[hidden]`` unless the editor may read the delivery
  log's messages unmasked (``django_vox.view_delivery_content``): a preview
  must not show what the log hides.

:class:`EditorReach` answers for one request on one admin site; the sandbox
calls its :meth:`~EditorReach.follows` and :meth:`~EditorReach.shows_secrets`
while a preview renders (:mod:`django_vox.templating.sandbox`).  :func:`object_key` turns text from a
request into a primary key, or refuses it (``ValueError``) before the
database sees it.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

from django_vox.admin.masking import CONTENT_PERMISSION

__all__ = ["EditorReach", "object_key", "object_keys"]


def object_key(model: type[models.Model], text: Any) -> Any:
    """The primary key of ``model`` that ``text`` (from a request) stands for.

    Raises ValueError for text that is not one: not a number for an integer
    key, a number out of the column's range, a malformed UUID..."""
    field = model._meta.pk
    if text is None or not isinstance(text, (str, int)) or str(text).strip() == "":
        raise ValueError(_("%(value)r is not an id.") % {"value": text})
    try:
        value = field.to_python(text)
        field.run_validators(value)
    except (ValidationError, TypeError, ValueError, OverflowError) as err:
        raise ValueError(_("%(value)r is not an id of a %(model)s.") % {
            "value": text, "model": model._meta.verbose_name}) from err
    return value


def object_keys(model: type[models.Model], texts) -> list:
    """:func:`object_key` of each of ``texts``; raises ValueError for the first bad one."""
    return [object_key(model, text) for text in texts]


class EditorReach:
    """What the editor making ``request`` may reach through ``admin_site``."""

    def __init__(self, request: Any, admin_site: Any):
        self.request = request
        self.user = request.user
        self.admin_site = admin_site
        self._viewable: dict = {}
        #: Models a preview left out, by label: their verbose names.
        self.hidden: dict = {}

    def model_admin(self, model: type[models.Model]) -> Any:
        """The ModelAdmin of ``model`` on the site, or None."""
        registry = getattr(self.admin_site, "_registry", None) or {}
        return registry.get(model)

    def may_view(self, model: type[models.Model]) -> bool:
        """Whether the editor may view objects of ``model`` (see the module)."""
        if model not in self._viewable:
            model_admin = self.model_admin(model)
            if model_admin is not None:
                allowed = bool(model_admin.has_view_permission(self.request))
            else:
                opts = model._meta
                allowed = any(self.user.has_perm(f"{opts.app_label}.{action}_{opts.model_name}")
                              for action in ("view", "change"))
            self._viewable[model] = allowed
        return self._viewable[model]

    def queryset(self, model: type[models.Model]) -> models.QuerySet:
        """The objects of ``model`` the editor may reach (none without permission)."""
        if not self.may_view(model):
            return model._default_manager.none()
        model_admin = self.model_admin(model)
        if model_admin is not None:
            return model_admin.get_queryset(self.request)
        return model._default_manager.all()

    def get(self, model: type[models.Model], text: Any) -> Any:
        """The object of ``model`` with the key ``text`` when the editor may reach
        it, else None (also for text that is no key of ``model``)."""
        try:
            key = object_key(model, text)
        except ValueError:
            return None
        return self.queryset(model).filter(pk=key).first()

    def newest(self, model: type[models.Model]) -> Any:
        """The newest object of ``model`` the editor may reach, or None."""
        return self.queryset(model).order_by("-pk").first()

    def reachable(self, objects) -> list:
        """Those of ``objects`` (instances, of any models) the editor may reach,
        in their order: one query per model."""
        by_model: dict = {}
        for obj in objects:
            by_model.setdefault(type(obj), set()).add(obj.pk)
        allowed = set()
        for model, keys in by_model.items():
            found = self.queryset(model).filter(pk__in=keys).values_list("pk", flat=True)
            allowed.update((model, key) for key in found)
        return [obj for obj in objects if (type(obj), obj.pk) in allowed]

    # -- the sandbox's hook, while a preview renders ---------------------------------

    def follows(self, model: type[models.Model]) -> bool:
        """Whether a preview may show related objects of ``model``; a refusal is
        remembered for :meth:`notes`."""
        if self.may_view(model):
            return True
        self.hidden.setdefault(model._meta.label_lower, str(model._meta.verbose_name_plural))
        return False

    def shows_secrets(self) -> bool:
        """Whether a preview may show the values of secret variables (see the module)."""
        return self.user.has_perm(CONTENT_PERMISSION)

    def notes(self) -> list:
        """The preview's notes about what it left out, one per model."""
        return [_("hidden: you may not view %(model)s") % {"model": name}
                for name in self.hidden.values()]
