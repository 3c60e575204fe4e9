"""What a notification offers the admin: recipient keys and template variables.

The template editor shows recipients as checkboxes and a picker of variables.
Both come from the registrations in code, so editors see the words developers
chose for channels and the fields of the models involved, never raw keys.
"""

from django.utils.translation import gettext_lazy as _

from django_vox.issuing.recipients import role_models
from django_vox.registry import objects
from django_vox.templating import visibility
from django_vox.templating.sandbox import MAX_DEPTH, is_sensitive_name
from django_vox.templating.visibility import ROLE_VARIABLES, recipient_models

__all__ = ["recipient_choices", "recipient_models", "variables", "digest_variables",
           "attachment_choices"]


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
        role = ROLE_VARIABLES[prefix][2]
        for channel_key, channel in _channels(model).items():
            if channel_key:
                label = _("%(role)s's %(channel)s") % {"role": role, "channel": channel.label}
            else:
                label = _("%(role)s itself (%(model)s)") % {"role": role, "model": channel.label}
            choices.append((_key(prefix, channel_key), str(label)))
    choices.append(("si", str(_("Site contacts"))))
    return choices


def variables(notification, template=None) -> dict:
    """What the variable picker offers (see :func:`django_vox.templating.visibility.picker_variables`)."""
    return visibility.picker_variables(notification, template)


def digest_variables(notification, template=None) -> dict:
    """The same for the digest's template."""
    return visibility.picker_variables(notification, template, digest=True)


def attachment_choices(notification) -> list[tuple[str, str]]:
    """``[(key, label)]`` of the attachments declared for the object, actor and
    target, and for what their relations reach (``object.author.vcard``)."""
    choices = []
    for prefix, model in role_models(notification):
        if model is None:
            continue
        choices.extend(_attachments_of(model, ROLE_VARIABLES[prefix][0],
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
