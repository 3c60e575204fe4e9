"""Registrations and the object registry: :class:`Registration` (a model's
notifications and how to reach people about an instance), ``objects`` (which
model has which registration, and where its objects live), the
post_save/post_delete receivers of :class:`SignalRegistration` and the
activity IRIs of registered objects.

They are one module because they need one another: a notification is issued
through the registry, the registry holds registrations, and a registration's
activity addresses are the IRIs the registry's regexes give.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import signals
from django.utils.translation import gettext_lazy as _

from django_vox import conf
from django_vox import models as vox_models
from django_vox.activities import iri as iris
from django_vox.exceptions import ActivityIRIError
from django_vox.registry.declarations import Attachment, Channel, Contact, provides_contacts

logger = logging.getLogger("django_vox")

__all__ = [
    "Notification", "ObjectRegistry", "Registration", "RegistryEntry", "SignalRegistration",
    "default_activity_object", "object_iri", "object_iri_path", "objects", "site_iri",
]


class Notification:
    """Declares a notification on a registration class.

    ``codename`` defaults to the attribute name.  ``actor_type`` and
    ``target_type`` are ``"app_label.modelname"`` strings: a notification that
    declares one must be issued with it, and one that does not declare it must
    be issued without.  ``name``: what recipients read ("New %(model)s").
    """

    def __init__(self, description: str, codename: str = "", actor_type: str = "",
                 target_type: str = "", activity_type: str = "", required: bool = False,
                 default_enabled: bool = True, name: str = ""):
        self.description, self.name = description, name
        self.codename = codename
        self.actor_type = (actor_type or "").lower()
        self.target_type = (target_type or "").lower()
        self.activity_type = iris.activity_type_name(activity_type)
        self.required = bool(required)
        self.default_enabled = bool(default_enabled)
        self.registration_class = None

    def __set_name__(self, owner, name):
        if not self.codename:
            self.codename = name
        self.registration_class = owner

    def __repr__(self):
        return f"<Notification {self.codename!r}>"

    def get_row(self, model: type) -> vox_models.Notification:
        """The ``django_vox.models.Notification`` row of this declaration for ``model``."""
        return vox_models.Notification.objects.get_for_model(model, self.codename)

    def issue(self, instance: Any, *, actor: Any = None, target: Any = None) -> Any:
        """Issue this notification about ``instance`` (see ``django_vox.notify``)."""
        return objects[type(instance)].notify(instance, self.codename, actor=actor, target=target)
    issue.alters_data = True  # sends: never from a template




class Registration:
    """Base class of registrations.  Subclasses inherit declarations."""

    _vox_notifications: dict = {}
    _vox_attachments: dict = {}
    _vox_contact_methods: dict = {}

    # What templates can reach (django_vox.templating.rules; docs/registrations.rst); merged.
    template_fields = None  # None: every field whose name does not look secret
    private_fields = ()
    template_relations = ()  # reverse relations, as lists of template_list_limit
    template_list_limit = 20
    template_variables: dict = {}  # name -> TemplateVariable(label, source)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        notifications, attachments, contacts = {}, {}, {}
        for klass in reversed(cls.__mro__):
            for name, value in vars(klass).items():
                if isinstance(value, Notification):
                    notifications[value.codename] = value
                elif isinstance(value, Attachment):
                    attachments[value.key] = value
                else:
                    for protocol in getattr(value, "vox_contact_protocols", ()):
                        contacts[protocol] = name
        cls._vox_notifications = notifications
        cls._vox_attachments = attachments
        cls._vox_contact_methods = contacts

    def __init__(self, model: type | None = None):
        self.model = model

    def __repr__(self):
        model = self.model._meta.label if self.model is not None else None
        return f"<{type(self).__name__} for {model}>"

    # -- declarations -----------------------------------------------------
    def get_notifications(self) -> list[Notification]:
        return list(self._vox_notifications.values())

    def get_notification(self, codename: str) -> Notification:
        try:
            return self._vox_notifications[codename]
        except KeyError:
            model = self.model._meta.label if self.model is not None else "?"
            raise LookupError(f"{model} has no notification {codename!r}") from None

    def get_attachments(self) -> dict[str, Attachment]:
        return dict(self._vox_attachments)

    def get_channels(self) -> dict[str, Channel]:
        return {"": Channel.self(self)}

    def get_supported_protocols(self) -> list[str]:
        return list(self._vox_contact_methods)

    def get_default_preference(self, instance: Any, notification: vox_models.Notification,
                               protocol: str) -> bool:
        """Whether ``instance`` gets ``notification`` (a models.Notification) on
        ``protocol`` when it has set no preference.  Override per owner, e.g.
        to keep new users off SMS until they opt in."""
        return notification.default_enabled

    # -- contacts ---------------------------------------------------------
    def get_contacts(self, instance: Any, protocol: str,
                     notification: vox_models.Notification | None) -> Iterator[Contact]:
        """Yield the Contacts of ``instance`` for ``protocol``."""
        name = self._vox_contact_methods.get(protocol)
        if name is None:
            return
        result = getattr(self, name)(instance, notification)
        if result is None:
            return
        if isinstance(result, (str, Contact)):
            result = (result,)
        for item in result:
            if isinstance(item, Contact):
                yield item if item.obj is not None else Contact(item.name, item.protocol, item.address, instance)
            elif item is not None:
                yield Contact(str(instance), protocol, str(item), instance)


    # -- activity streams -----------------------------------------------------
    @provides_contacts("activity")
    def activity_address(self, instance: Any, notification: Any) -> Iterator[str]:
        """The instance's own IRI: its inbox on the activity backend (needs a regex)."""
        try:
            yield object_iri(instance)
        except ActivityIRIError as err:
            logger.debug("No activity address: %s", err)

    def get_object_address(self, instance: Any) -> str | None:
        """The IRI of ``instance``, or None when its model has none (no regex)."""
        return self._get_object_address(instance)

    @staticmethod
    def _get_object_address(obj: Any) -> str | None:
        """django-vox 4.x name of :meth:`get_object_address`, used by its docs."""
        try:
            return object_iri(obj)
        except ActivityIRIError as err:
            logger.debug("No activity address: %s", err)
            return None

    def has_activity_endpoint(self, instance) -> bool:
        """Whether ``instance`` may read its inbox over HTTP.  Off unless a
        registration opts in, so no inbox is exposed by accident."""
        return False

    def get_activity_object(self, instance) -> dict:
        """``instance`` as an Activity Streams object; the model's ``__activity__()``
        when it has one, else type, id, name and url."""
        method = getattr(instance, "__activity__", None)
        if callable(method):
            return method()
        return default_activity_object(instance)


