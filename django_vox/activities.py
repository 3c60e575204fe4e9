"""Activity Streams 2.0 support: where registered objects live, and what they
look like as AS2 objects.

``objects.add(Model, Registration, regex=r"^users/(?P<username>[\\w.@+-]+)/$")``
says that an instance lives at a path relative to the site root.  The named
groups are attribute paths of the instance (``author__username`` follows
relations) and, the other way round, lookup keywords of the model's default
manager.  That is enough to turn an instance into an absolute IRI
(:func:`reverse_iri`) and an IRI back into the instance (:func:`resolve_iri`),
which is how the activity backend addresses inboxes.

The site part of an IRI comes from the ``SITE_DOMAIN`` and ``SITE_SSL``
settings or, when ``SITE_DOMAIN`` is unset, from ``django.contrib.sites``.
"""

import datetime
import json
import logging
import re
from urllib.parse import quote, unquote, urlsplit
from zoneinfo import ZoneInfo

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import (
    ImproperlyConfigured,
    MultipleObjectsReturned,
    ObjectDoesNotExist,
    ValidationError,
)
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.regex_helper import normalize

from django_vox import conf
from django_vox.exceptions import VoxError

__all__ = [
    "ACTIVITY_TYPES",
    "AS_CONTEXT",
    "AS_MEDIA_TYPE",
    "ActivityIRIError",
    "activity_iri",
    "activity_key_from_iri",
    "compile_regex",
    "default_activity_object",
    "format_datetime",
    "get_activity_object",
    "get_address",
    "is_registered_path",
    "jsonable",
    "resolve_iri",
    "resolve_owners",
    "resolve_path",
    "reverse_iri",
    "site_actor",
    "site_base",
]

logger = logging.getLogger("django_vox")

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
AS_MEDIA_TYPE = "application/activity+json"

#: The Activity types of the Activity Vocabulary (W3C AS2, section 3.2).
ACTIVITY_TYPES = frozenset({
    "Activity", "IntransitiveActivity", "Accept", "Add", "Announce", "Arrive", "Block",
    "Create", "Delete", "Dislike", "Flag", "Follow", "Ignore", "Invite", "Join", "Leave",
    "Like", "Listen", "Move", "Offer", "Question", "Reject", "Read", "Remove",
    "TentativeReject", "TentativeAccept", "Travel", "Undo", "Update", "View",
})


class ActivityIRIError(VoxError, ValueError):
    """An object has no IRI: its model has no regex, or its values do not fit it."""


# -- regexes -------------------------------------------------------------------
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


def _entries_with_regex():
    from django_vox.registry import objects

    return [entry for entry in objects if entry.regex]


# -- the site -------------------------------------------------------------------
def site_base() -> str:
    """``scheme://domain/`` of this site, for absolute IRIs."""
    domain = conf.get("SITE_DOMAIN")
    if domain:
        if "://" in domain or "/" in domain.strip("/"):
            raise ImproperlyConfigured(
                f"SITE_DOMAIN must be a host name such as 'example.org' (with an optional "
                f"port), not {domain!r}; SITE_SSL chooses the scheme.")
    elif apps.is_installed("django.contrib.sites"):
        from django.contrib.sites.models import Site

        domain = Site.objects.get_current().domain
    else:
        raise ImproperlyConfigured(
            "django-vox needs SITE_DOMAIN (or django.contrib.sites) to build absolute IRIs.")
    scheme = "https" if conf.get("SITE_SSL") else "http"
    return f"{scheme}://{domain.strip('/')}/"


def _absolute(path: str, *, encoded: bool = False) -> str:
    """An absolute IRI for a path relative to the site root.  ``encoded``: the
    path is already percent-encoded (from ``reverse()`` or ``get_absolute_url()``)."""
    safe = "/:@!$&'()*+,;=-._~" + ("%" if encoded else "")
    return site_base() + quote(path.lstrip("/"), safe=safe)


# -- object <-> IRI -----------------------------------------------------------------
def _attribute(instance, name):
    value = instance
    for part in name.split("__"):
        value = getattr(value, part, None)
        if value is None:
            return None
    return value


