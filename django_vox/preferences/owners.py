"""Who owns a preference.

A contact that belongs to a registered model instance is owned by that
instance (so a user's choice covers every address they have); any other
contact (a site contact, an address with no model) is owned by its protocol
and address.
"""

from dataclasses import dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ObjectDoesNotExist
from django.utils.functional import LazyObject, empty

from django_vox.exceptions import BadToken
from django_vox.registry import objects

__all__ = ["Owner"]


def unwrap(instance):
    """The model instance behind a lazy object (``request.user`` is a
    SimpleLazyObject): code that looks at ``type(instance)`` (registrations,
    activity IRIs) needs the real one."""
    if issubclass(type(instance), LazyObject):
        if instance._wrapped is empty:
            instance._setup()
        return instance._wrapped
    return instance


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
        instance = unwrap(instance)
        ct = ContentType.objects.get_for_model(type(instance))
        return cls(ct.id, str(instance.pk), instance=instance)

    @classmethod
    def of_contact(cls, contact, type_ids=None) -> "Owner":
        """The owner of ``contact``: its registered object, else its address.

        ``type_ids`` (class → content type id), when given, is filled and
        reused, so a batch of contacts of one model looks its type up once.
        """
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
        if self.instance is None:
            return None
        return objects[self.instance.__class__].registration

    def __str__(self):
        if self.instance is not None:
            return str(self.instance)
        return self.address if not self.content_type_id else f"#{self.object_id}"