class SignalRegistration(Registration):
    """A registration whose notifications are issued by model signals."""

    created = Notification(_("Created"), name=_("New %(model)s"))
    updated = Notification(_("Updated"), name=_("%(model)s updated"))
    deleted = Notification(_("Deleted"), name=_("%(model)s deleted"))


class RegistryEntry:
    """What ``objects[Model]`` returns."""

    def __init__(self, model: type, registration: Registration, regex: str | None = None):
        self.model = model
        self.registration = registration
        self.regex = regex

    def notify(self, instance: Any, codename: str, *, actor: Any = None,
               target: Any = None) -> Any:
        """Issue notification ``codename`` about ``instance``."""
        self.registration.get_notification(codename)  # declared in code?
        row = vox_models.Notification.objects.get_for_model(self.model, codename)
        return row.issue(instance, actor=actor, target=target)
    notify.alters_data = True  # sends: never from a template


class ObjectRegistry:
    """Maps models to their registrations."""

    def __init__(self):
        self._entries = {}
        self._lock = threading.Lock()

    def add(self, model: type, registration_class: type[Registration] = Registration, *,
            regex: str | None) -> RegistryEntry:
        if not (isinstance(registration_class, type) and issubclass(registration_class, Registration)):
            raise TypeError(f"{registration_class!r} is not a Registration subclass")
        if regex is not None:
            iris.compile_regex(model, regex)  # a ValueError naming the model if unusable
        entry = RegistryEntry(model, registration_class(model), regex)
        with self._lock:
            self._entries[model] = entry
        if issubclass(registration_class, SignalRegistration):
            uid = f"django_vox_{model._meta.label}"
            signals.post_save.connect(_on_post_save, sender=model, dispatch_uid=uid + "_save")
            signals.post_delete.connect(_on_post_delete, sender=model, dispatch_uid=uid + "_delete")
        return entry

    def remove(self, model: type) -> None:
        with self._lock:
            self._entries.pop(model, None)
        uid = f"django_vox_{model._meta.label}"
        signals.post_save.disconnect(sender=model, dispatch_uid=uid + "_save")
        signals.post_delete.disconnect(sender=model, dispatch_uid=uid + "_delete")

    def _lookup(self, model):
        entry = self._entries.get(model)
        if entry is None and hasattr(model, "_meta"):
            entry = self._entries.get(model._meta.concrete_model)
        return entry

    def __getitem__(self, model: type) -> RegistryEntry:
        entry = self._lookup(model)
        if entry is None:
            return RegistryEntry(model, Registration(model), None)
        return entry

    def __contains__(self, model: object) -> bool:
        return self._lookup(model) is not None

    def __iter__(self) -> Iterator[RegistryEntry]:
        return iter(list(self._entries.values()))

    def items(self) -> list[tuple[type, RegistryEntry]]:
        return list(self._entries.items())

    def models(self) -> list[type]:
        return list(self._entries)


objects = ObjectRegistry()


def _on_post_save(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    objects[sender].notify(instance, "created" if created else "updated")


def _on_post_delete(sender, instance, **kwargs):
    objects[sender].notify(instance, "deleted")


# -- activity IRIs of registered objects ----------------------------------------
# They live here, below django_vox.activities, because a registration's contact
# and AS2 defaults need them; django_vox.activities re-exports them.

def object_iri_path(instance: Any) -> str:
    """The path (relative to the site root) where ``instance`` lives;
    ActivityIRIError when its model has no regex or the regex does not fit."""
    model = type(instance)
    regex = objects[model].regex
    if not regex:
        raise ActivityIRIError(
            f"{model._meta.label} is registered without a regex, so its objects have no IRI.")
    try:
        return iris.object_path(instance, regex)
    except ValueError as err:
        raise ActivityIRIError(str(err)) from err


def site_iri(path: str, *, encoded: bool = False) -> str:
    """An absolute IRI on this site (``conf.site_base_url``) for ``path``."""
    return iris.absolute(conf.site_base_url() + "/", path, encoded=encoded)


def object_iri(instance: Any) -> str:
    """The absolute IRI of ``instance``; ActivityIRIError when it has none."""
    return site_iri(object_iri_path(instance))


def default_activity_object(instance: Any) -> dict:
    """A small AS2 object for ``instance``: type, id (when it has an IRI), name, url."""
    is_person = isinstance(instance, get_user_model())
    document = {"type": "Person" if is_person else "Object"}
    try:
        document["id"] = object_iri(instance)
    except ActivityIRIError as err:
        logger.debug("No activity address: %s", err)
    name = instance.get_username() if is_person else str(instance)
    if name:
        document["name"] = name
    get_url = getattr(instance, "get_absolute_url", None)
    if callable(get_url):
        url = get_url()
        if url:
            document["url"] = url if "://" in url else site_iri(url, encoded=True)
    return document
