"""What answers the 4.x module ``django_vox.base``: a few shared helpers.

``Contact`` is :class:`django_vox.registry.Contact` (it gained an optional
fourth argument, the object the contact belongs to).  ``full_iri`` builds
absolute IRIs with the same site rule as the activity backend, so an id made
here matches the ids the backend stores.  New code imports ``Contact`` from :mod:`django_vox.registry` and builds IRIs
with :func:`django_vox.registry.site_iri`; reading these names from
``django_vox.base`` warns.
"""

from django.apps import apps
from django.conf import settings

from django_vox import conf
from django_vox.registry import Contact

__all__ = ["Contact", "SettingsSite", "full_iri", "get_current_site"]

#: What 4.x reported as the domain when neither SITE_DOMAIN nor django.contrib.sites is set.
FALLBACK_DOMAIN = "127.0.0.1:8000"


class SettingsSite:
    """Stands in for ``django.contrib.sites``' ``Site`` when that app is not
    installed: ``domain`` and ``name`` both come from ``SITE_DOMAIN``."""

    def __init__(self):
        self.domain = self.name = getattr(settings, "SITE_DOMAIN", None) or FALLBACK_DOMAIN

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        raise NotImplementedError("A SettingsSite comes from the SITE_DOMAIN setting; "
                                  "change the setting instead of saving it.")

    def delete(self, *args, **kwargs):
        raise NotImplementedError("A SettingsSite comes from the SITE_DOMAIN setting and "
                                  "cannot be deleted.")


def get_current_site():
    """The current ``Site`` without a request: django.contrib.sites' when it is
    installed, else a :class:`SettingsSite`."""
    if apps.is_installed("django.contrib.sites"):
        from django.contrib.sites.models import Site

        return Site.objects.get_current()
    return SettingsSite()


def full_iri(absolute_url: str) -> str:
    """``absolute_url`` (such as ``get_absolute_url()``) as an absolute IRI on this site.

    Scheme-relative URLs (``//host/path``) get the scheme of ``SITE_SSL``;
    URLs that already have a scheme are returned unchanged.
    """
    if absolute_url.startswith("//"):
        scheme = "https" if getattr(settings, "SITE_SSL", True) else "http"
        return f"{scheme}:{absolute_url}"
    if absolute_url.startswith(("http://", "https://", "mailto:")):
        return absolute_url
    return f"{conf.site_base_url()}/{absolute_url.lstrip('/')}"
