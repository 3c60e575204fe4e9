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
docs/registrations.rst).  The rules (what a view may offer) are
:mod:`~django_vox.templating.rules`; this module builds the views that
enforce them.  It sits low in the package: it takes registrations through a
``registration_for(model)`` function.

A preview also passes the editor's *reach* (see :func:`view_of`): an object
whose ``follows(model)`` says whether the editor may see objects of a model
(the admin's rule, :mod:`django_vox.admin.reach`).  A relation or declared
variable leading to a model the editor may not view then renders as nothing
(an empty list for a list), and the reach remembers it for the preview's
note.  Messages sent to recipients are built without a reach.

The values of variables a registration declares secret
(``TemplateVariable(..., secret=True)``: a password-reset link, a one-time
code) are gathered while a message renders inside :func:`collecting_secrets`,
so the delivery log can mask them for those who may not read message bodies.
A preview whose editor may not read them either (the reach's
``shows_secrets()`` answers False) shows :data:`HIDDEN` instead of running
the variable: a preview with a real recipient must not hand out what the
delivery log hides.
"""

import contextlib
import contextvars
import datetime
import decimal
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models.fields.files import FieldFile
from django.utils.functional import Promise
from django.utils.safestring import SafeData, mark_safe

from django_vox.templating.engine import wrap_text
from django_vox.templating.rules import (
    MAX_DEPTH,
    SENSITIVE_MODELS,
    SENSITIVE_WORDS,
    ModelRules,
    TemplateVariable,
    field_type,
    is_sensitive_name,
    model_label,
    rules_for,
)

__all__ = [  # noqa: RUF022
    "TemplateVariable", "ObjectView", "ListView", "DataView", "ModelRules",
    "is_sensitive_name", "rules_for", "view_of", "to_template_value", "field_type",
    "registration_lookup", "TemplateContext", "live_values", "MAX_DEPTH", "SENSITIVE_WORDS",
    "collecting_secrets", "HIDDEN",
]

#: What replaces a secret: in a preview for an editor who may not read
#: secrets, and in the delivery log's masked messages (django_vox.admin.masking).
HIDDEN = "[hidden]"


#: Items of a plain list a registration's variable returns, at most.
SEQUENCE_LIMIT = 1000

_PLAIN_TYPES = (bool, int, float, decimal.Decimal, datetime.date, datetime.time,
                datetime.timedelta, uuid.UUID)

_secrets: contextvars.ContextVar = contextvars.ContextVar("django_vox_secrets", default=None)


@contextlib.contextmanager
def collecting_secrets() -> Iterator[set]:
    """A set that receives, as text, the value of each secret variable
    (``TemplateVariable(secret=True)``) rendered inside the block."""
    found: set = set()
    token = _secrets.set(found)
    try:
        yield found
    finally:
        _secrets.reset(token)


def _note_secret(value):
    found = _secrets.get()
    if found is not None and isinstance(value, (str, int, float, decimal.Decimal, uuid.UUID)) \
            and not isinstance(value, bool) and str(value):
        found.add(str(value))
    return value


# -- views --------------------------------------------------------------------------

class _Lookup:
    """How views find the registration of a model, and how deep they are."""

    __slots__ = ("depth", "reach", "registration_for", "sample")

    def __init__(self, registration_for, depth=0, sample=False, reach=None):
        self.registration_for = registration_for
        self.depth = depth
        #: Views of made-up instances: declared variables show a placeholder.
        self.sample = sample
        #: The previewing editor's reach (None when sending): see the module.
        self.reach = reach

    def deeper(self):
        return _Lookup(self.registration_for, self.depth + 1, self.sample, self.reach)

    def hides(self, model) -> bool:
        """Whether objects of ``model`` are hidden from the previewing editor
        (made-up samples hold no data, so they are never hidden)."""
        return self.reach is not None and not self.sample and not self.reach.follows(model)

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

    def __str__(self):  # data: escaped for the message's markup where printed
        text = self._vox_text
        return wrap_text(str(text() if callable(text) else text))

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
        return wrap_text(", ".join(str(item) for item in self._vox_list()))

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
    if kind in ("relation", "reverse", "many"):
        return _related_value(instance, entry, rules, lookup)
    if lookup.sample:
        return f"Sample {entry.label}"
    if not entry.source.secret:
        return to_template_value(entry.source.value(instance), lookup)
    if lookup.reach is not None and not lookup.reach.shows_secrets():
        return HIDDEN
    return _note_secret(to_template_value(entry.source.value(instance), lookup))


def _related_value(instance, entry, rules, lookup):
    """A relation's value: a view, a bounded list, or nothing (also when the
    previewing editor may not view the related model)."""
    many = entry.kind == "many"
    if lookup.hides(entry.related_model):
        return ListView(list) if many else ""
    if many:
        if instance.pk is None:
            return ListView(list)
        return _queryset_view(getattr(instance, entry.name).all(), lookup, rules.list_limit)
    try:
        related = getattr(instance, entry.name)
    except ObjectDoesNotExist:
        return None
    return None if related is None else ObjectView(related, lookup.deeper())


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
        if model_label(value.__class__) in SENSITIVE_MODELS:
            return None
        return "" if lookup.hides(value.__class__) else ObjectView(value, lookup)
    if isinstance(value, FieldFile):
        return _file_view(value)
    queryset = value.all()
    if lookup.hides(queryset.model):
        return ListView(list)
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


def view_of(instance, registration_for: Callable | None = None, *, sample=False, reach=None):
    """The view templates get of ``instance`` (None stays None).

    ``registration_for(model)`` returns the registration whose declarations
    apply (``lambda m: django_vox.registry.objects[m].registration``).
    ``sample``: ``instance`` is made up (see :mod:`django_vox.templating.samples`), so
    declared variables read "Sample <label>" instead of running.
    ``reach``: the previewing editor's (see the module); None when sending.
    """
    return to_template_value(instance, _Lookup(registration_for, sample=sample, reach=reach))


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

