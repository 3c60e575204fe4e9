"""A backend whose package is missing says how to install it, also where its
extra cannot (aioxmpp on Python 3.13), and is never left out without a word
when its extra is half installed."""

import sys

from django.core import checks
from django.test import override_settings

from django_vox import backends as backend_registry
from django_vox.backends import inspect_backends, xmpp
from django_vox.exceptions import MissingDependency

HALF = "tests.testapp.backends.HalfInstalledBackend"
MISSING = "tests.testapp.backends.NeedsPackageBackend"
COMMON = "tests.testapp.backends.CommonDependencyBackend"


def test_missing_dependency_names_the_extra():
    error = MissingDependency("some.Backend", "mod", "imaginary")
    assert str(error) == ("Backend some.Backend needs the Python package providing 'mod', "
                          'which is not installed (pip install "django-vox[imaginary]").')


def test_aioxmpp_on_python_313_names_the_no_deps_install(monkeypatch):
    monkeypatch.setattr(sys, "version_info", (3, 13, 0, "final", 0))
    command = xmpp.Backend.install_command("aioxmpp")
    assert 'pip install --no-deps "aioxmpp>=0.13"' in command
    assert "cannot install aioxmpp itself on Python 3.13" in command
    monkeypatch.setattr(sys, "version_info", (3, 12, 0, "final", 0))
    assert xmpp.Backend.install_command("aioxmpp") == 'pip install "django-vox[xmpp]"'


def test_half_installed_default_backend_is_a_warning_not_a_silent_drop(monkeypatch):
    monkeypatch.setattr(backend_registry, "DEFAULT_BACKENDS",
                        ("django_vox.backends.locmem.Backend", HALF, MISSING, COMMON))
    with override_settings(DJANGO_VOX_BACKENDS=None):
        classes, _problems = inspect_backends()
        messages = checks.run_checks(tags=["django_vox"])
        ids = backend_registry.backends.ids()
    assert [cls.ID for cls in classes] == ["locmem"]
    # The half-installed one is reported; those with nothing only their extra
    # brings are not (a project may well have pytz or phonenumbers without them).
    assert [(m.level, m.id, m.obj) for m in messages] == [
        (checks.WARNING, "django_vox.W003", HALF)]
    assert "'surely_not_installed_pkg'" in messages[0].msg
    assert 'pip install "django-vox[imaginary]"' in messages[0].msg
    assert "DJANGO_VOX_BACKENDS" in messages[0].hint
    assert list(ids) == ["locmem"]  # a warning: the registry still loads


def test_the_xmpp_extra_without_aioxmpp_is_recognised(monkeypatch):
    # What the xmpp extra leaves on Python 3.13: aioxmpp's libraries, no aioxmpp.
    present = {"aiosasl", "pytz"}
    monkeypatch.setattr(xmpp.Backend, "missing_dependencies", classmethod(lambda cls: ["aioxmpp"]))
    monkeypatch.setattr("importlib.util.find_spec",
                        lambda name, *a: object() if name in present else None)
    assert xmpp.Backend.extra_incomplete()
    present.discard("aiosasl")  # pytz alone says nothing about the extra
    assert not xmpp.Backend.extra_incomplete()
