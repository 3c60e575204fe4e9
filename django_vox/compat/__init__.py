"""Everything django-vox keeps for projects written against django-vox 4.x.

django-vox 6.0 removes this package.  Each shim warns with
:class:`~django_vox.exceptions.RemovedInDjangoVox6Warning` (a
``DeprecationWarning``) naming its replacement; docs/upgrading.rst lists them.

What lives here:

* :mod:`.base`, :mod:`.settings`, :mod:`.middleware`, :mod:`.background_tasks`:
  the code behind the 4.x modules ``django_vox.base``, ``django_vox.settings``,
  ``django_vox.middleware`` and ``django_vox.extra.background_tasks`` (those
  stay as thin modules re-exporting from here, as does ``django_vox.forms``,
  whose names moved to :mod:`django_vox.admin.forms`);
* :mod:`.backends`: the adapter running 4.x backend classes, and the hook the
  backend registry calls for each class it loads;
* :mod:`.vox4calls`: the 4.x class-level calls on the built-in backends, the
  4.x string form of messages, ``template_from_string`` and ``AttachmentData``;
* :mod:`.vox4settings`: 4.x values of settings whose meaning changed, and
  their system check;
* :mod:`.models`: the legacy model API (``VoxModel``, ``VoxNotification``,
  ``VoxNotifications``);
* :mod:`.admin`: the admin pages under their 4.x URL names;
* :mod:`.install`: what :meth:`django_vox.apps.VoxConfig.ready` calls to
  plug the above into the core's injection points.

What it may import: any part of django-vox.  Nothing outside this package
imports it, except the 4.x import paths themselves: the thin modules above,
and two names read on demand (``django_vox.models.VoxModel`` and friends,
``django_vox.backends.base.template_from_string``/``AttachmentData``), plus
``apps.py``, which installs it.  The import-linter contract ``compat`` in
pyproject.toml lists each door.
"""

import importlib
import warnings

from django_vox.exceptions import RemovedInDjangoVox6Warning

__all__ = ["RemovedInDjangoVox6Warning", "deprecated", "moved_names", "REMOVED_IN"]

#: The release that removes every shim of this package.
REMOVED_IN = "django-vox 6.0"


def deprecated(what: str, replacement: str, stacklevel: int = 2) -> None:
    """Warn that ``what`` is a 4.x shim, naming its ``replacement``.

    ``stacklevel`` counts from the caller of this function, as
    :func:`warnings.warn`'s does from its own caller."""
    warnings.warn(f"{what} is deprecated and removed in {REMOVED_IN}; {replacement}",
                  RemovedInDjangoVox6Warning, stacklevel=stacklevel + 1)


def moved_names(module_name: str, names: dict):
    """``(__getattr__, __dir__)`` for a 4.x module whose ``names`` moved.

    ``names`` maps each name to ``(module path, replacement text)``: reading
    the name (``from django_vox.base import full_iri`` included) imports it
    from that module and warns with the replacement text.
    """

    def __getattr__(name):
        if name not in names:
            raise AttributeError(f"module {module_name!r} has no attribute {name!r}")
        home, replacement = names[name]
        deprecated(f"{module_name}.{name}", replacement)
        return getattr(importlib.import_module(home), name)

    def __dir__():
        return sorted(names)

    return __getattr__, __dir__
