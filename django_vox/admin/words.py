"""Words for what the admin shows editors, instead of the codes stored.

Backends are named by their ``VERBOSE_NAME``, protocols by a name a reader
knows ("Email", "Text message (SMS)"), recipient keys by the channel labels
the developer wrote ("All subscribers of the article"), notifications by
their description.  The codes stay in the database and in the URLs.
"""

import re

from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from django_vox.backends import PROTOCOL_NAMES, protocol_name
from django_vox.backends import backends as backend_registry
from django_vox.issuing.recipients import role_models
from django_vox.registry import objects

__all__ = ["PROTOCOL_NAMES", "protocol_name", "protocol_choices", "backend_name",
           "backend_choices", "recipient_choices", "recipient_words", "template_heading",
           "notification_name", "ROLE_WORDS", "error_words"]

#: Recipient key prefix → (the role on its own, the channel of the role).
ROLE_WORDS = {
    "c": (_("The %(model)s"), _("%(channel)s of the %(model)s")),
    "se": (_("The actor (%(model)s)"), _("%(channel)s of the actor (%(model)s)")),
    "re": (_("The target (%(model)s)"), _("%(channel)s of the target (%(model)s)")),
}


def protocol_choices(current: str = "") -> list[tuple[str, str]]:
    """``[(protocol, name)]`` of the enabled backends' protocols (and ``current``)."""
    protocols = list(backend_registry.protocols())
    if current and current not in protocols:
        protocols.append(current)
    return [(protocol, protocol_name(protocol)) for protocol in protocols]


def backend_name(backend_id: str) -> str:
    """The name of the backend ``backend_id``, saying so when it is not enabled."""
    cls = backend_registry.get(backend_id)
    if cls is None:
        return gettext("%(id)s (not enabled)") % {"id": backend_id}
    return str(cls.VERBOSE_NAME or cls.ID)


def backend_choices(classes=None) -> list[tuple[str, str]]:
    """``[(ID, name)]`` of ``classes`` (default: every enabled backend)."""
    classes = backend_registry.all() if classes is None else classes
    return [(cls.ID, str(cls.VERBOSE_NAME or cls.ID)) for cls in classes]


def _model_name(model) -> str:
    return str(model._meta.verbose_name) if model is not None else ""


#: How a channel whose label places the model itself ("People who commented on
#: the %(model)s") names the role's model.
ROLE_NOUNS = {"c": _("%(model)s"), "se": _("actor (%(model)s)"), "re": _("target (%(model)s)")}


def _channel_label(prefix, model, channel_key, channel) -> str:
    alone, of_role = ROLE_WORDS[prefix]
    name = _model_name(model)
    if not channel_key:
        return str(alone) % {"model": name}
    label = str(channel.label)
    if "%(model)s" in label:  # the label says how it relates to the model
        return capfirst(label % {"model": str(ROLE_NOUNS[prefix]) % {"model": name}})
    return str(of_role) % {"channel": capfirst(label), "model": name}


def recipient_choices(notification) -> list[tuple[str, str]]:
    """``[(key, words)]`` for every channel ``notification`` can reach, then the
    site contacts: "The article", "All subscribers of the article"..."""
    choices = []
    for prefix, model in role_models(notification):
        if model is None or model not in objects:
            continue
        for channel_key, channel in objects[model].registration.get_channels().items():
            key = f"{prefix}:{channel_key}" if channel_key else prefix
            choices.append((key, _channel_label(prefix, model, channel_key, channel)))
    choices.append(("si", gettext("Site contacts")))
    return choices


def recipient_words(notification, keys) -> str:
    """The recipient keys ``keys`` as words, comma-separated ("nobody" for none)."""
    labels = dict(recipient_choices(notification))
    words = [labels.get(key, gettext("%(key)s (no longer defined)") % {"key": key})
             for key in keys]
    return ", ".join(words) if words else gettext("nobody")


def template_heading(template) -> str:
    """"Email (HTML) → All subscribers of the article" for a template."""
    return gettext("%(backend)s → %(recipients)s") % {
        "backend": backend_name(template.backend),
        "recipients": recipient_words(template.notification, template.get_recipient_keys())}


def notification_name(notification) -> str:
    """A notification by the name its recipients read (its description when
    it has none, else its codename in words)."""
    return "" if notification is None else str(notification)


_CODES_IN_ERRORS = re.compile(r"\b(protocol|backend) '([\w.-]+)'")


def error_words(error: str) -> str:
    """A logged error as editors read it: protocols and backends by name
    ("for Slack", not "for protocol 'slack-webhook'").  The log keeps the
    original, shown whole on the delivery's page."""
    def name(match):
        kind, code = match.groups()
        return protocol_name(code) if kind == "protocol" else backend_name(code)

    return _CODES_IN_ERRORS.sub(name, error or "")
