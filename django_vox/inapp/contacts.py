"""How registrations give their users in-app contacts.

The in-app address of a user is the user's primary key as text.  Mix
:class:`InAppUserContacts` into the registration of the user model, so that
every channel that reaches users reaches them in-app too; for a model that
belongs to a user (a subscriber with a ``user`` field, say) yield
:func:`user_contact` from a contact method of your own::

    @provides_contacts("inapp")
    def inapp(self, subscriber, notification):
        return user_contact(subscriber.user)
"""

from __future__ import annotations

from typing import Any

from django_vox.registry import Contact, provides_contacts

__all__ = ["PROTOCOL", "user_contact", "InAppUserContacts"]

PROTOCOL = "inapp"


def user_contact(user: Any) -> Contact | None:
    """The in-app contact of ``user`` (None for no user, an unsaved or an inactive one)."""
    if user is None or getattr(user, "pk", None) is None or not getattr(user, "is_active", True):
        return None
    name = user.get_full_name() if hasattr(user, "get_full_name") else ""
    return Contact(name or str(user), PROTOCOL, str(user.pk), user)


class InAppUserContacts:
    """A mixin for the user model's registration: each active user is reachable in-app."""

    @provides_contacts(PROTOCOL)
    def inapp_contact(self, user, notification):
        return user_contact(user)
