"""Fixtures shared by the activity tests (import them into the test module)."""

import pytest
from django.contrib.auth import get_user_model

from django_vox.registry import objects

ACTIVITY_BACKEND = "django_vox.backends.activity.Backend"
User = get_user_model()


@pytest.fixture
def activity_settings(settings):
    """The activity backend enabled, IRIs on https://example.org/."""
    settings.SITE_DOMAIN = "example.org"
    settings.DJANGO_VOX_BACKENDS = [*settings.DJANGO_VOX_BACKENDS, ACTIVITY_BACKEND]
    return settings


@pytest.fixture
def user_inboxes():
    """Users opt in to the HTTP inbox (the test app's registration does not)."""
    original = objects[User]
    base = type(original.registration)

    class InboxUserRegistration(base):
        def has_activity_endpoint(self, instance):
            return True

    objects.add(User, InboxUserRegistration, regex=original.regex)
    yield
    objects.add(User, base, regex=original.regex)


@pytest.fixture
def ann(db):
    return User.objects.create(username="ann", email="ann@example.org")


@pytest.fixture
def bob(db):
    return User.objects.create(username="bob", email="bob@example.org")
