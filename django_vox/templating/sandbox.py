"""What an editor's template can reach: data, never live objects.

Django's template language walks attributes and calls anything callable
without arguments, so a model instance in the context is a door to the whole
process (``object.author._meta.apps...``, ``actor.get_session_auth_hash``,
``notification.deliveries.all``).  django-vox therefore never hands templates
a model instance, manager, queryset or function.  The context holds only:

* plain values: text, numbers, booleans, dates and times, ``None``;
* :class:`ObjectView`: a read-only view of one model instance offering its
  concrete fields and forward relations (as views again), its reverse and
  many-to-many relations as bounded :class:`ListView` lists, and the extra
  variables its registration declares (:class:`TemplateVariable`);
* :class:`DataView`: a read-only mapping (the notification, a contact, a
  file, JSON data).

Fields that hold secrets are never offered: names such as ``password``,
``token``, ``secret``, ``api_key``, ``hash`` (see :func:`is_sensitive_name`),
and the registration's ``private_fields`` (its declarations: see
docs/registrations.rst).  This module sits low in the package: it takes
registrations through a ``registration_for(model)`` function.
"""

import datetime
import decimal
import functools
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models.fields.files import FieldFile
from django.utils.functional import Promise
from django.utils.safestring import SafeData, mark_safe
from django.utils.text import format_lazy

from django_vox.templating.engine import wrap_text

__all__ = [  # noqa: RUF022
    "TemplateVariable", "ObjectView", "ListView", "DataView", "ModelRules",
    "is_sensitive_name", "rules_for", "view_of", "to_template_value", "field_type",
    "registration_lookup", "TemplateContext", "live_values", "MAX_DEPTH", "SENSITIVE_WORDS",
]

#: How many relations a template can follow from a context variable
#: (``object.author.profile`` is two).
MAX_DEPTH = 2

#: Items of a plain list a registration's variable returns, at most.
SEQUENCE_LIMIT = 1000

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

_PLAIN_TYPES = (bool, int, float, decimal.Decimal, datetime.date, datetime.time,
                datetime.timedelta, uuid.UUID)


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


def _model_label(model):
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
            if related is None or _model_label(related) in SENSITIVE_MODELS:
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
        if name in private or _model_label(related) in SENSITIVE_MODELS:
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


# -- views --------------------------------------------------------------------------

class _Lookup:
    """How views find the registration of a model, and how deep they are."""

    __slots__ = ("depth", "registration_for", "sample")

    def __init__(self, registration_for, depth=0, sample=False):
        self.registration_for = registration_for
        self.depth = depth
        #: Views of made-up instances: declared variables show a placeholder.
        self.sample = sample

    def deeper(self):
        return _Lookup(self.registration_for, self.depth + 1, self.sample)

    def rules(self, model):
        registration = self.registration_for(model) if self.registration_for else None
        return rules_for(model, registration)


class DataView:
    """A read-only mapping for templates: ``{{ view.name }}`` and nothing else.

    Values are computed on first use.  The view has no public attribute or
    method, so Django's attribute lookup finds nothing but the keys.
    """

    __slots__ = ("_vox_cache", "_vox_compute", "_vox_names", "_vox_text")

    def __init__(self, values: Mapping | None = None, *, text="", names=None, compute=None):
        self._vox_cache = dict(values or {})
        self._vox_names = frozenset(names) if names is not None else frozenset(self._vox_cache)
        self._vox_compute = compute
        self._vox_text = text

    def __getitem__(self, name):
        if not isinstance(name, str) or name not in self._vox_names:
            raise KeyError(name)
        if name not in self._vox_cache:
            self._vox_cache[name] = self._vox_compute(name)
        return wrap_text(self._vox_cache[name])

    def __contains__(self, name):
        return name in self._vox_names

    def __iter__(self):
        return iter(sorted(self._vox_names))

    def __str__(self):
        text = self._vox_text
        return text() if callable(text) else str(text)

    def __bool__(self):
        return True

    def __repr__(self):
        return f"<{type(self).__name__} {sorted(self._vox_names)}>"


class ObjectView(DataView):
    """A model instance as templates see it (see the module's docstring)."""

    __slots__ = ("_vox_identity", "_vox_lookup", "_vox_rules")

    def __init__(self, instance, lookup: _Lookup):
        rules = lookup.rules(instance.__class__)  # a lazy object proxies __class__
        super().__init__(names=rules.entries, text=lambda: str(instance),
                         compute=lambda name: _entry_value(instance, rules.entries[name], rules,
                                                           lookup))
        self._vox_rules = rules
        self._vox_lookup = lookup
        self._vox_identity = (rules.model, instance.pk)

    def __eq__(self, other):
        if isinstance(other, ObjectView):
            return self._vox_identity == other._vox_identity and self._vox_identity[1] is not None
        return NotImplemented

    def __hash__(self):
        return hash(self._vox_identity)


