"""The legacy model API that django-vox 4.0.6 still carried: ``VoxModel``.

A 4.x project could declare notifications on the model itself::

    from django_vox.models import VoxModel, VoxNotification, VoxNotifications

    class Invoice(VoxModel):
        class VoxMeta:
            notifications = VoxNotifications(
                sent=VoxNotification("An invoice was sent.", actor_type="auth.user"),
                paid="An invoice was paid.",  # a plain description is enough
            )

    invoice.issue_notification("sent", actor=user)

Defining such a model registers it, as 4.x did, with
``objects.add(Invoice, <a Registration declaring those notifications>, regex=None)``:
the object itself is recipient ``c`` and site contacts are ``si``.  ``VoxMeta``
takes ``notifications`` and ``attachments`` (a mapping of key →
:class:`~django_vox.registry.Attachment`); anything else is an error naming it.

Each step warns with :class:`~django_vox.exceptions.RemovedInDjangoVox6Warning`
naming the replacement: a :class:`~django_vox.registry.Registration` with
:class:`~django_vox.registry.Notification` attributes.
"""

from django.db import models

from django_vox import registry
from django_vox.compat import deprecated
from django_vox.models import Notification as NotificationRow

__all__ = ["VoxModel", "VoxModelBase", "VoxNotification", "VoxNotifications"]

#: What ``VoxMeta`` may set.
VOX_META_OPTIONS = ("notifications", "attachments")

_REGISTRATION = ("declare the notifications as django_vox.registry.Notification attributes of a "
                 "django_vox.registry.Registration subclass and register it with "
                 "django_vox.registry.objects.add(Model, TheRegistration, regex=None).")


class VoxNotification(registry.Notification):
    """The 4.x name of :class:`django_vox.registry.Notification` (same arguments)."""

    def __init__(self, *args, **kwargs):
        deprecated("django_vox.models.VoxNotification", "use django_vox.registry.Notification.")
        super().__init__(*args, **kwargs)


class VoxNotifications(list):
    """The notifications of a ``VoxMeta``, by codename: each value is a
    Notification (its codename defaults to the keyword) or a description."""

    def __init__(self, **notifications):
        deprecated("django_vox.models.VoxNotifications", _REGISTRATION)
        super().__init__()
        for codename, value in notifications.items():
            if not isinstance(value, registry.Notification):
                value = registry.Notification(value)
            if not value.codename:
                value.codename = codename
            self.append(value)


def _options(model_name, meta):
    """``(notifications, attachments)`` of a VoxMeta class; ValueError for others."""
    options = {key: value for key, value in vars(meta).items() if not key.startswith("_")}
    unknown = sorted(set(options) - set(VOX_META_OPTIONS))
    if unknown:
        raise ValueError(f"{model_name}.VoxMeta has invalid attribute(s): {', '.join(unknown)} "
                         f"(VoxMeta takes {' and '.join(VOX_META_OPTIONS)}).")
    notifications = list(options.get("notifications") or ())
    for notification in notifications:
        if not isinstance(notification, registry.Notification):
            raise ValueError(f"{model_name}.VoxMeta.notifications holds {notification!r}; "
                             f"use VoxNotifications(codename=VoxNotification(...)).")
    return notifications, dict(options.get("attachments") or {})


def registration_for(model, notifications, attachments):
    """The Registration subclass a VoxMeta stands for."""
    attributes = {"__module__": model.__module__,
                  "__doc__": f"The registration of {model.__name__}'s VoxMeta (4.x)."}
    attributes.update(attachments)
    attributes.update({notification.codename: notification for notification in notifications})
    return type(f"{model.__name__}VoxRegistration", (registry.Registration,), attributes)


class VoxModelBase(models.base.ModelBase):
    """Registers a model declaring ``class VoxMeta`` (unless it is abstract)."""

    def __new__(mcs, name, bases, attributes, **kwargs):
        meta = attributes.pop("VoxMeta", None)
        model = super().__new__(mcs, name, bases, attributes, **kwargs)
        if meta is not None and not model._meta.abstract:
            deprecated(f"{model._meta.label}.VoxMeta", _REGISTRATION)
            notifications, attachments = _options(name, meta)
            registry.objects.add(model, registration_for(model, notifications, attachments),
                                 regex=None)
        return model


class VoxModel(models.Model, metaclass=VoxModelBase):
    """The 4.x base class of models declaring their notifications (``VoxMeta``)."""

    class Meta:
        abstract = True

    @classmethod
    def get_notification(cls, codename: str):
        """The ``django_vox.models.Notification`` row ``codename`` of this model."""
        deprecated(f"{cls.__name__}.get_notification()",
                   "use django_vox.models.Notification.objects.get_for_model(Model, codename).")
        return NotificationRow.objects.get_for_model(cls, codename)

    def issue_notification(self, codename: str, target=None, actor=None):
        """Issue notification ``codename`` about this object."""
        deprecated(f"{type(self).__name__}.issue_notification()",
                   "use django_vox.registry.objects[Model].notify(instance, codename, "
                   "actor=..., target=...).")
        return registry.objects[type(self)].notify(self, codename, actor=actor, target=target)
    issue_notification.alters_data = True  # sends: never from a template

    def get_object_address(self):
        """This object's IRI, or None when its model has no regex (4.x: never)."""
        deprecated(f"{type(self).__name__}.get_object_address()",
                   "use django_vox.registry.objects[Model].registration.get_object_address("
                   "instance).")
        return registry.objects[type(self)].registration.get_object_address(self)
