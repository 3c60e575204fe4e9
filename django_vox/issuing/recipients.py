"""Who an issue reaches: recipient roles and keys, channels, contacts.

A template's recipients are comma-separated keys.  Each names a role (the
object, the actor, the target, or the site contacts) and, after a colon, one
of the role's channels (``c:cust``).  :data:`ROLES` is the one table of
roles: the key, the names a template or attachment key may use for it.
"""

import logging
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, OuterRef, Q, QuerySet

from django_vox.models import Notification, SiteContact, SiteContactSetting, Template
from django_vox.registry import Channel, Contact, objects

__all__ = ["Role", "ROLES", "SITE", "role_of", "role_by_name", "parse_key", "resolve_channel",
           "unique_contacts", "site_contacts", "template_contacts", "contacts_of", "RecipientRefs",
           "role_models"]

logger = logging.getLogger("django_vox")


@dataclass(frozen=True)
class Role:
    """One recipient role.  ``attr`` is the issue's attribute holding its
    instance (None for the site contacts); ``names`` are what templates and
    attachment keys call it."""

    key: str
    attr: str | None
    names: tuple[str, ...]


ROLES = (
    Role("c", "obj", ("object", "content")),
    Role("se", "actor", ("actor", "source")),
    Role("re", "target", ("target",)),
    Role("si", None, ()),
)
#: The key of the site contacts.
SITE = "si"
_BY_KEY = {role.key: role for role in ROLES}
_BY_NAME = {name: role for role in ROLES for name in role.names}


def role_of(key: str) -> Role | None:
    """The role of a recipient key's role part (``"c"``, ``"se"`` ...), or None."""
    return _BY_KEY.get(key)


def role_by_name(name: str) -> Role | None:
    """The role a template or attachment key calls ``name`` (``"object"``, ``"source"`` ...)."""
    return _BY_NAME.get(name)


def parse_key(key: str) -> tuple[Role | None, str]:
    """``"c:cust"`` → (the object's role, ``"cust"``); an unknown role gives None."""
    role, _colon, channel_key = key.strip().partition(":")
    return role_of(role), channel_key


def resolve_channel(key: str, instances: Mapping[str, Any]) -> tuple[Channel | None, Iterable[Any]]:
    """The channel a recipient key names and the objects it reaches.

    ``instances`` maps role attributes (``obj``, ``actor``, ``target``) to
    the issue's instances.  (None, ()) for a key that reaches nothing.
    """
    role, channel_key = parse_key(key)
    instance = instances.get(role.attr) if role is not None and role.attr else None
    if instance is None:
        return None, ()
    channel = objects[type(instance)].registration.get_channels().get(channel_key)
    if channel is None:
        logger.warning("Recipient key %r: %s has no channel %r.", key,
                       type(instance)._meta.label, channel_key)
        return None, ()
    return channel, channel.resolve(instance)


def unique_contacts(contacts: Iterable[Contact],
                    seen: set[str] | None = None) -> Iterator[Contact]:
    """Each contact once: later ones with an address already seen are dropped."""
    seen = set() if seen is None else seen
    for contact in contacts:
        if contact.address in seen:
            continue
        seen.add(contact.address)
        yield contact


def site_contacts(notification: Notification, protocol: str) -> QuerySet[SiteContact]:
    """The site contacts on ``protocol`` that get ``notification``."""
    settings = SiteContactSetting.objects.filter(
        site_contact=OuterRef("pk"), notification=notification)
    return (SiteContact.objects.filter(protocol=protocol)
            .filter(Q(enable_filter=SiteContact.BLACKLIST) & ~Exists(settings.filter(enabled=False))
                    | Q(enable_filter=SiteContact.WHITELIST) & Exists(settings.filter(enabled=True))))


def contacts_of(instances: Iterable[Any], protocol: str,
                notification: Notification | None) -> Iterator[Contact]:
    """The contacts of each of ``instances`` on ``protocol`` (through their registrations)."""
    registration = None
    for instance in instances:
        if registration is None or not isinstance(instance, registration.model or object):
            registration = objects[type(instance)].registration
        yield from registration.get_contacts(instance, protocol, notification)


def _key_contacts(key: str, notification: Notification, protocol: str,
                  instances: Mapping[str, Any]) -> Iterable[Contact]:
    if key == SITE:
        return (Contact(sc.name, protocol, sc.address, sc, sc.language, sc.timezone)
                for sc in site_contacts(notification, protocol).iterator())
    channel, reached = resolve_channel(key, instances)
    if channel is None:
        return ()
    return contacts_of(reached, protocol, notification)


def template_contacts(template: Template, notification: Notification, protocol: str,
                      instances: Mapping[str, Any],
                      seen: set[str] | None = None) -> Iterator[Contact]:
    """Each Contact ``template`` reaches, once (de-duplicated by address);
    none whose address is in ``seen`` (filled as they go)."""
    seen = set() if seen is None else seen
    for key in template.get_recipient_keys():
        yield from unique_contacts(_key_contacts(key, notification, protocol, instances), seen)


class RecipientRefs:
    """``(content type id, pk)`` of a contact's object, for the delivery log
    (so a resend can ask the recipient's preferences again); ``(None, "")``
    for a contact with no saved model instance.  One lookup per class."""

    def __init__(self) -> None:
        self._type_ids: dict[type, int] = {}

    def __call__(self, obj: Any) -> tuple[int | None, str]:
        pk = getattr(obj, "pk", None)
        if pk is None or not hasattr(obj, "_meta"):
            return None, ""
        kind = type(obj)
        type_id = self._type_ids.get(kind)
        if type_id is None:
            type_id = self._type_ids[kind] = ContentType.objects.get_for_model(kind).pk
        return type_id, str(pk)


def role_models(notification: Notification | None) -> Iterator[tuple[str, Any]]:
    """Yield (key prefix, model) for the object, actor and target ``notification``
    has: ``("c", Article)``, then ``("se", User)`` and ``("re", ...)`` when declared."""
    if notification is None or not notification.object_type_id:
        return
    yield "c", notification.get_object_model()
    if notification.actor_type_id:
        yield "se", notification.get_actor_model()
    if notification.target_type_id:
        yield "re", notification.get_target_model()
