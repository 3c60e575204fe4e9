"""Registrations: which models send which notifications, to whom.

A :class:`Registration` subclass declares a model's notifications
(:class:`Notification`), attachments (:class:`Attachment`) and, per protocol,
how to find the addresses of an instance (methods decorated with
:func:`provides_contacts`).  ``get_channels()`` says which groups of people a
notification about an instance can reach.  ``objects.add(Model, Registration,
regex=...)`` ties it to a model.

The registry lives in two modules, lowest first:

* :mod:`~django_vox.registry.declarations`: contacts, attachments, channels;
* :mod:`~django_vox.registry.registrations`: notifications, registrations, the
  object registry with its signal receivers, and the activity IRIs of
  registered objects;

and :mod:`~django_vox.registry.sync` writes the declared notifications to the
database.  The package may import the models, backends, messages, the
templating rules and :mod:`django_vox.activities.iri`; never issuing or
anything above it.  Every public name is importable from here.
"""

from django_vox.backends import backends  # noqa: F401  (public: django_vox.registry.backends)
from django_vox.registry.declarations import Attachment, Channel, Contact, provides_contacts
from django_vox.registry.registrations import (
    Notification,
    ObjectRegistry,
    Registration,
    RegistryEntry,
    SignalRegistration,
    default_activity_object,
    object_iri,
    object_iri_path,
    objects,
    site_iri,
)
from django_vox.templating.sandbox import TemplateVariable

__all__ = [
    "objects", "Registration", "SignalRegistration", "Notification", "Channel",
    "Contact", "provides_contacts", "Attachment", "backends", "TemplateVariable",
    "ObjectRegistry", "RegistryEntry", "default_activity_object", "object_iri",
    "object_iri_path", "site_iri",
]
