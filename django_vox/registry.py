"""Registrations: which models send which notifications, to whom.

A :class:`Registration` subclass declares a model's notifications
(:class:`Notification`), attachments (:class:`Attachment`) and, per protocol,
how to find the addresses of an instance (methods decorated with
:func:`provides_contacts`).  ``get_channels()`` says which groups of people a
notification about an instance can reach.  ``objects.add(Model, Registration,
regex=...)`` ties it to a model.
"""

from __future__ import annotations

import logging
import mimetypes
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import signals
from django.db.models.fields.related_descriptors import (
    ForwardManyToOneDescriptor,
    ManyToManyDescriptor,
    ReverseManyToOneDescriptor,
    ReverseOneToOneDescriptor,
)
from django.utils.translation import gettext_lazy as _

from django_vox import conf
from django_vox import models as vox_models
from django_vox.activities import iri as iris
from django_vox.backends import backends  # noqa: F401  (public: django_vox.registry.backends)
from django_vox.exceptions import ActivityIRIError
from django_vox.messages import MessageAttachment
from django_vox.sandbox import TemplateVariable

logger = logging.getLogger("django_vox")

__all__ = [
    "objects", "Registration", "SignalRegistration", "Notification", "Channel",
    "Contact", "provides_contacts", "Attachment", "backends", "TemplateVariable",
]


@dataclass(frozen=True)
class Contact:
    """One address of one recipient.  ``obj`` is the model instance it belongs to."""

    name: str
    protocol: str
    address: str
    obj: Any = None

    def __str__(self):
        return f"{self.name} <{self.address}>" if self.name else self.address


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


class Attachment:
    """A file that templates can attach, taken from the object.

    ``attr`` names a model attribute or a registration method returning the
    content (bytes, str or a Django File); the MIME type is ``mime_string`` or
    the value of the attribute/method named by ``mime_attr``.
    """

    def __init__(self, attr: str | None = None, *, mime_string: str | None = None,
                 mime_attr: str | None = None, label: str | None = None,
                 filename: str | None = None):
        if (mime_string is None) == (mime_attr is None):
            raise ValueError("Attachment needs exactly one of mime_string or mime_attr")
        self.attr = attr
        self.mime_string = mime_string
        self.mime_attr = mime_attr
        self.label = label
        self.filename = filename
        self.key = attr

    def __set_name__(self, owner, name):
        self.key = name
        if self.attr is None:
            self.attr = name
        if self.label is None:
            self.label = name.replace("_", " ")

    def _value(self, registration, instance, name):
        method = getattr(registration, name, None)
        if callable(method) and not hasattr(instance, name):
            return method(instance)
        value = getattr(instance, name)
        return value() if callable(value) else value

    def resolve(self, registration: Registration, instance: Any) -> MessageAttachment | None:
        """Return a MessageAttachment for ``instance``, or None when it has no content."""
        content = self._value(registration, instance, self.attr)
        if content is None:
            return None
        mimetype = self.mime_string or self._value(registration, instance, self.mime_attr)
        filename = self.filename
        if hasattr(content, "read"):  # a File / FieldFile
            if not filename and getattr(content, "name", None):
                filename = os.path.basename(content.name)
            if hasattr(content, "open") and getattr(content, "closed", False):
                content.open("rb")
            data = content.read()
        else:
            data = content
        if isinstance(data, str):
            data = data.encode("utf-8")
        if not filename:
            filename = self.key + (mimetypes.guess_extension(mimetype or "") or "")
        return MessageAttachment(filename=filename, content=bytes(data),
                                 mimetype=mimetype or "application/octet-stream")


def provides_contacts(*protocols: str) -> Callable[[Callable], Callable]:
    """Mark a registration method as yielding the addresses for ``protocols``.

    The method is called as ``method(instance, notification)`` and yields
    addresses (strings) or :class:`Contact` objects.
    """
    if not protocols:
        raise TypeError("provides_contacts() needs at least one protocol")

    def decorator(func):
        func.vox_contact_protocols = tuple(protocols)
        return func

    return decorator


class Channel:
    """A group of objects (people) a notification about an instance can reach."""

    def __init__(self, label: str, model: type | None, func: Callable[[Any], Any]):
        self.label = label
        self.model = model
        self.func = func

    def __call__(self, instance):
        return self.func(instance)

    def resolve(self, instance: Any) -> Iterable:
        """Iterate the objects reached for ``instance`` (querysets stream)."""
        result = self.func(instance)
        if result is None:
            return ()
        if hasattr(result, "iterator") and hasattr(result, "query"):
            return result.iterator(chunk_size=2000)
        if hasattr(result, "_meta"):  # a single instance
            return (result,)
        return result

    @classmethod
    def self(cls, registration: Registration) -> Channel:
        model = registration.model
        label = model._meta.verbose_name if model is not None else _("object")
        return cls(label, model, lambda instance: (instance,))

    @classmethod
    def field(cls, descriptor: Any) -> Channel:
        """A channel following a relation: ``Channel.field(Order.customer)``."""
        if isinstance(descriptor, ForwardManyToOneDescriptor):  # FK and forward O2O
            field = descriptor.field
            name = field.name

            def func(instance):
                try:
                    value = getattr(instance, name)
                except ObjectDoesNotExist:
                    return ()
                return () if value is None else (value,)

            return cls(field.verbose_name, field.related_model, func)
        if isinstance(descriptor, ReverseOneToOneDescriptor):
            related = descriptor.related
            name = related.get_accessor_name()

            def func(instance):
                try:
                    return (getattr(instance, name),)
                except ObjectDoesNotExist:
                    return ()

            return cls(related.related_model._meta.verbose_name, related.related_model, func)
        if isinstance(descriptor, ManyToManyDescriptor):
            if descriptor.reverse:
                rel = descriptor.rel
                name, model = rel.get_accessor_name(), rel.related_model
                label = model._meta.verbose_name_plural
            else:
                field = descriptor.field
                name, model, label = field.name, field.related_model, field.verbose_name
            return cls(label, model, lambda instance: getattr(instance, name).all())
        if isinstance(descriptor, ReverseManyToOneDescriptor):
            rel = descriptor.rel
            name, model = rel.get_accessor_name(), rel.related_model
            return cls(model._meta.verbose_name_plural, model,
                       lambda instance: getattr(instance, name).all())
        raise TypeError(
            f"Channel.field() takes a relation descriptor such as Model.field_name, not {descriptor!r}")


class Registration:
    """Base class of registrations.  Subclasses inherit declarations."""

    _vox_notifications: dict = {}
    _vox_attachments: dict = {}
    _vox_contact_methods: dict = {}

    # What templates can reach (django_vox.sandbox; docs/registrations.rst); merged.
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
