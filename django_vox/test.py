"""Helpers for testing a project that sends notifications with django-vox.

Both give each test an empty :data:`django_vox.backends.locmem.outbox` and
empty it again afterwards, so messages from one test never show up in the
next:

* pytest: list the module as a plugin (``pytest_plugins = ["django_vox.test"]``
  in your ``conftest.py``) and request the ``vox_outbox`` fixture, which
  returns the outbox;
* ``unittest`` / Django's ``TestCase``: mix :class:`VoxOutboxMixin` in before
  the test case class and read ``self.vox_outbox``.

pytest is not a dependency of django-vox: without it the fixture is simply
not defined, and the mixin works all the same.
"""

from collections.abc import Iterator
from typing import TYPE_CHECKING

from django_vox.backends import locmem

__all__ = ["VoxOutboxMixin"]

if TYPE_CHECKING:  # the mixin is meant for unittest.TestCase subclasses
    from unittest import TestCase as _MixinBase
else:
    _MixinBase = object


def _reset_outbox() -> list[locmem.SentMessage]:
    locmem.outbox.clear()
    return locmem.outbox


class VoxOutboxMixin(_MixinBase):
    """Empties the locmem outbox before and after every test.

    ``class OrderTests(VoxOutboxMixin, TestCase): ...``
    """

    @property
    def vox_outbox(self) -> list[locmem.SentMessage]:
        """The messages the locmem backends sent during this test."""
        return locmem.outbox

    def setUp(self) -> None:
        _reset_outbox()
        self.addCleanup(_reset_outbox)
        super().setUp()


try:
    import pytest
except ImportError:  # pytest is optional; the mixin above does not need it
    pass
else:

    @pytest.fixture
    def vox_outbox() -> Iterator[list[locmem.SentMessage]]:
        """The locmem outbox, empty at the start of the test and emptied after it."""
        yield _reset_outbox()
        _reset_outbox()

    __all__.append("vox_outbox")
