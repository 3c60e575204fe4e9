"""The template context: the one place that says what a template can see.

Sending, the admin preview, one-time messages, the preferences page and the
admin's list of variables all build their context with :func:`build_context`,
and the variable picker and the checks of saved templates describe it with
:func:`describe_context`.  Every value is template data
(:mod:`django_vox.sandbox`): views of the objects as their registrations
allow, never the objects.
"""

from typing import Any

from django.db.models import Model
from django.utils.translation import gettext_lazy as _

from django_vox import samples, sandbox, variables
from django_vox.exceptions import TemplateRenderError
from django_vox.issuing.recipients import ROLES
from django_vox.models import Notification
from django_vox.registry import Contact, objects

__all__ = ["build_context", "context_names", "registration_for", "template_value",
           "describe_context", "recipient_models", "reachable_entries", "unreachable_variables"]

_UNSET = object()
#: (variable name, role attribute) of a notification's context, and of a one-time message's.
_NOTIFICATION_NAMES = tuple((name, role.attr) for role in ROLES if role.attr is not None
                            for name in role.names)
_ONE_TIME_NAMES = tuple(pair for pair in _NOTIFICATION_NAMES if pair[1] == "obj")


def build_context(obj: Any, *, notification: Any = None, actor: Any = None, target: Any = None,
                  contact: Any = None, recipient: Any = _UNSET,
                  unsubscribe_url: str | None = None,
                  preferences_url: str | None = None) -> sandbox.TemplateContext:
    """The variables a template is rendered with, as template data.

    ``obj`` is the object the message is about (``object``/``content``).  A
    notification adds ``notification``, ``actor``/``source`` and ``target``
    (None when it declares none); a one-time message (``notification=None``)
    has none of them.  ``contact`` is the Contact being written to, and
    ``recipient`` its object (else the contact itself) unless given.  The link
    variables are only present when there are links.  The objects
    themselves stay in the result's ``live`` mapping, for backends.
    """
    live = _live_context(obj, notification, actor, target, contact, recipient)
    if unsubscribe_url is not None:
        live["unsubscribe_url"] = unsubscribe_url
    if preferences_url is not None:
        live["preferences_url"] = preferences_url
    views = {}  # one view per object, whatever names it has
    values = {}
    for name, value in live.items():
        key = id(value)
        if key not in views:
            views[key] = template_value(value)
        values[name] = views[key]
    return sandbox.TemplateContext(values, live)


def _live_context(obj, notification, actor, target, contact, recipient):
    instances = {"obj": obj, "actor": actor, "target": target}
    if notification is None:
        context = {name: instances[attr] for name, attr in _ONE_TIME_NAMES}
    else:
        context = {name: instances[attr] for name, attr in _NOTIFICATION_NAMES}
        context["notification"] = notification
    if contact is not None:
        context["contact"] = contact
        if recipient is _UNSET:
            recipient = contact.obj if contact.obj is not None else contact
    if recipient is not _UNSET:
        context["recipient"] = recipient
    return context


def registration_for(model) -> Any:
    """The registration whose declarations say what templates see of ``model``."""
    return objects[model].registration


#: What templates see of the notification and of a contact: (name, label, type).
NOTIFICATION_FIELDS = (("name", _("name"), "text"),
                       ("description", _("description"), "text"),
                       ("required", _("required"), "boolean"),
                       ("codename", _("codename"), "text"),
                       ("activity_type", _("activity type"), "text"))
#: Reachable, for templates that use them, but not offered in the picker:
#: they are the developers' names, not words for a message.
DEVELOPER_FIELDS = {"codename", "activity_type"}
CONTACT_FIELDS = (("name", _("name"), "text"), ("address", _("address"), "text"),
                  ("protocol", _("protocol"), "text"))


def template_value(value: Any) -> Any:
    """``value`` as templates get it: the notification and a contact as data
    views of their fields above, a model instance as its registration's view."""
    if isinstance(value, Notification):
        return sandbox.DataView({"name": str(value), "codename": value.codename,
                                 "description": str(value.description),
                                 "required": value.required,
                                 "activity_type": value.activity_type},
                                text=str(value))
    if isinstance(value, Contact):
        return sandbox.DataView({"name": value.name or "", "address": value.address,
                                 "protocol": value.protocol}, text=str(value))
    if isinstance(value, Model):
        return sandbox.view_of(value, registration_for, sample=samples.is_made_up(value))
    return sandbox.to_template_value(value)


def context_names(*, notification: bool = True, contact: bool = True,
                  links: bool = True) -> list:
    """The names :func:`build_context` can give a template (for the admin's variable list)."""
    names = [name for name, _attr in (_NOTIFICATION_NAMES if notification else _ONE_TIME_NAMES)]
    if notification:
        names.append("notification")
    if contact:
        names += ["contact", "recipient"]
    if links:
        names += ["unsubscribe_url", "preferences_url"]
    return names


# -- what a template can reach, described (the picker, the checks) --------------------

#: Role key → (context variable, its alias, words shown to editors).
ROLE_VARIABLES = {
    "c": ("object", "content", _("The object")),
    "se": ("actor", "source", _("The actor")),
    "re": ("target", None, _("The target")),
}
_ROLE_MODELS = {"c": "get_object_model", "se": "get_actor_model", "re": "get_target_model"}


def _role_models(notification) -> list:
    """``[(role key, model)]`` for the object, actor and target ``notification`` has."""
    if notification is None or not notification.object_type_id:
        return []
    found = [("c", notification.get_object_model())]
    if notification.actor_type_id:
        found.append(("se", notification.get_actor_model()))
    if notification.target_type_id:
        found.append(("re", notification.get_target_model()))
    return [(key, model) for key, model in found if model is not None]