class ListView:
    """A bounded, read-only list for templates: ``{% for x in view %}``,
    ``view.0``, ``view.count`` (all of them, not only those listed) and
    ``view.all`` (the view itself, so 4.x templates' ``.all`` still reads)."""

    __slots__ = ("_vox_count", "_vox_items", "_vox_load")

    def __init__(self, load, count=None):
        self._vox_load = load
        self._vox_items = None
        self._vox_count = count

    def _vox_list(self):
        if self._vox_items is None:
            self._vox_items = list(self._vox_load())
        return self._vox_items

    def __getitem__(self, key):
        if key == "all":
            return self
        if key == "count":
            count = self._vox_count
            return count() if callable(count) else len(self._vox_list())
        if isinstance(key, int):
            return wrap_text(self._vox_list()[key])
        if isinstance(key, slice):  # the |slice filter
            items = self._vox_list()[key]
            return ListView(lambda: items)
        raise KeyError(key)

    def __iter__(self):
        return map(wrap_text, self._vox_list())

    def __reversed__(self):
        return map(wrap_text, reversed(self._vox_list()))

    def __len__(self):
        return len(self._vox_list())

    def __bool__(self):
        return bool(self._vox_list())

    def __str__(self):
        return ", ".join(str(item) for item in self._vox_list())

    def __repr__(self):
        return f"<ListView of {len(self)}>"


def _queryset_view(queryset, lookup, limit):
    deeper = lookup.deeper()
    return ListView(lambda: [ObjectView(obj, deeper) for obj in queryset[:limit]],
                    count=queryset.count)


def _entry_value(instance, entry, rules, lookup):
    kind = entry.kind
    if kind == "field":
        if entry.name == "pk":
            return to_template_value(instance.pk, lookup)
        return to_template_value(entry.source.value_from_object(instance), lookup)
    if kind == "choice":
        return str(getattr(instance, f"get_{entry.source.name}_display")())
    if lookup.depth >= MAX_DEPTH and kind != "variable":
        return None
    if kind in ("relation", "reverse"):
        try:
            related = getattr(instance, entry.name)
        except ObjectDoesNotExist:
            return None
        return None if related is None else ObjectView(related, lookup.deeper())
    if kind == "many":
        if instance.pk is None:
            return ListView(list)
        return _queryset_view(getattr(instance, entry.name).all(), lookup, rules.list_limit)
    if lookup.sample:
        return f"Sample {entry.label}"
    return to_template_value(entry.source.value(instance), lookup)


def _file_view(value):
    def url():
        try:
            return value.url
        except ValueError:  # no file
            return ""

    return DataView({"name": value.name or ""}, names=("name", "url"), text=value.name or "",
                    compute=lambda _name: url())


def _sequence_view(items, lookup):
    values = []
    for index, item in enumerate(items):
        if index >= SEQUENCE_LIMIT:
            break
        values.append(to_template_value(item, lookup))
    return ListView(lambda: values)


def _text(value):
    return mark_safe(str(value)) if isinstance(value, SafeData) else str(value)


def _plain(value):
    """``value`` when it is a plain value (datetimes in UTC), else _NOT_PLAIN."""
    if value is None or isinstance(value, _PLAIN_TYPES) and not isinstance(value, datetime.datetime):
        return value
    if isinstance(value, (str, Promise)):
        return _text(value)
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.timezone.utc) if value.tzinfo else value
    return _NOT_PLAIN


_NOT_PLAIN = object()


def _model_data(value, lookup):
    if isinstance(value, models.Model):
        if _model_label(value.__class__) in SENSITIVE_MODELS:
            return None
        return ObjectView(value, lookup)
    if isinstance(value, FieldFile):
        return _file_view(value)
    queryset = value.all()
    return _queryset_view(queryset, lookup, lookup.rules(queryset.model).list_limit)


def to_template_value(value, lookup=None):
    """``value`` as template data: a plain value, a view, or ``None``.

    Functions, classes and anything else that is not data become ``None``.
    """
    lookup = lookup if lookup is not None else _Lookup(None)
    plain = _plain(value)
    if plain is not _NOT_PLAIN:
        return plain
    if isinstance(value, (DataView, ListView)):
        return value
    if isinstance(value, (models.Model, FieldFile, models.QuerySet, models.Manager)):
        return _model_data(value, lookup)
    if isinstance(value, Mapping):
        return DataView({k: to_template_value(v, lookup) for k, v in value.items()
                         if isinstance(k, str) and not k.startswith("_") and not callable(v)})
    if callable(value) or isinstance(value, type):
        return None
    if isinstance(value, Iterable) and not isinstance(value, (bytes, bytearray, memoryview)):
        return _sequence_view(value, lookup)
    return None


def registration_lookup(registration_for: Callable | None = None, depth=0):
    """How views find registrations (``registration_for(model)``), at ``depth``."""
    return _Lookup(registration_for, depth)


def view_of(instance, registration_for: Callable | None = None, *, sample=False):
    """The view templates get of ``instance`` (None stays None).

    ``registration_for(model)`` returns the registration whose declarations
    apply (``lambda m: django_vox.registry.objects[m].registration``).
    ``sample``: ``instance`` is made up (see :mod:`django_vox.samples`), so
    declared variables read "Sample <label>" instead of running.
    """
    return to_template_value(instance, _Lookup(registration_for, sample=sample))


class TemplateContext(dict):
    """The variables of one message: template data (views and plain values)
    as the items, and in :attr:`live` the objects they were made from, for the
    backends that need them (the activity backend describes the real object;
    a backend reads the contact's address).  Templates only see the items."""

    def __init__(self, values, live):
        super().__init__(values)
        self.live = dict(live)


def live_values(parameters) -> dict:
    """The live objects behind a backend's ``parameters``: ``parameters.live``
    for a :class:`TemplateContext`, else ``parameters`` itself (a dict built by
    hand, as in tests)."""
    return getattr(parameters, "live", None) or parameters or {}

