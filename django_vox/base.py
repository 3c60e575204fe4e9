"""The 4.x module ``django_vox.base``, kept so that 4.x imports keep working.

Part of the compat side (:mod:`django_vox.compat`): each name warns when read
and is removed in django-vox 6.0.
"""

from django_vox.compat import moved_names

_SITE = ("django_vox.compat.base", "build absolute IRIs with django_vox.registry.site_iri(path) "
         "or object_iri(instance); the site comes from django_vox.conf.site_base_url().")

__getattr__, __dir__ = moved_names(__name__, {
    "Contact": ("django_vox.registry", "import Contact from django_vox.registry."),
    "full_iri": _SITE,
    "get_current_site": _SITE,
    "SettingsSite": _SITE,
    "FALLBACK_DOMAIN": _SITE,
})
