"""What a registration declares besides its notifications: contacts
(:class:`Contact`, :func:`provides_contacts`), attachments
(:class:`Attachment`) and channels (:class:`Channel`, the groups of people a
notification can reach).  Nothing here looks a model up in the registry.
"""

from __future__ import annotations

import mimetypes
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, cast

from django.core.exceptions import ObjectDoesNotExist
from django.db.models.fields.related_descriptors import (
    ForwardManyToOneDescriptor,
    ManyToManyDescriptor,
    ReverseManyToOneDescriptor,
    ReverseOneToOneDescriptor,
)
from django.utils.translation import gettext_lazy as _

from django_vox.messages import MessageAttachment

if TYPE_CHECKING:
    from django.db.models import Model
    from django_stubs_ext import StrOrPromise

    from django_vox.registry.registrations import Registration

__all__ = ["Attachment", "Channel", "Contact", "provides_contacts"]

_F = TypeVar("_F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Contact:
    """One address of one recipient.  ``obj`` is the model instance it belongs to.

    ``language`` (a code such as ``"fr"`` or ``"pt-br"``) and ``timezone`` (an
    IANA name such as ``"Europe/Paris"``) are the recipient's, when the
    contact method knows them; blank ones are asked of the registration, then
    of ``DJANGO_VOX_RECIPIENT_LOCALE``, then default to ``LANGUAGE_CODE`` and
    ``TIME_ZONE`` (see :mod:`django_vox.registry.locales`).
    """

    name: str
    protocol: str
    address: str
    obj: Any = None
    language: str = ""
    timezone: str = ""

    def __str__(self) -> str:
        return f"{self.name} <{self.address}>" if self.name else self.address



class Attachment:
    """A file that templates can attach, taken from the object.

    ``attr`` names a model attribute or a registration method returning the
    content (bytes, str or a Django File); the MIME type is ``mime_string`` or
    the value of the attribute/method named by ``mime_attr``.
    """

    def __init__(self, attr: str | None = None, *, mime_string: str | None = None,
                 mime_attr: str | None = None, label: str | None = None,
                 filename: str | None = None) -> None:
        if (mime_string is None) == (mime_attr is None):
            raise ValueError("Attachment needs exactly one of mime_string or mime_attr")
        self.attr = attr
        self.mime_string = mime_string
        self.mime_attr = mime_attr
        self.label = label
        self.filename = filename
        self.key = cast(str, attr)  # None until __set_name__ names it

    def __set_name__(self, owner: type, name: str) -> None:
        self.key = name
        if self.attr is None:
            self.attr = name
        if self.label is None:
            self.label = name.replace("_", " ")

    def _value(self, registration: Registration, instance: Any, name: Any) -> Any:
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


def provides_contacts(*protocols: str) -> Callable[[_F], _F]:
    """Mark a registration method as yielding the addresses for ``protocols``.

    The method is called as ``method(instance, notification)`` and yields
    addresses (strings) or :class:`Contact` objects.
    """
    if not protocols:
        raise TypeError("provides_contacts() needs at least one protocol")

    def decorator(func: _F) -> _F:
        func.vox_contact_protocols = tuple(protocols)  # type: ignore[attr-defined]
        return func

    return decorator


class Channel:
    """A group of objects (people) a notification about an instance can reach."""

    def __init__(self, label: StrOrPromise, model: type[Model] | None, func: Callable[[Any], Any]) -> None:
        self.label = label
        self.model = model
        self.func = func

    def __call__(self, instance: Any) -> Any:
        return self.func(instance)

    def resolve(self, instance: Any) -> Iterable[Any]:
        """Iterate the objects reached for ``instance`` (querysets stream)."""
        result = self.func(instance)
        if result is None:
            return ()
        if hasattr(result, "iterator") and hasattr(result, "query"):
            return cast(Iterable[Any], result.iterator(chunk_size=2000))
        if hasattr(result, "_meta"):  # a single instance
            return (result,)
        return cast(Iterable[Any], result)

    @classmethod
    def self(cls, registration: Registration) -> Channel:
        model = registration.model
        label: Any = model._meta.verbose_name if model is not None else _("object")
        return cls(label, model, lambda instance: (instance,))

    @classmethod
    def field(cls, descriptor: Any) -> Channel:
        """A channel following a relation: ``Channel.field(Order.customer)``."""
        if isinstance(descriptor, ForwardManyToOneDescriptor):  # FK and forward O2O
            field: Any = descriptor.field
            name = field.name

            def func(instance: Any) -> tuple[Any, ...]:
                try:
                    value = getattr(instance, name)
                except ObjectDoesNotExist:
                    return ()
                return () if value is None else (value,)

            return cls(field.verbose_name, field.related_model, func)
        if isinstance(descriptor, ReverseOneToOneDescriptor):
            related: Any = descriptor.related
            name = related.get_accessor_name()

            def func(instance: Any) -> tuple[Any, ...]:
                try:
                    return (getattr(instance, name),)
                except ObjectDoesNotExist:
                    return ()

            return cls(related.related_model._meta.verbose_name, related.related_model, func)
        if isinstance(descriptor, ManyToManyDescriptor):
            if descriptor.reverse:
                rel: Any = descriptor.rel
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


