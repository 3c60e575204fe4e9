"""The template context: the one place that says what a template can see.

Sending, the admin preview, one-time messages, the preferences page and the
admin's list of variables all build their context with :func:`build_context`.
"""

from typing import Any

from django_vox.issuing.recipients import ROLES

__all__ = ["build_context", "context_names"]

_UNSET = object()


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
    context = {}
    for role in ROLES:
        if role.attr is None or (notification is None and role.attr != "obj"):
            continue
        for name in role.names:
            context[name] = instances[role.attr]
    if notification is not None:
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
    names = [name for role in ROLES if role.attr is not None
             and (notification or role.attr == "obj") for name in role.names]
    if notification:
        names.append("notification")
    if contact:
        names += ["contact", "recipient"]
    if links:
        names += ["unsubscribe_url", "preferences_url"]
    return names
