"""Where things live: this site's base IRI, the IRI of a registered object and
of a stored activity.

The site part comes from :func:`django_vox.conf.site_base_url`: the
``SITE_DOMAIN`` and ``SITE_SSL`` settings or, when ``SITE_DOMAIN`` is unset,
``django.contrib.sites``.
"""

import logging

from django.urls import NoReverseMatch, reverse

from django_vox import conf
from django_vox.activities import iri as iris
from django_vox.exceptions import ActivityIRIError
from django_vox.registry import object_iri_path as reverse_path
from django_vox.registry import site_iri

__all__ = [
    "ActivityIRIError", "absolute", "activity_iri", "activity_key_from_iri", "get_address",
    "relative_path", "reverse_iri", "reverse_path", "site_base",
]

logger = logging.getLogger("django_vox")

_ZERO_KEY = "00000000-0000-0000-0000-000000000000"


def site_base() -> str:
    """``scheme://domain/`` of this site, for absolute IRIs (from
    :func:`django_vox.conf.site_base_url`)."""
    return conf.site_base_url() + "/"


def absolute(path: str, *, encoded: bool = False) -> str:
    """An absolute IRI on this site for a path relative to the site root."""
    return site_iri(path, encoded=encoded)


def relative_path(iri: str) -> str | None:
    """The path of ``iri`` relative to the site root, or None when it is another site's."""
    return iris.relative_path(iri, site_base())


def reverse_iri(instance) -> str:
    """The absolute IRI of ``instance``; ActivityIRIError when it has none."""
    return absolute(reverse_path(instance))


def get_address(instance) -> str | None:
    """The IRI of ``instance``, or None when it cannot have one (logged)."""
    try:
        return reverse_iri(instance)
    except ActivityIRIError as err:
        logger.debug("No activity address: %s", err)
        return None


def activity_iri(key) -> str:
    """The id of the activity with ``key``: its page when django_vox.urls is
    included, else a ``urn:uuid:`` IRI."""
    try:
        path = reverse("django_vox:activity", kwargs={"key": key})
    except NoReverseMatch:
        return f"urn:uuid:{key}"
    return absolute(path, encoded=True)


def activity_key_from_iri(iri: str) -> str | None:
    """The key inside an activity id made by :func:`activity_iri`, or None."""
    if not isinstance(iri, str):
        return None
    if iri.lower().startswith("urn:uuid:"):
        return iris.key_from_urn(iri)
    path = relative_path(iri)
    if path is None:
        return None
    try:
        own = reverse("django_vox:activity", kwargs={"key": _ZERO_KEY})
    except NoReverseMatch:
        return None
    return iris.key_from_path(path, own, _ZERO_KEY)
