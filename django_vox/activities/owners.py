"""From an IRI back to the registered object it names: the inbox owner.

``objects.add(Model, Registration, regex=...)`` says where an instance lives;
the named groups of the regex are lookup keywords of the model's default
manager, so a path that fits the regex names at most one object.
"""

import logging

from django.core.exceptions import MultipleObjectsReturned, ObjectDoesNotExist, ValidationError
from django.db.models import Q

from django_vox.activities import iri as iris
from django_vox.activities.addresses import relative_path
from django_vox.registry import objects

__all__ = ["is_registered_path", "resolve_iri", "resolve_owners", "resolve_path"]

logger = logging.getLogger("django_vox")

#: How many single-group lookups go in one query (a fifth of it for several groups).
BATCH = 500


def _entries_with_regex():
    return [entry for entry in objects if entry.regex]


def _pattern(entry):
    return iris.compile_regex(entry.model, entry.regex)


def is_registered_path(path: str) -> bool:
    """Whether ``path`` has the shape of some registered model's regex."""
    path = path.lstrip("/")
    return any(_pattern(entry).fullmatch(path) for entry in _entries_with_regex())


def _lookup(entry, path, match):
    try:
        return entry.model._default_manager.get(**match.groupdict())
    except ObjectDoesNotExist:
        return None
    except (ValueError, ValidationError):  # e.g. "abc" for a UUID lookup
        return None
    except MultipleObjectsReturned:
        logger.warning("The regex %r of %s matches several objects at %r.",
                       entry.regex, entry.model._meta.label, path)
        return None


def resolve_path(path: str):
    """The registered object living at ``path`` (relative to the site root), or None."""
    path = path.lstrip("/")
    for entry in _entries_with_regex():
        match = _pattern(entry).fullmatch(path)
        if match is not None:
            instance = _lookup(entry, path, match)
            if instance is not None:
                return instance
    return None


def resolve_iri(iri: str):
    """The registered object ``iri`` names, or None."""
    path = relative_path(iri)
    return None if path is None else resolve_path(path)


def resolve_owners(iris_wanted) -> dict:
    """Map each IRI naming a registered object to ``(model, pk)``; others are left out.

    The same answers as :func:`resolve_iri`, in one query per registration
    (and batch) instead of one per IRI, for deliveries to many inboxes.
    """
    found, leftover = {}, []
    for entry, wanted in _group_by_entry(iris_wanted).items():
        found.update(_query_entry(entry, wanted))
        leftover.extend(iri for iri in wanted.values() if iri not in found)
    for iri in leftover:  # values the database normalises, overlapping regexes...
        instance = resolve_iri(iri)
        if instance is not None:
            found[iri] = (type(instance), instance.pk)
    return found


def _group_by_entry(iris_wanted) -> dict:
    """``{entry: {lookup items: iri}}`` for the IRIs whose path fits a regex
    (the first registration that fits wins)."""
    by_entry = {}
    entries = _entries_with_regex()
    for iri in dict.fromkeys(iris_wanted):
        path = relative_path(iri) if isinstance(iri, str) else None
        if path is None:
            continue
        for entry in entries:
            match = _pattern(entry).fullmatch(path)
            if match is not None:
                by_entry.setdefault(entry, {})[tuple(match.groupdict().items())] = iri
                break
    return by_entry


def _batch_query(names, chunk) -> Q:
    if len(names) == 1:
        return Q(**{f"{names[0]}__in": [lookup[0][1] for lookup, _iri in chunk]})
    query = Q()
    for lookup, _iri in chunk:
        query |= Q(**dict(lookup))
    return query


def _query_entry(entry, wanted) -> dict:
    """``{iri: (model, pk)}`` for the objects of one registration, in batches."""
    names = list(_pattern(entry).groupindex)
    items = list(wanted.items())
    batch = BATCH if len(names) == 1 else BATCH // 5
    found = {}
    for start in range(0, len(items), batch):
        query = _batch_query(names, items[start:start + batch])
        try:
            rows = list(entry.model._default_manager.filter(query).values_list("pk", *names))
        except (ValueError, ValidationError):  # one bad value spoils the batch
            rows = []
        for pk, *values in rows:
            iri = wanted.get(tuple(zip(names, map(str, values))))
            if iri is not None:
                found[iri] = (entry.model, pk)
    return found
