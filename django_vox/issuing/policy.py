"""The contact policy: which contacts may be written to, and the links a
message gives them to opt out.

Recipients' preferences sit above issuing in the layer order, so issuing does
not import them: :class:`django_vox.apps.VoxConfig` installs
:mod:`django_vox.preferences` here when Django starts.  Until then (or when
something else is installed), every contact is allowed and no links are made.
"""

from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["AllowAll", "NoLinks", "install_contact_policy", "contact_filter", "links_for"]


class AllowAll:
    """The filter used when no policy is installed: nobody is suppressed."""

    def __init__(self, notification: Any, protocol: str) -> None:
        self.notification = notification
        self.protocol = protocol

    def split(self, contacts: Iterable[Any]) -> tuple[list[tuple[Any, Any]], list[tuple[Any, str]]]:
        """``(allowed, suppressed)``: ``[(contact, owner)]`` and ``[(contact, reason)]``."""
        return [(contact, None) for contact in contacts], []


class NoLinks:
    """The links used when no policy is installed: none."""

    def __init__(self, notification: Any, protocol: str) -> None:
        pass

    def __bool__(self) -> bool:
        return False


_filter_factory: Callable[[Any, str], Any] = AllowAll
_links_factory: Callable[[Any, str], Any] = NoLinks


def install_contact_policy(filter_factory: Callable[[Any, str], Any],
                           links_factory: Callable[[Any, str], Any]) -> None:
    """Use ``filter_factory(notification, protocol)`` (an object with
    ``split(contacts) -> (allowed, suppressed)``) and ``links_factory(notification,
    protocol)`` (false when there are no links; else ``unsubscribe_url(owner)``,
    ``preferences_url(owner)`` and ``headers(url)``) for every issue."""
    global _filter_factory, _links_factory
    _filter_factory, _links_factory = filter_factory, links_factory


def contact_filter(notification: Any, protocol: str) -> Any:
    """The installed filter for one notification and protocol."""
    return _filter_factory(notification, protocol)


def links_for(notification: Any, protocol: str) -> Any:
    """The installed links for one notification and protocol."""
    return _links_factory(notification, protocol)
