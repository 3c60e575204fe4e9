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


def bell_page(request):
    """A page of a site with the bell in its header (for the browser tests)."""
    from django.http import HttpResponse
    from django.template import RequestContext, Template

    page = Template(
        "{% load vox_inapp %}<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<title>Site</title></head><body><header style='display:flex;justify-content:"
        "space-between;align-items:center;padding:.5rem 1rem;border-bottom:1px solid #ddd;"
        "font-family:sans-serif'><strong>The site</strong>{% vox_bell %}</header>"
        "<main style='padding:1rem;font-family:sans-serif'>Content</main></body></html>")
    return HttpResponse(page.render(RequestContext(request)))
