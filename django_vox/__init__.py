"""django-vox: notifications registered in code, written in the admin."""

import importlib
import importlib.abc
import importlib.util
import sys

__version__ = "5.0.0"

__all__ = ["notify", "__version__"]

#: Modules that moved into a concept's folder (issue 28), by their old path.
#: Importing an old path gives the module at its new place, the same object
#: (one set of classes and functions, whichever path imported it).
MOVED = {
    "django_vox.background_models": "django_vox.models.background",
    "django_vox.digestoptions": "django_vox.digests.options",
    "django_vox.engine": "django_vox.templating.engine",
    "django_vox.inbox": "django_vox.activities.inbox",
    "django_vox.issuing.chunks": "django_vox.background.chunks",
    "django_vox.issuing.holding": "django_vox.digests.holding",
    "django_vox.manual": "django_vox.issuing.manual",
    "django_vox.preview": "django_vox.templating.preview",
    "django_vox.ratelimit": "django_vox.pacing.ratelimit",
    "django_vox.rendering": "django_vox.templating.rendering",
    "django_vox.resending": "django_vox.issuing.resending",
    "django_vox.retry": "django_vox.pacing.retry",
    "django_vox.retryafter": "django_vox.pacing.retryafter",
    "django_vox.samples": "django_vox.templating.samples",
    "django_vox.sandbox": "django_vox.templating.sandbox",
    "django_vox.sync": "django_vox.registry.sync",
    "django_vox.variables": "django_vox.templating.variables",
    "django_vox.views": "django_vox.preferences.views",
}


class _MovedModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds the old paths of :data:`MOVED`; loading one imports its new place.

    An import hook rather than plain modules, on purpose (reviewed 2026-12):

    * 16 of the old paths sit at the top of the package.  As files they would
      take it from 14 modules to 30 (tests/test_layout.py allows 15); as
      folders they would put 16 folders that hold no concept beside the ones
      that do: the flat top level that issue 28 did away with.
    * A re-export module is a second module object: ``mock.patch`` on the
      old path, module-level state and ``__name__`` would part from the code
      that runs.  The hook gives the one module (test_package_layout.py).
    * They are paths of the 5.0 development line, not of 4.x, so they are
      not shims of :mod:`django_vox.compat` and do not warn: docs/api.rst
      says they stay importable.  Sites that already list
      ``django_vox.inbox.ActivityInboxMiddleware`` in ``MIDDLEWARE`` keep
      working silently; the docs name the new path.
    """

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in MOVED:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        module = importlib.import_module(MOVED[spec.name])
        spec.loader_state = module.__spec__  # the import system overwrites it
        return module

    def exec_module(self, module):
        # The module ran at its new place: only give it back its own spec.
        module.__spec__ = module.__spec__.loader_state


if not any(isinstance(finder, _MovedModules) for finder in sys.meta_path):
    sys.meta_path.append(_MovedModules())


def notify(instance, codename: str, *, actor=None, target=None):
    """Issue the notification ``codename`` registered for ``instance``'s model."""
    from django_vox.registry import objects  # the package root must stay importable early

    return objects[type(instance)].notify(instance, codename, actor=actor, target=target)
