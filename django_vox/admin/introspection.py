"""What a notification offers the admin: recipient keys and template variables.

The template editor shows recipients as checkboxes and a picker of variables.
Both come from the registrations in code, so editors see the words developers
chose for channels and the fields of the models involved, never raw keys.
"""

from django.apps import apps
from django.utils.translation import gettext_lazy as _

from django_vox.digests.closing import describe_digest_context
from django_vox.issuing.context import describe_context
from django_vox.issuing.recipients import role_models
from django_vox.registry import objects
from django_vox.templating.sandbox import MAX_DEPTH, is_sensitive_name

__all__ = ["recipient_choices", "recipient_models", "variables", "digest_variables",
           "attachment_choices", "ROLE_LABELS"]

#: Recipient key prefix → (context variable, words shown to editors).
ROLE_LABELS = {
    "c": ("object", _("The object")),
    "se": ("actor", _("The actor")),
    "re": ("target", _("The target")),
}


def _channels(model):
    if model is None:
        return {}
    return objects[model].registration.get_channels()


def _key(prefix, channel_key):
    return f"{prefix}:{channel_key}" if channel_key else prefix


def recipient_choices(notification) -> list[tuple[str, str]]:
    """``[(key, label)]`` for every channel the notification can reach, then site contacts."""
    choices = []
    for prefix, model in role_models(notification):
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
    for prefix, model in role_models(notification):
        for channel_key, channel in _channels(model).items():
            if channel.model is not None:
                result[_key(prefix, channel_key)] = channel.model._meta.label_lower
    result["si"] = "contact"
    return result


def variables(notification, template=None) -> dict:
    """Everything the variable picker needs, as JSON-ready data: exactly what
    templates can reach (see django_vox.issuing.context.describe_context), and
    ``model_names``, the words for the recipients' models."""
    return _with_model_names(describe_context(notification, template))


def digest_variables(notification, template=None) -> dict:
    """The same for the digest's template (see django_vox.digests.describe_digest_context)."""
    return _with_model_names(describe_digest_context(notification, template))


def _with_model_names(described) -> dict:
    names = {"contact": str(_("site contact"))}
    for label in described["models"]:
        if label != "contact":
            names[label] = str(apps.get_model(label)._meta.verbose_name)
    return dict(described, model_names=names)


def attachment_choices(notification) -> list[tuple[str, str]]:
    """``[(key, label)]`` of the attachments declared for the object, actor and
    target, and for what their relations reach (``object.author.vcard``)."""
    choices = []
    for prefix, model in role_models(notification):
        if model is None:
            continue
        choices.extend(_attachments_of(model, ROLE_LABELS[prefix][0],
                                       str(model._meta.verbose_name), 0, {model}))
    return choices


def _attachments_of(model, path, where, depth, seen):
    """The attachments of ``model`` (and of its forward relations), named by
    where they come from: "Summary, from the article", "Card, from the author
    of the article"."""
    for key, attachment in objects[model].registration.get_attachments().items():
        yield f"{path}.{key}", str(_("%(attachment)s, from the %(where)s")) % {
            "attachment": attachment.label or key, "where": where}
    if depth >= MAX_DEPTH:
        return
    for field in model._meta.fields:  # forward relations: one object each
        related = field.related_model if field.is_relation else None
        if not isinstance(related, type) or related in seen or is_sensitive_name(field.name):
            continue
        yield from _attachments_of(related, f"{path}.{field.name}",
                                   str(_("%(field)s of the %(where)s")) % {
                                       "field": field.verbose_name, "where": where},
                                   depth + 1, seen | {related})
