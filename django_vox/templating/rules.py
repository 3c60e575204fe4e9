"""Which fields and relations of a model a template may read.

A view of a model instance (:mod:`~django_vox.templating.sandbox`) offers what
the rules here allow: concrete fields and relations up to :data:`MAX_DEPTH`,
never fields that hold secrets (names such as ``password``, ``token``,
``secret``, ``api_key``, ``hash``: :func:`is_sensitive_name`; models such as
sessions: :data:`SENSITIVE_MODELS`), never a registration's ``private_fields``,
plus the variables a registration declares (:class:`TemplateVariable`).

Imports nothing of the package: it takes registrations as arguments.
"""


import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils.text import format_lazy

__all__ = ["MAX_DEPTH", "SENSITIVE_MODELS", "SENSITIVE_WORDS", "Entry",
           "ModelRules", "TemplateVariable", "field_type", "is_sensitive_name", "model_label", "rules_for"]

#: How many relations a template can follow from a context variable
#: (``object.author.profile`` is two).
MAX_DEPTH = 2

#: Words that mark a field name as secret, as a whole word (``api_key``,
#: ``session_key``) or, for the longer ones, anywhere in it (``apitoken``).
SENSITIVE_WORDS = frozenset({
    "password", "passwd", "pwd", "secret", "token", "key", "hash", "salt", "otp", "totp",
    "credential", "credentials", "signature", "apikey", "private", "session", "pin", "cvv",
})
_SENSITIVE_SUBSTRINGS = ("password", "passwd", "secret", "token", "apikey", "credential")

#: Models a template never reaches, whatever points at them.
SENSITIVE_MODELS = frozenset({"sessions.session", "admin.logentry", "authtoken.token",
                              "authtoken.tokenproxy"})


def is_sensitive_name(name: str) -> bool:
    """Whether a field called ``name`` probably holds a secret."""
    lowered = name.lower()
    if any(word in lowered for word in _SENSITIVE_SUBSTRINGS):
        return True
    return any(part in SENSITIVE_WORDS for part in lowered.split("_"))


@dataclass(frozen=True)
class TemplateVariable:
    """An extra variable a registration offers templates, with its label.

    ``source`` is the name of an attribute or method of the instance
    (``"get_absolute_url"``; a method is called without arguments) or a
    function of the instance.  Whatever it gives is turned into template data
    like a field's value (an instance becomes a view, a queryset a bounded
    list, a function ``None``).
    """

    label: Any
    source: "str | Callable[[Any], Any]"
    #: What the variable holds, for the picker ("text", "number", "date"...).
    type: str = "text"
    #: A credential (a password-reset link, a one-time code): the messages
    #: carry it, but the admin masks it for those who may not read message
    #: bodies (see :func:`django_vox.templating.sandbox.collecting_secrets`).
    secret: bool = False

    def value(self, instance):
        if callable(self.source):
            return self.source(instance)
        value = getattr(instance, self.source)
        return value() if callable(value) else value


# -- rules per model --------------------------------------------------------------

@dataclass(frozen=True)
class Entry:
    """One name a view of a model offers."""

    name: str
    label: Any  # a string or a lazy translation
    type: str
    #: "field", "choice" (the label of a field's choice), "relation" (forward,
    #: one object), "many" (a bounded list) or "variable".
    kind: str
    source: Any = None
    related_model: Any = None


@dataclass(frozen=True)
class ModelRules:
    """What views of ``model`` offer, from its registration's declarations."""

    model: Any
    entries: dict
    list_limit: int

    def __iter__(self):
        return iter(self.entries.values())


def _merged(registration_class, name, default):
    """A declaration merged along the registration class's MRO (dicts and lists)."""
    if registration_class is None:
        return default
    merged = {} if isinstance(default, dict) else []
    for klass in reversed(registration_class.__mro__):
        value = vars(klass).get(name)
        if value is None:
            continue
        if isinstance(merged, dict):
            merged.update(value)
        else:
            merged.extend(value)
    return merged


_FIELD_TYPES = [
    (models.BooleanField, "boolean"), (models.DateTimeField, "datetime"),
    (models.DateField, "date"), (models.TimeField, "time"), (models.DurationField, "duration"),
    ((models.IntegerField, models.FloatField, models.DecimalField), "number"),
    (models.FileField, "file"), (models.JSONField, "data"), (models.UUIDField, "text"),
]


def field_type(field) -> str:
    """The picker's word for what ``field`` holds."""
    for classes, name in _FIELD_TYPES:
        if isinstance(field, classes):
            return name
    return "text"


def model_label(model):
    return model._meta.label_lower if model is not None else ""


def _field_entries(model, allowed, private):
    for field in model._meta.get_fields():
        own = field.concrete or (field.many_to_many and not field.auto_created)  # M2M: 6.0+
        if not own or isinstance(field, models.BinaryField):
            continue
        name = field.name
        if name in private or is_sensitive_name(name) or (allowed is not None and name not in allowed):
            continue
        label = field.verbose_name  # lazy: translated when described
        if field.is_relation:
            related = field.related_model
            if related is None or model_label(related) in SENSITIVE_MODELS:
                continue
            kind = "many" if field.many_to_many else "relation"
            yield Entry(name, label, "list" if kind == "many" else "object", kind, field, related)
            continue
        yield Entry(name, label, field_type(field), "field", field)
        if field.choices:
            yield Entry(f"get_{name}_display", format_lazy("{} (as shown)", label), "text",
                        "choice", field)


def _relation_entries(model, names, private):
    by_accessor = {rel.get_accessor_name(): rel for rel in model._meta.related_objects}
    for name in names:
        rel = by_accessor.get(name)
        if rel is None:
            raise LookupError(f"{model._meta.label} has no reverse relation {name!r} "
                              f"(template_relations); it has {sorted(by_accessor)}.")
        related = rel.related_model
        if name in private or model_label(related) in SENSITIVE_MODELS:
            continue
        many = rel.one_to_many or rel.many_to_many
        label = related._meta.verbose_name_plural if many else related._meta.verbose_name
        yield Entry(name, label, "list" if many else "object", "many" if many else "reverse",
                    rel, related)


@functools.lru_cache(maxsize=256)
def _rules(model, registration_class):
    registration = registration_class
    allowed = getattr(registration, "template_fields", None)
    allowed = set(allowed) if allowed is not None else None
    unknown = (allowed or set()) - {field.name for field in model._meta.get_fields()}
    if unknown:
        raise LookupError(f"{registration_class.__name__}.template_fields names "
                          f"{sorted(unknown)}, which {model._meta.label} does not have.")
    private = set(_merged(registration, "private_fields", []))
    entries = {"pk": Entry("pk", model._meta.pk.verbose_name, "text", "field", model._meta.pk)}
    for entry in _field_entries(model, allowed, private):
        entries[entry.name] = entry
    relations = _merged(registration, "template_relations", [])
    for entry in _relation_entries(model, relations, private):
        entries[entry.name] = entry
    for name, variable in _merged(registration, "template_variables", {}).items():
        if not isinstance(variable, TemplateVariable):
            raise TypeError(f"{registration_class.__name__}.template_variables[{name!r}] must be "
                            f"a TemplateVariable, not {variable!r}.")
        entries[name] = Entry(name, variable.label, variable.type, "variable", variable)
    limit = int(getattr(registration, "template_list_limit", 20) or 20)
    return ModelRules(model, entries, limit)


def rules_for(model, registration=None) -> ModelRules:
    """The rules of ``model`` under ``registration`` (None: the defaults)."""
    return _rules(model._meta.concrete_model, type(registration) if registration else None)


