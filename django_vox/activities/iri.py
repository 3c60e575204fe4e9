"""Building and parsing IRIs: pure functions of their inputs.

This module imports nothing else from django_vox, so any layer (the registry
checking a regex when a model is registered, for one) can use it.  The
caller passes in what depends on settings or the registry: the site's base
IRI, a model's regex.  Errors are plain ``ValueError`` with a message naming
the culprit; :mod:`django_vox.activities.addresses` raises
``ActivityIRIError`` where the public API promises that.
"""

import re
from urllib.parse import quote, unquote, urlsplit

from django.utils.regex_helper import normalize

__all__ = [
    "UUID_PATTERN", "absolute", "attribute", "compile_regex", "fill_regex", "key_from_path",
    "key_from_urn", "object_path", "relative_path", "AS_NAMESPACE", "activity_type_name",
]

#: The canonical text form of a UUID, as activity keys are written.
UUID_PATTERN = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
                          re.IGNORECASE)

_compiled = {}


def compile_regex(model, regex: str) -> re.Pattern:
    """Compile a registration regex; ValueError naming the model when it is unusable."""
    key = (model, regex)
    if key in _compiled:
        return _compiled[key]
    label = getattr(getattr(model, "_meta", None), "label", model)
    try:
        pattern = re.compile(regex)
    except re.error as err:
        raise ValueError(f"The regex {regex!r} registered for {label} is invalid: {err}") from err
    if not pattern.groupindex:
        raise ValueError(
            f"The regex {regex!r} registered for {label} needs named groups "
            f"(such as (?P<pk>\\d+)) to find the object again.")
    if pattern.groups != len(pattern.groupindex):
        raise ValueError(
            f"The regex {regex!r} registered for {label} has unnamed groups; "
            f"use (?:...) for groups that are not lookup values.")
    _compiled[key] = pattern
    return pattern


def absolute(base: str, path: str, *, encoded: bool = False) -> str:
    """An absolute IRI for a path relative to ``base``.  ``encoded``: the path
    is already percent-encoded (from ``reverse()`` or ``get_absolute_url()``)."""
    safe = "/:@!$&'()*+,;=-._~" + ("%" if encoded else "")
    return base + quote(path.lstrip("/"), safe=safe)


def relative_path(iri, base: str) -> str | None:
    """The path of ``iri`` relative to ``base``, or None when it is another site's
    (or carries a query or fragment)."""
    site = urlsplit(base)
    parts = urlsplit(iri or "")
    if (parts.scheme.lower(), parts.netloc.lower()) != (site.scheme, site.netloc.lower()):
        return None
    if parts.query or parts.fragment:
        return None
    return unquote(parts.path).lstrip("/")


def attribute(instance, name: str):
    """The value at ``name`` (``author__username`` follows relations), or None."""
    value = instance
    for part in name.split("__"):
        value = getattr(value, part, None)
        if value is None:
            return None
    return value


def fill_regex(regex: str, values: dict) -> str | None:
    """The path that ``regex`` matches when its named groups hold ``values``
    (strings), or None when they do not fit."""
    pattern = re.compile(regex)
    for template, params in normalize(regex):
        if set(params) <= set(values):
            candidate = template % {name: values[name] for name in params}
            if pattern.fullmatch(candidate):
                return candidate
    return None


def object_path(instance, regex: str) -> str:
    """The path (relative to the site root) where ``instance`` lives, given its
    model's registration ``regex``; ValueError saying why it has none."""
    model = type(instance)
    label = model._meta.label
    pattern = compile_regex(model, regex)
    values = {name: attribute(instance, name) for name in pattern.groupindex}
    missing = [name for name, value in values.items() if value is None]
    if missing:
        raise ValueError(f"{label} {instance!r} has no value for {', '.join(missing)}.")
    values = {name: str(value) for name, value in values.items()}
    path = fill_regex(regex, values)
    if path is None:
        raise ValueError(
            f"The values {values!r} of {label} {instance!r} do not fit its regex {regex!r}.")
    return path


def key_from_urn(iri: str) -> str | None:
    """The key of a ``urn:uuid:`` activity id, lower case, or None."""
    if not iri.lower().startswith("urn:uuid:"):
        return None
    key = iri[9:]
    return key.lower() if UUID_PATTERN.fullmatch(key) else None


def key_from_path(path: str, template: str, placeholder: str) -> str | None:
    """The key in ``path`` where ``template`` (a reversed URL path) holds ``placeholder``."""
    prefix, _found, suffix = template.lstrip("/").partition(placeholder)
    if path.startswith(prefix) and path.endswith(suffix):
        key = path[len(prefix):len(path) - len(suffix)]
        if UUID_PATTERN.fullmatch(key):
            return key.lower()
    return None


AS_NAMESPACE = "https://www.w3.org/ns/activitystreams#"


def activity_type_name(value) -> str:
    """An activity type as a name (``"Update"``): 4.x took an aspy class, whose
    ``get_type()`` is the type's IRI in the Activity Streams namespace."""
    get_type = getattr(value, "get_type", None)
    if callable(get_type):
        value = get_type()
    value = str(value or "")
    return value[len(AS_NAMESPACE):] if value.startswith(AS_NAMESPACE) else value
