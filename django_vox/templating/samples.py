"""Made-up sample objects for the admin preview.

An editor who may not view a model's rows must not see them in a preview
either.  For such models the preview renders against an unsaved instance
whose fields hold made-up values built from the field types ("Sample
title", ``sample@example.org``, today's date...), so the message reads as
it will, and nobody mistakes it for a real customer.
"""

import datetime
import decimal
import uuid

from django.db import models
from django.utils import timezone

__all__ = ["made_up", "sample_value", "is_made_up"]

_BY_TYPE = [
    (models.EmailField, lambda field: "sample@example.org"),
    (models.URLField, lambda field: "https://example.org/sample/"),
    (models.SlugField, lambda field: "sample"),
    (models.GenericIPAddressField, lambda field: "192.0.2.1"),
    (models.UUIDField, lambda field: uuid.UUID(int=1)),
    (models.BooleanField, lambda field: True),
    (models.DateTimeField, lambda field: timezone.now().replace(microsecond=0)),
    (models.DateField, lambda field: timezone.localdate()),
    (models.TimeField, lambda field: datetime.time(12, 0)),
    (models.DurationField, lambda field: datetime.timedelta(hours=1)),
    (models.DecimalField, lambda field: decimal.Decimal("12.50")),
    (models.FloatField, lambda field: 1.5),
    (models.IntegerField, lambda field: 1),
    (models.JSONField, lambda field: {}),
    (models.FileField, lambda field: "sample.txt"),
]


def sample_value(field):
    """A made-up value for ``field`` (a concrete, non-relation field)."""
    if field.choices:
        for value, _label in field.flatchoices:
            return value
    for field_class, make in _BY_TYPE:
        if isinstance(field, field_class):
            return make(field)
    text = f"Sample {field.verbose_name}"
    max_length = getattr(field, "max_length", None)
    return text[:max_length] if max_length else text


def made_up(model, depth=1):
    """An unsaved ``model`` instance with sample values, and sample objects
    ``depth`` forward relations deep.  Its primary key stays ``None``, so its
    many-to-many and reverse relations are empty."""
    if model is None:
        return None
    instance = model()
    instance._vox_made_up = True
    for field in model._meta.concrete_fields:
        if field.primary_key or field.auto_created:
            continue
        if field.is_relation:
            if depth > 0 and field.related_model is not None and (
                    field.many_to_one or field.one_to_one):
                setattr(instance, field.name, made_up(field.related_model, depth - 1))
            continue
        setattr(instance, field.attname, sample_value(field))
    return instance


def is_made_up(instance) -> bool:
    """Whether ``instance`` came from :func:`made_up`."""
    return getattr(instance, "_vox_made_up", False) is True