def _field(path, label, kind="text"):
    return {"path": path, "label": str(label), "type": kind}


def _model_fields(model, name, label):
    return [_field(name, label, "object")] + [
        dict(entry, label=str(entry["label"]))
        for entry in variables.describe_model(model, registration_for, name)]


def _recipient_model_map(notification, template) -> dict:
    """``{recipient key: model, or None for the site contacts}``."""
    keys = template.get_recipient_keys() if template is not None else None
    result = {}
    for role_key, model in _role_models(notification):
        for channel_key, channel in objects[model].registration.get_channels().items():
            key = f"{role_key}:{channel_key}" if channel_key else role_key
            if channel.model is not None and (keys is None or key in keys):
                result[key] = channel.model
    if keys is None or "si" in keys:
        result["si"] = None
    return result


def recipient_models(notification, template=None) -> dict:
    """``{recipient key: model label or "contact"}``: what ``recipient`` is for each
    key (of ``template``, else every key the notification offers)."""
    return {key: model._meta.label_lower if model is not None else "contact"
            for key, model in _recipient_model_map(notification, template).items()}


def _recipient_fields(notification, template):
    models = {}
    for model in _recipient_model_map(notification, template).values():
        label = model._meta.label_lower if model is not None else "contact"
        if label in models:
            continue
        if model is None:
            models[label] = [_field("recipient", _("recipient"), "object")] + [
                _field(f"recipient.{name}", text, kind) for name, text, kind in CONTACT_FIELDS]
        else:
            models[label] = _model_fields(model, "recipient", _("recipient"))
    return models


def describe_context(notification, template=None) -> dict:
    """What a template of ``notification`` can reach, for the variable picker.

    The contract (JSON-ready; labels are translated strings):

    ``groups``
        ``[{"name", "label", "fields"}]``, one per context variable group:
        ``object`` (with the notification's object model), ``actor`` and
        ``target`` when declared, ``notification``, ``contact`` (not for a
        bulk ``template``), ``links`` (``unsubscribe_url``/``preferences_url``,
        for notifications recipients may opt out of, not in bulk).  Each field
        is ``{"path", "label", "type"}`` where ``path`` is what goes between
        ``{{ }}`` and ``type`` is one of text, number, boolean, date, datetime,
        time, duration, file, data, object, list.  A ``list`` field also has
        ``"items"``: the fields of one item, with paths starting ``item.``
        (the loop variable's name is the template's choice:
        ``{% for item in object.editors %}{{ item.username }}{% endfor %}``).
        The aliases ``content`` (object) and ``source`` (actor) reach the
        same and are not listed.
    ``recipients``
        ``{recipient key: model label}`` saying what ``recipient`` is for
        each key (``"contact"`` for site contacts); only the keys of
        ``template`` when one is given, and empty for a bulk template.
    ``models``
        ``{model label: [fields]}``: the ``recipient.*`` fields for each
        label in ``recipients``.

    Exactly these paths render something: the same rules build the views
    templates are given (:func:`build_context`).
    """
    bulk = template is not None and template.bulk
    groups = []
    for role_key, model in _role_models(notification):
        name, _alias, role = ROLE_VARIABLES[role_key]
        label = f"{role} ({model._meta.verbose_name})"
        groups.append({"name": name, "label": label, "fields": _model_fields(model, name, role)})
    if notification is not None:
        groups.append({"name": "notification", "label": str(_("The notification")),
                       "fields": [dict(_field(f"notification.{name}", label, kind),
                                       **({"hidden": True} if name in DEVELOPER_FIELDS else {}))
                                  for name, label, kind in NOTIFICATION_FIELDS]})
    if not bulk:
        groups.append({"name": "contact", "label": str(_("The address written to")),
                       "fields": [_field(f"contact.{name}", label, kind)
                                  for name, label, kind in CONTACT_FIELDS]})
        if notification is not None and not notification.required:
            groups.append({"name": "links", "label": str(_("Links for the recipient")),
                           "fields": [_field("unsubscribe_url", _("unsubscribe link")),
                                      _field("preferences_url", _("preferences link"))]})
    recipients = {} if bulk else recipient_models(notification, template)
    models = {} if bulk else _recipient_fields(notification, template)
    return {"groups": groups, "recipients": recipients, "models": models}


def reachable_entries(description: dict) -> list:
    """Every field of a :func:`describe_context` result in one flat list, the
    aliases (``content``, ``source``) included: the input of
    :func:`django_vox.variables.reachable`."""
    entries = [field for group in description["groups"] for field in group["fields"]]
    for fields in description["models"].values():
        entries.extend(fields)
    aliases = {name: alias for name, alias, _label in ROLE_VARIABLES.values() if alias}
    for field in list(entries):
        root, dot, rest = field["path"].partition(".")
        if root in aliases:
            entries.append(dict(field, path=aliases[root] + dot + rest))
    return entries


def unreachable_variables(notification, sources: dict, template=None) -> list:
    """``[(part, line, path)]``: the variables of ``sources`` (``{part name:
    template source}``) that templates of ``notification`` cannot reach, each
    path once.  Sources that do not compile are left to the syntax checks."""
    entries = reachable_entries(describe_context(notification, template))
    found, seen = [], set()
    for part, source in sources.items():
        try:
            missing = variables.unreachable(source or "", entries)
        except TemplateRenderError:
            continue
        for line, path in missing:
            if path not in seen:
                seen.add(path)
                found.append((part, line, path))
    return found
