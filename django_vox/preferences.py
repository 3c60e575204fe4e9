"""Recipient preferences and signed unsubscribe links.

Who owns a preference: a contact that belongs to a registered model instance
is owned by that instance (so a user's choice covers every address they
have); any other contact (a site contact, an address with no model) is owned
by its protocol and address.

Which row wins: for one owner, a notification and a protocol, the most
specific :class:`~django_vox.models.Preference` decides: notification and
protocol > notification, any protocol > any notification, protocol > any
notification, any protocol.  With no row, the owner's registration decides
(:meth:`Registration.get_default_preference`, by default the notification's
``default_enabled``).  Required notifications ignore preferences.

Links carry a token made with :mod:`django.core.signing` (salted per use):
it names the owner, the notification and the protocol, so the views need no
login and never look anything up by an id a visitor could guess.
"""

import logging
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core import signing
from django.core.exceptions import ImproperlyConfigured, ObjectDoesNotExist
from django.db.models import Q
from django.urls import NoReverseMatch, reverse

from django_vox import conf
from django_vox.backends import backends as backend_registry
from django_vox.exceptions import VoxError

__all__ = [
    "BadToken", "Owner", "PreferenceFilter", "PreferenceMatrix", "UNSUBSCRIBE_SALT",
    "PREFERENCES_SALT", "absolute_url", "is_enabled", "make_preferences_token",
    "make_unsubscribe_token", "read_preferences_token", "read_unsubscribe_token",
    "set_preference", "unsubscribe_links",
]

logger = logging.getLogger("django_vox")

UNSUBSCRIBE_SALT = "django_vox.preferences.unsubscribe"
PREFERENCES_SALT = "django_vox.preferences.manage"


class BadToken(VoxError, ValueError):
    """A link's token is malformed, tampered with, expired or names nothing."""


@dataclass(frozen=True)
class Owner:
    """Whose preference it is: an object (content type + pk) or a protocol + address."""

    content_type_id: int | None = None
    object_id: str = ""
    protocol: str = ""
    address: str = ""
    instance: Any = field(default=None, compare=False, hash=False, repr=False)

    @classmethod
    def of_instance(cls, instance) -> "Owner":
        ct = ContentType.objects.get_for_model(instance.__class__)  # unwraps request.user
        return cls(ct.id, str(instance.pk), instance=instance)

    @classmethod
    def of_contact(cls, contact, type_ids=None) -> "Owner":
        """The owner of ``contact``: its registered object, else its address.

        ``type_ids`` (class → content type id), when given, is filled and
        reused, so a batch of contacts of one model looks its type up once.
        """
        from django_vox.registry import objects

        obj, kind = contact.obj, type(contact.obj)
        if type_ids is not None and kind in type_ids and obj.pk is not None:
            return cls(type_ids[kind], str(obj.pk), instance=obj)
        if obj is None or not hasattr(obj, "_meta") or obj.pk is None or kind not in objects:
            return cls(protocol=contact.protocol, address=contact.address)
        owner = cls.of_instance(obj)
        if type_ids is not None:
            type_ids[kind] = owner.content_type_id
        return owner

    @property
    def key(self):
        return (self.content_type_id, self.object_id, self.protocol, self.address)

    def row_fields(self) -> dict:
        """The Preference fields that name this owner."""
        if self.content_type_id:
            return {"owner_type_id": self.content_type_id, "owner_id": self.object_id,
                    "address": ""}
        return {"owner_type": None, "owner_id": "", "address": self.address}

    def token_data(self):
        if self.content_type_id:
            ct = ContentType.objects.get_for_id(self.content_type_id)
            return ["m", f"{ct.app_label}.{ct.model}", self.object_id]
        return ["a", self.protocol, self.address]

    @classmethod
    def from_token_data(cls, data) -> "Owner":
        kind, first, second = data
        if kind == "a":
            return cls(protocol=str(first), address=str(second))
        if kind != "m":
            raise ValueError(kind)
        app_label, _dot, model = str(first).partition(".")
        ct = ContentType.objects.get_by_natural_key(app_label, model)
        return cls(ct.id, str(second))

    def load_instance(self) -> "Owner":
        """This owner with its instance loaded (by the pk from a signed token)."""
        if not self.content_type_id or self.instance is not None:
            return self
        model = ContentType.objects.get_for_id(self.content_type_id).model_class()
        if model is None:
            raise BadToken("The link names a kind of object that no longer exists.")
        try:
            instance = model._default_manager.get(pk=self.object_id)
        except (ObjectDoesNotExist, ValueError, TypeError):
            raise BadToken("The link names someone who no longer exists.") from None
        return Owner(self.content_type_id, self.object_id, instance=instance)

    def registration(self):
        from django_vox.registry import objects

        if self.instance is None:
            return None
        return objects[self.instance.__class__].registration

    def __str__(self):
        if self.instance is not None:
            return str(self.instance)
        return self.address if not self.content_type_id else f"#{self.object_id}"


