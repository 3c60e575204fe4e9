"""Recipient preferences and signed unsubscribe links.

The package, lowest module first:

* :mod:`~django_vox.preferences.owners`: who owns a preference (a registered
  object, else a protocol and address);
* :mod:`~django_vox.preferences.resolution`: which row wins, for one owner
  (:func:`is_enabled`) or a batch of contacts (:class:`PreferenceFilter`);
* :mod:`~django_vox.preferences.links`: signed unsubscribe and preferences
  links (:class:`unsubscribe_links`);
* :mod:`~django_vox.preferences.page`: the preferences page
  (:class:`PreferenceMatrix`).

Issuing does not import this package: ``VoxConfig.ready()`` hands
:class:`PreferenceFilter` and :class:`unsubscribe_links` to it.

May import the registry, the models, the backends and what is below them;
issuing asks them through the contact policy and never imports them.
"""

from django_vox.exceptions import BadToken
from django_vox.preferences.links import (
    PREFERENCES_SALT,
    UNSUBSCRIBE_SALT,
    absolute_url,
    make_preferences_token,
    make_unsubscribe_token,
    read_preferences_token,
    read_unsubscribe_token,
    token_language,
    unsubscribe_links,
)
from django_vox.preferences.owners import Owner
from django_vox.preferences.page import PreferenceMatrix
from django_vox.preferences.resolution import PreferenceFilter, is_enabled, set_preference

__all__ = [
    "BadToken", "Owner", "PreferenceFilter", "PreferenceMatrix", "UNSUBSCRIBE_SALT",
    "PREFERENCES_SALT", "absolute_url", "is_enabled", "make_preferences_token",
    "make_unsubscribe_token", "read_preferences_token", "read_unsubscribe_token",
    "set_preference", "token_language", "unsubscribe_links",
]