def reverse_path(instance) -> str:
    """The path (relative to the site root) where ``instance`` lives."""
    from django_vox.registry import objects

    model = type(instance)
    regex = objects[model].regex
    label = model._meta.label
    if not regex:
        raise ActivityIRIError(f"{label} is registered without a regex, so its objects have no IRI.")
    pattern = compile_regex(model, regex)
    values = {name: _attribute(instance, name) for name in pattern.groupindex}
    missing = [name for name, value in values.items() if value is None]
    if missing:
        raise ActivityIRIError(f"{label} {instance!r} has no value for {', '.join(missing)}.")
    values = {name: str(value) for name, value in values.items()}
    for template, params in normalize(regex):
        if set(params) <= set(values):
            candidate = template % {name: values[name] for name in params}
            if pattern.fullmatch(candidate):
                return candidate
    raise ActivityIRIError(
        f"The values {values!r} of {label} {instance!r} do not fit its regex {regex!r}.")


def reverse_iri(instance) -> str:
    """The absolute IRI of ``instance``; ActivityIRIError when it has none."""
    return _absolute(reverse_path(instance))


def get_address(instance) -> str | None:
    """The IRI of ``instance``, or None when it cannot have one (logged)."""
    try:
        return reverse_iri(instance)
    except ActivityIRIError as err:
        logger.debug("No activity address: %s", err)
        return None


def is_registered_path(path: str) -> bool:
    """Whether ``path`` has the shape of some registered model's regex."""
    path = path.lstrip("/")
    return any(compile_regex(entry.model, entry.regex).fullmatch(path)
               for entry in _entries_with_regex())


def resolve_path(path: str):
    """The registered object living at ``path`` (relative to the site root), or None."""
    path = path.lstrip("/")
    for entry in _entries_with_regex():
        match = compile_regex(entry.model, entry.regex).fullmatch(path)
        if match is None:
            continue
        try:
            return entry.model._default_manager.get(**match.groupdict())
        except ObjectDoesNotExist:
            continue
        except (ValueError, ValidationError):  # e.g. "abc" for a UUID lookup
            continue
        except MultipleObjectsReturned:
            logger.warning("The regex %r of %s matches several objects at %r.",
                           entry.regex, entry.model._meta.label, path)
            continue
    return None


def relative_path(iri: str) -> str | None:
    """The path of ``iri`` relative to the site root, or None when it is another site's."""
    base = urlsplit(site_base())
    parts = urlsplit(iri or "")
    if (parts.scheme.lower(), parts.netloc.lower()) != (base.scheme, base.netloc.lower()):
        return None
    if parts.query or parts.fragment:
        return None
    return unquote(parts.path).lstrip("/")


def resolve_iri(iri: str):
    """The registered object ``iri`` names, or None."""
    path = relative_path(iri)
    return None if path is None else resolve_path(path)


def resolve_owners(iris) -> dict:
    """Map each IRI naming a registered object to ``(model, pk)``; others are left out.

    The same answers as :func:`resolve_iri`, in one query per registration
    (and batch) instead of one per IRI, for deliveries to many inboxes.
    """
    by_entry, leftover = {}, []
    entries = _entries_with_regex()
    for iri in dict.fromkeys(iris):
        path = relative_path(iri) if isinstance(iri, str) else None
        if path is None:
            continue
        for entry in entries:
            match = compile_regex(entry.model, entry.regex).fullmatch(path)
            if match is not None:
                by_entry.setdefault(entry, {})[tuple(match.groupdict().items())] = iri
                break
        else:
            continue
    found = {}
    for entry, wanted in by_entry.items():
        names = list(compile_regex(entry.model, entry.regex).groupindex)
        items = list(wanted.items())
        batch = _BATCH if len(names) == 1 else _BATCH // 5
        for start in range(0, len(items), batch):
            chunk = items[start:start + batch]
            if len(names) == 1:
                query = Q(**{f"{names[0]}__in": [lookup[0][1] for lookup, _iri in chunk]})
            else:
                query = Q()
                for lookup, _iri in chunk:
                    query |= Q(**dict(lookup))
            try:
                rows = entry.model._default_manager.filter(query).values_list("pk", *names)
                rows = list(rows)
            except (ValueError, ValidationError):  # one bad value spoils the batch
                rows = []
            for pk, *values in rows:
                iri = wanted.get(tuple(zip(names, map(str, values))))
                if iri is not None:
                    found[iri] = (entry.model, pk)
        leftover.extend(iri for iri in wanted.values() if iri not in found)
    for iri in leftover:  # values the database normalises, overlapping regexes...
        instance = resolve_iri(iri)
        if instance is not None:
            found[iri] = (type(instance), instance.pk)
    return found