# -- which row wins -----------------------------------------------------------
def _specificity(pref):
    return (pref.notification_id is not None) * 2 + bool(pref.protocol)


def _best(rows, notification_id, protocol):
    matching = [row for row in rows
                if row.notification_id in (None, notification_id) and row.protocol in ("", protocol)]
    return max(matching, key=_specificity, default=None)


def _default(owner, notification, protocol, registrations=None):
    """The registration's default for ``owner``; ``registrations`` (class →
    registration), when given, memoises the lookup across a batch."""
    if registrations is None or owner.instance is None:
        registration = owner.registration()
    else:
        kind = type(owner.instance)
        if kind not in registrations:
            registrations[kind] = owner.registration()
        registration = registrations[kind]
    if registration is None:
        return bool(notification.default_enabled)
    return bool(registration.get_default_preference(owner.instance, notification, protocol))


def _load_rows(owners, notification=None, protocol=None):
    """All Preference rows of ``owners`` that can apply, in ONE query."""
    from django_vox.models import Preference

    by_type, addresses = {}, {}
    for owner in owners:
        if owner.content_type_id:
            by_type.setdefault(owner.content_type_id, set()).add(owner.object_id)
        else:
            addresses.setdefault(owner.protocol, set()).add(owner.address)
    if not by_type and not addresses:
        return []
    who = Q()
    for ct_id, ids in by_type.items():
        who |= Q(owner_type_id=ct_id, owner_id__in=sorted(ids))
    for proto, found in addresses.items():
        who |= Q(owner_type__isnull=True, protocol=proto, address__in=sorted(found))
    rows = Preference.objects.filter(who)
    if notification is not None:
        rows = rows.filter(Q(notification=notification) | Q(notification__isnull=True))
    if protocol is not None:
        rows = rows.filter(Q(protocol=protocol) | Q(protocol=""))
    return list(rows)


def _owner_of_row(row):
    if row.owner_type_id:
        return (row.owner_type_id, row.owner_id, "", "")
    return (None, "", row.protocol, row.address)


def is_enabled(owner: Owner, notification, protocol: str) -> bool:
    """Whether ``owner`` receives ``notification`` on ``protocol`` (one query)."""
    if notification.required:
        return True
    best = _best(_load_rows([owner], notification, protocol), notification.pk, protocol)
    return best.enabled if best is not None else _default(owner, notification, protocol)


class PreferenceFilter:
    """Splits a batch of contacts into those to send to and those suppressed.

    The first batch loads every Preference row that can apply to the
    notification and protocol, when there are at most :attr:`PRELOAD_LIMIT`
    of them (one query for the whole issue, the usual case).  With more, each
    batch loads the rows of its own recipients instead (one query per batch),
    so memory stays bounded whatever the size of the preference table.
    """

    PRELOAD_LIMIT = 10_000

    def __init__(self, notification, protocol: str):
        self.notification = notification
        self.protocol = protocol
        self._preloaded = None  # owner key → rows, once loaded; False: too many to hold

    def _rows_for(self, owners):
        if self._preloaded is None:
            self._preloaded = False
            rows = _applicable_rows(self.notification, self.protocol, self.PRELOAD_LIMIT + 1)
            if len(rows) <= self.PRELOAD_LIMIT:
                self._preloaded = _by_owner(rows)
        if self._preloaded is not False:
            return self._preloaded
        return _by_owner(_load_rows(owners, self.notification, self.protocol))

    def split(self, contacts):
        """Return ``(allowed, suppressed)``: lists of (contact, owner) and of
        (contact, reason).  At most one query per call, whatever the batch size."""
        type_ids = {}
        owners = [Owner.of_contact(contact, type_ids) for contact in contacts]
        if self.notification.required:
            return list(zip(contacts, owners, strict=True)), []
        rows = self._rows_for(owners)
        allowed, suppressed = [], []
        registrations = {}  # class → registration, looked up once per batch
        for contact, owner in zip(contacts, owners, strict=True):
            owned = rows.get(owner.key)
            best = _best(owned, self.notification.pk, self.protocol) if owned else None
            if best is not None:
                enabled = best.enabled
                reason = (f"Suppressed: the recipient turned this off "
                          f"(preference {best.pk}: {_scope(best)}).")
            else:
                enabled = _default(owner, self.notification, self.protocol, registrations)
                reason = "Suppressed: off by default for this recipient (no preference set)."
            if enabled:
                allowed.append((contact, owner))
            else:
                suppressed.append((contact, reason))
        return allowed, suppressed


