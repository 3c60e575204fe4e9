"""The template context: what a template is rendered with.

Sending, the admin preview, one-time messages, the preferences page and the
admin's list of variables all build their context with :func:`build_context`;
:mod:`django_vox.templating.visibility` describes it (the variable picker, the
checks of saved templates).  Every value is template data
(:mod:`django_vox.templating.sandbox`): views of the objects as their
registrations allow, never the objects.
"""

from typing import Any

from django.db.models import Model

from django_vox.issuing.recipients import ROLES
from django_vox.models import Notification
from django_vox.registry import Contact, objects
from django_vox.templating import samples, sandbox

__all__ = ["build_context", "context_names", "registration_for", "template_value"]

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