_BATCH = 500


# -- AS2 objects -------------------------------------------------------------------
_UTC = ZoneInfo("UTC")


def format_datetime(value: datetime.datetime) -> str:
    """An xsd:dateTime with a time zone, as AS2 wants for ``published``."""
    if timezone.is_naive(value):
        value = timezone.make_aware(value, _UTC)
    value = value.astimezone(_UTC).replace(microsecond=0)
    return value.isoformat().replace("+00:00", "Z")


def jsonable(data):
    """``data`` as plain JSON types (dates and UUIDs become strings)."""
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def default_activity_object(instance) -> dict:
    """A small AS2 object for ``instance``: type, id (when it has an IRI), name, url."""
    user_model = get_user_model()
    is_person = isinstance(instance, user_model)
    document = {"type": "Person" if is_person else "Object"}
    iri = get_address(instance)
    if iri:
        document["id"] = iri
    name = instance.get_username() if is_person else str(instance)
    if name:
        document["name"] = name
    get_url = getattr(instance, "get_absolute_url", None)
    if callable(get_url):
        url = get_url()
        if url:
            document["url"] = url if "://" in url else _absolute(url, encoded=True)
    return document


def get_activity_object(instance) -> dict | None:
    """``instance`` as an AS2 object, through its registration (and ``__activity__``)."""
    if instance is None:
        return None
    from django_vox.registry import objects

    document = objects[type(instance)].registration.get_activity_object(instance)
    if not isinstance(document, dict):
        raise TypeError(
            f"get_activity_object()/__activity__() for {type(instance).__name__} must "
            f"return a dict, not {type(document).__name__}.")
    document = dict(document)
    document.setdefault("type", "Object")
    if "id" not in document:
        iri = get_address(instance)
        if iri:
            document["id"] = iri
    return jsonable(document)


def site_actor() -> dict:
    """The actor of activities that have none: the site itself."""
    base = site_base()
    return {"type": "Application", "id": base, "name": urlsplit(base).netloc}


# -- activities ----------------------------------------------------------------
def activity_iri(key) -> str:
    """The id of the activity with ``key``: its page when django_vox.urls is
    included, else a ``urn:uuid:`` IRI."""
    try:
        path = reverse("django_vox:activity", kwargs={"key": key})
    except NoReverseMatch:
        return f"urn:uuid:{key}"
    return _absolute(path, encoded=True)


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)


def activity_key_from_iri(iri: str) -> str | None:
    """The key inside an activity id made by :func:`activity_iri`, or None."""
    if not isinstance(iri, str):
        return None
    if iri.lower().startswith("urn:uuid:"):
        key = iri[9:]
        return key.lower() if _UUID.fullmatch(key) else None
    path = relative_path(iri)
    if path is None:
        return None
    try:
        own = reverse("django_vox:activity", kwargs={"key": "00000000-0000-0000-0000-000000000000"})
    except NoReverseMatch:
        return None
    prefix, _zero, suffix = own.lstrip("/").partition("00000000-0000-0000-0000-000000000000")
    if path.startswith(prefix) and path.endswith(suffix):
        key = path[len(prefix):len(path) - len(suffix)]
        if _UUID.fullmatch(key):
            return key.lower()
    return None
