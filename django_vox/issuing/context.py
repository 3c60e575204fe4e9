"""The template context: the one place that says what a template can see.

Sending, the admin preview, one-time messages, the preferences page and the
admin's list of variables all build their context with :func:`build_context`.
"""

from typing import Any

from django_vox.issuing.recipients import ROLES

__all__ = ["build_context", "context_names"]

_UNSET = object()
#: (variable name, role attribute) of a notification's context, and of a one-time message's.
_NOTIFICATION_NAMES = tuple((name, role.attr) for role in ROLES if role.attr is not None
                            for name in role.names)
_ONE_TIME_NAMES = tuple(pair for pair in _NOTIFICATION_NAMES if pair[1] == "obj")


def build_context(obj: Any, *, notification: Any = None, actor: Any = None, target: Any = None,
                  contact: Any = None, recipient: Any = _UNSET,
                  unsubscribe_url: str | None = None,
                  preferences_url: str | None = None) -> dict:
    """The variables a template is rendered with.

    ``obj`` is the object the message is about (``object``/``content``).  A
    notification adds ``notification``, ``actor``/``source`` and ``target``
    (None when it declares none); a one-time message (``notification=None``)
    has none of them.  ``contact`` is the Contact being written to, and
    ``recipient`` its object (else the contact itself) unless given.  The link
    variables are only present when there are links.
    """
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
    if unsubscribe_url is not None:
        context["unsubscribe_url"] = unsubscribe_url
    if preferences_url is not None:
        context["preferences_url"] = preferences_url
    return context


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
