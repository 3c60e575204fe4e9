"""What a template can see: the one answer, and so the one place to audit.

A template is rendered with views of objects (:mod:`~django_vox.templating.sandbox`)
that offer exactly what the registrations allow.  This module describes that
offer, for each kind of template, in one contract (see :func:`describe_context`):

* an individual message of a notification: :func:`describe_context`;
* a digest of a notification's messages: :func:`describe_digest_context`;
* a one-time message (the admin's ``notify`` action): :func:`describe_one_time_context`;
* the admin's variable picker: :func:`picker_variables` (the above with the
  words for the recipients' models);

and decides, from the same description, which variables a template uses that
it cannot reach (they render as nothing): :func:`unreachable_variables` and
:func:`unreachable_digest_variables`, used by the editor's preview, the admin
form's save-time checks and the system check W010.

The contexts themselves are built by :func:`django_vox.issuing.build_context`
and :func:`django_vox.digests.closing.digest_context`; the tests hold them and
these descriptions to the same paths.  Per model, :mod:`~django_vox.templating.variables`
lists what a view offers and matches paths against a description.

This module sits above the issuing pipeline's recipients and the registry
(it reads the registrations' channels and rules); nothing below issuing
imports it.
"""

from django.apps import apps
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from django_vox.exceptions import TemplateRenderError
from django_vox.issuing.context import registration_for
from django_vox.issuing.recipients import role_models
from django_vox.registry import objects
from django_vox.templating import variables

__all__ = ["ROLE_VARIABLES", "NOTIFICATION_FIELDS", "CONTACT_FIELDS", "describe_context",
           "describe_digest_context", "describe_one_time_context", "picker_variables",
           "recipient_models", "reachable_entries",
           "unreachable_variables", "unreachable_digest_variables"]

#: Role key → (context variable, its alias, words shown to editors).
ROLE_VARIABLES = {
    "c": ("object", "content", _("The object")),
    "se": ("actor", "source", _("The actor")),
    "re": ("target", None, _("The target")),
}
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
_ROLE_NAMES = {name for name, _alias, _label in ROLE_VARIABLES.values()}


def _field(path, label, kind="text") -> dict:
    return {"path": path, "label": str(label), "type": kind}


def _model_fields(model, name, label) -> list:
    return [_field(name, label, "object")] + [
        dict(entry, label=str(entry["label"]))
        for entry in variables.describe_model(model, registration_for, name)]


def _role_models(notification) -> list:
    """``[(role key, model)]`` for the object, actor and target ``notification`` has."""
    return [(key, model) for key, model in role_models(notification) if model is not None]


# -- recipients ------------------------------------------------------------------------

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


def _contact_fields(prefix) -> list:
    return [_field(f"{prefix}.{name}", label, kind) for name, label, kind in CONTACT_FIELDS]


def _recipient_fields(notification, template) -> dict:
    models = {}
    for model in _recipient_model_map(notification, template).values():
        label = model._meta.label_lower if model is not None else "contact"
        if label in models:
            continue
        if model is None:
            models[label] = [_field("recipient", _("recipient"), "object"),
                             *_contact_fields("recipient")]
        else:
            models[label] = _model_fields(model, "recipient", _("recipient"))
    return models


# -- the descriptions ------------------------------------------------------------------