def _by_owner(rows):
    grouped = {}
    for row in rows:
        grouped.setdefault(_owner_of_row(row), []).append(row)
    return grouped


def _applicable_rows(notification, protocol, limit):
    """Up to ``limit`` Preference rows, of any owner, that can apply (ONE query)."""
    from django_vox.models import Preference

    return list(Preference.objects.filter(
        Q(notification=notification) | Q(notification__isnull=True),
        Q(protocol=protocol) | Q(protocol=""),
    ).order_by()[:limit])


def _scope(pref):
    what = "this notification" if pref.notification_id else "every notification"
    how = f"by {pref.protocol}" if pref.protocol else "on every protocol"
    return f"{what} {how}"


def set_preference(owner: Owner, notification, protocol: str, enabled: bool):
    """Create or update the owner's row for exactly (notification, protocol)."""
    from django_vox.models import Preference

    if not owner.content_type_id and protocol != owner.protocol:
        raise ValueError(f"An address owner's preference must be for its protocol "
                         f"{owner.protocol!r}, not {protocol!r}.")
    fields = owner.row_fields()
    row, _created = Preference.objects.update_or_create(
        notification=notification, protocol=protocol, **fields,
        defaults={"enabled": bool(enabled)})
    return row


# -- tokens and links ---------------------------------------------------------
def _max_age():
    return conf.get("DJANGO_VOX_UNSUBSCRIBE_MAX_AGE")


def _notification_key(notification):
    ct = notification.object_type
    return [ct.app_label, ct.model, notification.codename]


def make_unsubscribe_token(owner: Owner, notification, protocol: str) -> str:
    return signing.dumps({"o": owner.token_data(), "n": _notification_key(notification),
                          "p": protocol}, salt=UNSUBSCRIBE_SALT, compress=True)


def make_preferences_token(owner: Owner) -> str:
    return signing.dumps({"o": owner.token_data()}, salt=PREFERENCES_SALT, compress=True)


def _loads(token, salt):
    try:
        return signing.loads(token, salt=salt, max_age=_max_age())
    except signing.SignatureExpired:
        raise BadToken("This link has expired.") from None
    except (signing.BadSignature, ValueError, TypeError):  # includes decompression errors
        raise BadToken("This link is not valid: it is incomplete or was altered.") from None


def read_unsubscribe_token(token: str):
    """Return ``(owner, notification, protocol)`` or raise BadToken."""
    from django_vox.models import Notification

    data = _loads(token, UNSUBSCRIBE_SALT)
    try:
        owner = Owner.from_token_data(data["o"])
        app_label, model, codename = data["n"]
        notification = Notification.objects.select_related("object_type").get(
            object_type__app_label=app_label, object_type__model=model, codename=codename)
        protocol = str(data["p"])
    except (KeyError, TypeError, ValueError, ObjectDoesNotExist):
        raise BadToken("This link names a notification that no longer exists.") from None
    return owner, notification, protocol


def read_preferences_token(token: str) -> Owner:
    data = _loads(token, PREFERENCES_SALT)
    try:
        owner = Owner.from_token_data(data["o"])
    except (KeyError, TypeError, ValueError, ObjectDoesNotExist):
        raise BadToken("This link names someone who no longer exists.") from None
    return owner.load_instance()


