"""The preferences page: the notifications an owner can receive × the
protocols they have contacts for."""

from django_vox.backends import backends as backend_registry
from django_vox.backends import protocol_name
from django_vox.models import Template
from django_vox.preferences.owners import Owner
from django_vox.preferences.resolution import (
    best_row,
    default_choice,
    load_rows,
    set_preference,
)
from django_vox.registry import objects

__all__ = ["PreferenceMatrix"]


def _owner_protocols(owner):
    enabled = set(backend_registry.protocols())
    if not owner.content_type_id:
        return [owner.protocol] if owner.protocol in enabled else []
    registration = owner.registration()
    found = []
    for protocol in registration.get_supported_protocols():
        if protocol in enabled and next(iter(
                registration.get_contacts(owner.instance, protocol, None)), None) is not None:
            found.append(protocol)
    return sorted(found)


_ROLE_MODELS = {"c": "get_object_model", "se": "get_actor_model", "re": "get_target_model"}


def _reaches(template, owner_model):
    """Whether a recipient key of ``template`` can reach an ``owner_model`` instance."""
    notification = template.notification
    for key in template.get_recipient_keys():
        role, _colon, channel_key = key.partition(":")
        getter = _ROLE_MODELS.get(role)
        model = getattr(notification, getter)() if getter else None
        if model is None:
            continue
        channel = objects[model].registration.get_channels().get(channel_key)
        if channel is not None and channel.model is not None and issubclass(owner_model,
                                                                            channel.model):
            return True
    return False


def _offered_notifications(owner, protocols, digestable=None):
    """The notifications with an enabled template that can reach ``owner`` on
    one of ``protocols``, by description.  ``digestable``, when given, gets the
    ``(notification pk, protocol)`` pairs whose template allows digests."""
    templates = (Template.objects.filter(enabled=True)
                 .select_related("notification__object_type", "notification__actor_type",
                                 "notification__target_type"))
    owner_model = owner.instance.__class__ if owner.instance is not None else None
    notifications = {}
    for template in templates:
        backend_class = backend_registry.get(template.backend)
        if backend_class is None or backend_class.PROTOCOL not in protocols:
            continue
        if owner_model is None or _reaches(template, owner_model):
            notifications.setdefault(template.notification.pk, template.notification)
            if digestable is not None and template.digest_allowed():
                digestable.add((template.notification.pk, backend_class.PROTOCOL))
    return sorted(notifications.values(), key=str)


class PreferenceMatrix:
    """The notifications an owner can receive × the protocols they have
    contacts for, with the current choice of each cell."""

    def __init__(self, owner: Owner):
        self.owner = owner
        self.protocols = _owner_protocols(owner)
        self.columns = [protocol_name(protocol) for protocol in self.protocols]
        self.digestable = set()
        ordered = _offered_notifications(owner, self.protocols, self.digestable)
        self.required = [n for n in ordered if n.required]
        self.notifications = [n for n in ordered if not n.required]
        rows = load_rows([owner]) if self.notifications else []
        self.rows = [{"notification": notification, "cells": self._cells(rows, notification)}
                     for notification in self.notifications]

    def _cells(self, rows, notification):
        cells = []
        for protocol in self.protocols:
            best = best_row(rows, notification.pk, protocol)
            enabled = (best.enabled if best is not None
                       else default_choice(self.owner, notification, protocol))
            cells.append({"name": f"{notification.pk}:{protocol}", "protocol": protocol,
                          "protocol_name": protocol_name(protocol),
                          "enabled": enabled, "delivery": best.delivery if best else "",
                          "digests": (notification.pk, protocol) in self.digestable})
        return cells

    #: The choices of a cell whose template allows digests ("" follows the site).
    CHOICES = ("", "immediately", "daily", "weekly", "off")

    def save(self, checked, choices=None) -> int:
        """Apply the checked cell names (``"<notification pk>:<protocol>"``)
        and, for cells that offer digests, ``choices`` (cell name → one of
        :attr:`CHOICES`, which wins over the checkbox); cells not on the page
        and unknown choices are ignored.  Returns the number of changes."""
        checked, choices = set(checked), choices or {}
        changed = 0
        for row in self.rows:
            for cell in row["cells"]:
                wanted, delivery = cell["name"] in checked, cell["delivery"]
                choice = choices.get(cell["name"]) if cell["digests"] else None
                if choice in self.CHOICES:
                    wanted = choice != "off"
                    delivery = choice if wanted else delivery
                if (wanted, delivery) != (cell["enabled"], cell["delivery"]):
                    set_preference(self.owner, row["notification"], cell["protocol"], wanted,
                                   delivery=delivery)
                    cell["enabled"], cell["delivery"] = wanted, delivery
                    changed += 1
        return changed
