"""What a notification offers the admin: recipient keys and template variables.

The template editor shows recipients as checkboxes and a picker of variables.
Both come from the registrations in code, so editors see the words developers
chose for channels and the fields of the models involved, never raw keys.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from django_vox.registry import objects

__all__ = ["recipient_choices", "recipient_models", "variable_fields", "variables",
           "attachment_choices", "ROLE_LABELS"]

#: Recipient key prefix → (context variable, words shown to editors).
ROLE_LABELS = {
    "c": ("object", _("The object")),
    "se": ("actor", _("The actor")),
    "re": ("target", _("The target")),
}

#: Field names never offered to editors, whatever the model.
HIDDEN_FIELDS = {"password"}

#: How many relations deep the picker follows (object.author.profile.phone).
MAX_DEPTH = 2

#: A site contact (``si``) is not a model instance but a Contact.
CONTACT_FIELDS = [("name", _("name")), ("address", _("address")), ("protocol", _("protocol"))]


def _role_models(notification):
    """Yield (prefix, model) for the object, actor and target a notification has."""
    if notification is None or not notification.object_type_id:
        return
    yield "c", notification.get_object_model()
    if notification.actor_type_id:
        yield "se", notification.get_actor_model()
    if notification.target_type_id:
        yield "re", notification.get_target_model()


def _channels(model):
    if model is None:
        return {}
    return objects[model].registration.get_channels()


def _key(prefix, channel_key):
    return f"{prefix}:{channel_key}" if channel_key else prefix


def recipient_choices(notification) -> list[tuple[str, str]]:
    """``[(key, label)]`` for every channel the notification can reach, then site contacts."""
    choices = []
    for prefix, model in _role_models(notification):
        role = ROLE_LABELS[prefix][1]
        for channel_key, channel in _channels(model).items():
            if channel_key:
                label = _("%(role)s's %(channel)s") % {"role": role, "channel": channel.label}
            else:
                label = _("%(role)s itself (%(model)s)") % {"role": role, "model": channel.label}
            choices.append((_key(prefix, channel_key), str(label)))
    choices.append(("si", str(_("Site contacts"))))
    return choices


def recipient_models(notification) -> dict[str, str]:
    """``{key: model label}`` saying what ``recipient`` is for each recipient key."""
    result = {}
    for prefix, model in _role_models(notification):
        for channel_key, channel in _channels(model).items():
            if channel.model is not None:
                result[_key(prefix, channel_key)] = channel.model._meta.label_lower
    result["si"] = "contact"
    return result


def variable_fields(model, prefix, depth=MAX_DEPTH, _seen=None) -> list[dict]:
    """Flat list of ``{"path", "label"}`` for the fields of ``model``, following
    forward relations ``depth`` levels."""
    if model is None:
        return []
    seen = (_seen or set()) | {model}
    fields = []
    for field in model._meta.get_fields():
        if not field.concrete or field.many_to_many or field.name in HIDDEN_FIELDS:
            continue
        path = f"{prefix}.{field.name}"
        label = str(getattr(field, "verbose_name", field.name))
        if field.is_relation:
            related = field.related_model
            fields.append({"path": path, "label": label})
            if depth > 0 and related is not None and related not in seen:
                for sub in variable_fields(related, path, depth - 1, seen):
                    fields.append({"path": sub["path"], "label": f"{label} › {sub['label']}"})
            continue
        if isinstance(field, models.Field):
            fields.append({"path": path, "label": label})
    return fields


def variables(notification) -> dict:
    """Everything the variable picker needs, as JSON-ready data.

    ``groups`` lists object/actor/target with their fields; ``recipients`` maps
    each recipient key to a model label and ``models`` holds those models'
    fields, so the picker offers ``recipient.*`` for the channels ticked.
    """
    groups = []
    for prefix, model in _role_models(notification):
        name, role = ROLE_LABELS[prefix]
        label = f"{role} ({model._meta.verbose_name})" if model is not None else str(role)
        groups.append({"name": name, "label": str(label),
                       "fields": [{"path": name, "label": str(role)}] + variable_fields(model, name)})
    if notification is not None:
        groups.append({"name": "notification", "label": str(_("The notification")), "fields": [
            {"path": "notification.codename", "label": str(_("codename"))},
            {"path": "notification.description", "label": str(_("description"))},
        ]})
        if not notification.required:
            groups.append({"name": "links", "label": str(_("Links for the recipient")), "fields": [
                {"path": "unsubscribe_url", "label": str(_("unsubscribe link"))},
                {"path": "preferences_url", "label": str(_("preferences link"))},
            ]})
    rec_models = recipient_models(notification)
    model_fields = {"contact": [{"path": f"recipient.{name}", "label": str(label)}
                                for name, label in CONTACT_FIELDS]}
    for _prefix, model in _role_models(notification):
        for channel in _channels(model).values():
            if channel.model is not None:
                label = channel.model._meta.label_lower
                if label not in model_fields:
                    model_fields[label] = [{"path": "recipient", "label": str(_("recipient"))}] + \
                        variable_fields(channel.model, "recipient")
    return {"groups": groups, "recipients": rec_models, "models": model_fields}


def attachment_choices(notification) -> list[tuple[str, str]]:
    """``[(key, label)]`` of the attachments declared for the object, actor and target."""
    choices = []
    for prefix, model in _role_models(notification):
        if model is None:
            continue
        name, role = ROLE_LABELS[prefix]
        for key, attachment in objects[model].registration.get_attachments().items():
            choices.append((f"{name}.{key}", f"{role}: {attachment.label}"))
    return choices