def absolute_url(path: str) -> str | None:
    """``path`` on the site: SITE_DOMAIN/SITE_SSL, else django.contrib.sites."""
    domain = conf.get("SITE_DOMAIN")
    if not domain and apps.is_installed("django.contrib.sites"):
        from django.contrib.sites.models import Site

        try:
            domain = Site.objects.get_current().domain
        except (Site.DoesNotExist, ImproperlyConfigured):
            domain = None
    if not domain:
        return None
    scheme = "https" if conf.get("SITE_SSL") else "http"
    return f"{scheme}://{domain}{path}"


class unsubscribe_links:  # noqa: N801 - used like a function
    """Builds each recipient's unsubscribe and preferences URLs for one
    notification and protocol; works out the site's address once."""

    def __init__(self, notification, protocol: str):
        self.notification = notification
        self.protocol = protocol
        self.base = None
        if notification.required:
            return  # an unsubscribe link that cannot work would mislead
        try:
            reverse("django_vox:unsubscribe", args=["x"])
        except NoReverseMatch:
            logger.debug("django_vox.urls is not included: no unsubscribe links.")
            return
        self.base = absolute_url("")
        if self.base is None:
            logger.warning("Neither SITE_DOMAIN nor django.contrib.sites gives the site's "
                           "domain: messages go out without unsubscribe links.")

    def __bool__(self):
        return self.base is not None

    def unsubscribe_url(self, owner: Owner) -> str:
        token = make_unsubscribe_token(owner, self.notification, self.protocol)
        return self.base + reverse("django_vox:unsubscribe", args=[token])

    def preferences_url(self, owner: Owner) -> str:
        return self.base + reverse("django_vox:preferences-signed",
                                   args=[make_preferences_token(owner)])

    def headers(self, url: str) -> dict:
        """RFC 2369 List-Unsubscribe, and RFC 8058 one-click when it is HTTPS."""
        headers = {"List-Unsubscribe": f"<{url}>"}
        if url.startswith("https://"):
            headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        return headers


# -- the preferences page -----------------------------------------------------
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


def _reaches(template, owner_model):
    """Whether a recipient key of ``template`` can reach an ``owner_model`` instance."""
    from django_vox.registry import objects

    notification = template.notification
    for key in template.get_recipient_keys():
        role, _colon, channel_key = key.partition(":")
        model = {"c": notification.get_object_model, "se": notification.get_actor_model,
                 "re": notification.get_target_model}.get(role, lambda: None)()
        if model is None:
            continue
        channel = objects[model].registration.get_channels().get(channel_key)
        if channel is not None and channel.model is not None and issubclass(owner_model,
                                                                            channel.model):
            return True
    return False


class PreferenceMatrix:
    """The notifications an owner can receive × the protocols they have
    contacts for, with the current choice of each cell."""

    def __init__(self, owner: Owner):
        from django_vox.models import Template

        self.owner = owner
        self.protocols = _owner_protocols(owner)
        templates = (Template.objects.filter(enabled=True)
                     .select_related("notification__object_type", "notification__actor_type",
                                     "notification__target_type"))
        owner_model = owner.instance.__class__ if owner.instance is not None else None
        notifications = {}
        for template in templates:
            backend_class = backend_registry.get(template.backend)
            if backend_class is None or backend_class.PROTOCOL not in self.protocols:
                continue
            if owner_model is None or _reaches(template, owner_model):
                notifications.setdefault(template.notification.pk, template.notification)
        ordered = sorted(notifications.values(), key=lambda n: (str(n.description) or n.codename))
        self.required = [n for n in ordered if n.required]
        self.notifications = [n for n in ordered if not n.required]
        rows = _load_rows([owner]) if self.notifications else []
        self.rows = []
        for notification in self.notifications:
            cells = []
            for protocol in self.protocols:
                best = _best(rows, notification.pk, protocol)
                enabled = best.enabled if best is not None else _default(owner, notification,
                                                                          protocol)
                cells.append({"name": f"{notification.pk}:{protocol}", "protocol": protocol,
                              "enabled": enabled})
            self.rows.append({"notification": notification, "cells": cells})

    def save(self, checked) -> int:
        """Apply the checked cell names (``"<notification pk>:<protocol>"``);
        cells not on the page are ignored.  Returns the number of changes."""
        checked = set(checked)
        changed = 0
        for row in self.rows:
            for cell in row["cells"]:
                wanted = cell["name"] in checked
                if wanted != cell["enabled"]:
                    set_preference(self.owner, row["notification"], cell["protocol"], wanted)
                    cell["enabled"] = wanted
                    changed += 1
        return changed
