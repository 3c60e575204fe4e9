"""Activity Streams 2.0 support: where registered objects live, and what they
look like as AS2 objects.

``objects.add(Model, Registration, regex=r"^users/(?P<username>[\\w.@+-]+)/$")``
says that an instance lives at a path relative to the site root.  The named
groups are attribute paths of the instance (``author__username`` follows
relations) and, the other way round, lookup keywords of the model's default
manager.  That is enough to turn an instance into an absolute IRI
(:func:`reverse_iri`) and an IRI back into the instance (:func:`resolve_iri`),
which is how the activity backend addresses inboxes.

The package, lowest module first:

* :mod:`~django_vox.activities.iri`: building and parsing IRIs, importing
  nothing else from django_vox (so the registry can use it);
* :mod:`~django_vox.activities.addresses`: this site's IRIs, object → IRI;
* :mod:`~django_vox.activities.owners`: IRI → object (inbox owners);
* :mod:`~django_vox.activities.documents`: AS2 documents;
* :mod:`~django_vox.activities.storing`: storing activities in inboxes.

The names below are loaded on first use (PEP 562), so importing
``django_vox.activities.iri`` does not pull in the layers above it.

May import the registry, the models and what is below them (conf,
exceptions); :mod:`~django_vox.activities.iri` imports nothing of the package.
"""

import importlib

__all__ = [
    "ACTIVITY_TYPES",
    "AS_CONTEXT",
    "AS_MEDIA_TYPE",
    "ActivityIRIError",
    "activity_document",
    "activity_iri",
    "activity_key_from_iri",
    "compile_regex",
    "default_activity_object",
    "format_datetime",
    "get_activity_object",
    "get_address",
    "is_registered_path",
    "jsonable",
    "relative_path",
    "resolve_iri",
    "resolve_owners",
    "resolve_path",
    "reverse_iri",
    "reverse_path",
    "site_actor",
    "site_base",
    "store_activity",
]

_HOMES = {
    "compile_regex": "iri",
    "ActivityIRIError": "addresses", "activity_iri": "addresses",
    "activity_key_from_iri": "addresses", "get_address": "addresses",
    "relative_path": "addresses", "reverse_iri": "addresses", "reverse_path": "addresses",
    "site_base": "addresses",
    "is_registered_path": "owners", "resolve_iri": "owners", "resolve_owners": "owners",
    "resolve_path": "owners",
    "ACTIVITY_TYPES": "documents", "AS_CONTEXT": "documents", "AS_MEDIA_TYPE": "documents",
    "activity_document": "documents", "default_activity_object": "documents",
    "format_datetime": "documents", "get_activity_object": "documents", "jsonable": "documents",
    "site_actor": "documents",
    "store_activity": "storing",
}


def __getattr__(name):
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