def _notification_fields() -> list:
    return [dict(_field(f"notification.{name}", label, kind),
                 **({"hidden": True} if name in DEVELOPER_FIELDS else {}))
            for name, label, kind in NOTIFICATION_FIELDS]


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
    templates are given (:func:`django_vox.issuing.build_context`).
    """
    bulk = template is not None and template.bulk
    groups = []
    for role_key, model in _role_models(notification):
        name, _alias, role = ROLE_VARIABLES[role_key]
        label = f"{role} ({model._meta.verbose_name})"
        groups.append({"name": name, "label": label, "fields": _model_fields(model, name, role)})
    if notification is not None:
        groups.append({"name": "notification", "label": str(_("The notification")),
                       "fields": _notification_fields()})
    if not bulk:
        groups.append({"name": "contact", "label": str(_("The address written to")),
                       "fields": _contact_fields("contact")})
        if notification is not None and not notification.required:
            groups.append({"name": "links", "label": str(_("Links for the recipient")),
                           "fields": [_field("unsubscribe_url", _("unsubscribe link")),
                                      _field("preferences_url", _("preferences link"))]})
    recipients = {} if bulk else recipient_models(notification, template)
    models = {} if bulk else _recipient_fields(notification, template)
    return {"groups": groups, "recipients": recipients, "models": models}


def _digest_groups(described) -> list:
    """The digest's own group and one group per item's object, actor and target."""
    each = [_field("item.subject", gettext("its subject")),
            _field("item.text", gettext("its text")),
            _field("item.html", gettext("its HTML")),
            _field("item.created_at", gettext("when it happened"), "datetime")]
    per_item = [{"name": "item." + group["name"],
                 "label": gettext("Each message: %(what)s") % {"what": group["label"]},
                 "fields": [dict(field, path="item." + field["path"])
                            for field in group["fields"]]}
                for group in described["groups"] if group["name"] in _ROLE_NAMES]
    items = dict(_field("items", gettext("the messages"), "list"),
                 items=each + [field for group in per_item for field in group["fields"]],
                 loop="{{ item.subject }}\n{{ item.text }}\n")
    return [
        {"name": "digest", "label": gettext("The digest"), "fields": [
            items, _field("count", gettext("how many messages"), "number"),
            _field("window.start", gettext("window start"), "datetime"),
            _field("window.end", gettext("window end"), "datetime"),
            _field("window.name", gettext("window (hourly, daily, weekly, limit)"))]},
        {"name": "item", "label": gettext("Each message (inside {% for item in items %})"),
         "fields": each}, *per_item]


def describe_digest_context(notification, template=None) -> dict:
    """What a digest template of ``notification`` can reach (what
    :func:`django_vox.digests.closing.digest_context` gives it), in the contract
    of :func:`describe_context`: the digest's own group (``items``, ``count``,
    ``window``), the variables of each item (``item.subject``, ``item.text``,
    ``item.html``, ``item.created_at`` and the item's ``object``/``actor``/``target``
    as ``item.object...``), then the notification, contact, links and recipients
    as for an individual message.  ``items`` is a ``list`` whose ``"items"`` are
    all of an item's fields (so the save checks follow ``{% for item in items %}``),
    and carries ``"loop"``: what the picker puts in the loop it inserts."""
    described = describe_context(notification, template)
    groups = _digest_groups(described)
    groups += [group for group in described["groups"] if group["name"] not in _ROLE_NAMES]
    return dict(described, groups=groups)


def describe_one_time_context(model) -> dict:
    """What a one-time message about objects of ``model`` can reach (the admin's
    ``notify`` action), in the contract of :func:`describe_context`: the object
    and the contact it goes to (``recipient``), no recipient keys."""
    name = str(model._meta.verbose_name)
    return {"groups": [
        {"name": "object", "label": gettext("The selected %(model)s") % {"model": name},
         "fields": _model_fields(model, "object", name)},
        {"name": "recipient", "label": gettext("The person it goes to"),
         "fields": _contact_fields("recipient")},
    ], "recipients": {}, "models": {}}


def picker_variables(notification, template=None, *, digest: bool = False) -> dict:
    """Everything the admin's variable picker needs, as JSON-ready data: what
    templates (``digest``: the digest's template) can reach, and
    ``model_names``, the words for the recipients' models."""
    described = (describe_digest_context if digest else describe_context)(notification, template)
    names = {"contact": str(_("site contact"))}
    for label in described["models"]:
        if label != "contact":
            names[label] = str(apps.get_model(label)._meta.verbose_name)
    return dict(described, model_names=names)


# -- what a template uses but cannot reach ---------------------------------------------

def reachable_entries(description: dict) -> list:
    """Every field of a :func:`describe_context` result in one flat list, the
    aliases (``content``, ``source``) included: the input of
    :func:`django_vox.templating.variables.reachable`."""
    entries = [field for group in description["groups"] for field in group["fields"]]
    for fields in description["models"].values():
        entries.extend(fields)
    aliases = {name: alias for name, alias, _label in ROLE_VARIABLES.values() if alias}
    for field in list(entries):
        root, dot, rest = field["path"].partition(".")
        if root in aliases:
            entries.append(dict(field, path=aliases[root] + dot + rest))
    return entries


def _missing(sources: dict, entries):
    """``(part, line, path)`` for each variable of each source that ``entries``
    does not offer.  Sources that do not compile are left to the syntax checks."""
    for part, source in sources.items():
        try:
            missing = variables.unreachable(source or "", entries)
        except TemplateRenderError:
            continue
        for line, path in missing:
            yield part, line, path


def unreachable_variables(notification, sources: dict, template=None) -> list:
    """``[(part, line, path)]``: the variables of ``sources`` (``{part name:
    template source}``) that templates of ``notification`` cannot reach, each
    path once."""
    entries = reachable_entries(describe_context(notification, template))
    found, seen = [], set()
    for part, line, path in _missing(sources, entries):
        if path not in seen:
            seen.add(path)
            found.append((part, line, path))
    return found


def unreachable_digest_variables(notification, sources: dict, template=None) -> list:
    """The same for a digest's ``sources``, against what the digest picker
    offers (``window`` itself included), each path once per part."""
    entries = reachable_entries(describe_digest_context(notification, template))
    entries.append({"path": "window", "type": "object"})  # the picker offers its parts
    return list(_missing(sources, entries))
