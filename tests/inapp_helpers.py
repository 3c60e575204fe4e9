"""Shared set-up of the in-app tests: the inapp backend enabled and users
reachable in-app (the test app's user registration with the in-app mixin)."""

import pytest
from django.contrib.auth import get_user_model

from django_vox.inapp.contacts import InAppUserContacts
from django_vox.registry import objects
from tests.testapp.registrations import UserChannelsRegistration

BACKENDS = ["django_vox.backends.locmem.Backend", "django_vox.backends.inapp.Backend"]


class InAppUserRegistration(InAppUserContacts, UserChannelsRegistration):
    """The test app's users, reachable in-app too."""


@pytest.fixture
def inapp(settings):
    """The inapp backend enabled; users have in-app contacts."""
    settings.DJANGO_VOX_BACKENDS = BACKENDS
    User = get_user_model()
    original = objects[User]
    objects.add(User, InAppUserRegistration, regex=original.regex)
    try:
        yield settings
    finally:
        objects.add(User, type(original.registration), regex=original.regex)
