"""What :meth:`django_vox.apps.VoxConfig.ready` calls to plug the 4.x shims
into the core's injection points (the core never imports this package):

* the backend registry's class adapter
  (:func:`django_vox.backends.set_class_adapter`): a 4.x backend class named
  in ``DJANGO_VOX_BACKENDS`` is wrapped, any other answers the 4.x
  class-level calls;
* the 4.x class-level ``build_message``/``preview_message`` on the built-in
  backends (:func:`django_vox.compat.vox4calls.install`);
* the adapters of the settings whose 4.x values changed meaning, and their
  system check (:mod:`django_vox.compat.vox4settings`);
* the 4.x URL names of the notification admin (:mod:`django_vox.compat.admin`).

Idempotent: ``ready()`` may run more than once in tests.
"""

import importlib

from django.apps import apps

from django_vox.backends import DEFAULT_BACKENDS, set_class_adapter
from django_vox.backends.base import Backend
from django_vox.compat import backends, vox4calls, vox4settings

__all__ = ["install", "BUILT_IN_BACKEND_MODULES"]

#: The modules of the built-in backends (imported when their dependencies are).
BUILT_IN_BACKEND_MODULES = tuple(dict.fromkeys(
    [path.rpartition(".")[0] for path in DEFAULT_BACKENDS]
    + ["django_vox.backends.locmem", "django_vox.backends.activity"]))


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def install_class_calls() -> None:
    """The 4.x class-level calls on Backend and every built-in backend class."""
    for module in BUILT_IN_BACKEND_MODULES:
        try:
            importlib.import_module(module)
        except ImportError:  # an extra that is not installed: nothing to call
            continue
    for cls in (Backend, *_subclasses(Backend)):
        if cls.__module__.startswith("django_vox.backends."):
            vox4calls.install(cls)


def install() -> None:
    set_class_adapter(backends.load_hook)
    install_class_calls()
    vox4settings.install()
    if apps.is_installed("django.contrib.admin"):
        install_admin_urls()


def install_admin_urls() -> None:
    # Imported here: django_vox.admin needs django.contrib.admin, which a
    # project may leave out.
    from django_vox.compat import admin

    admin.install()
