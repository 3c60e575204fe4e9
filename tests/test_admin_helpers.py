"""Helpers shared by the admin tests."""

from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext


def make_user(django_user_model, username, *perms, staff=True):
    """A user with the given ``app_label.codename`` permissions."""
    user = django_user_model.objects.create_user(username, f"{username}@example.org", "pw",
                                                 is_staff=staff)
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label,
                                                         codename=codename))
    return user


def signed_in(django_user_model, username, *perms):
    """A test client signed in as a new staff user with ``perms``."""
    client = Client()
    client.force_login(make_user(django_user_model, username, *perms))
    return client


def log_queries(client, url):
    """The SQL of the delivery log's queries made by a GET of ``url`` (200)."""
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return [q["sql"] for q in queries.captured_queries if "django_vox_delivery" in q["sql"]]


def inline_post(templates, initial=0, **extra):
    """POST data for the notification change form with its template inline."""
    data = {
        "templates-TOTAL_FORMS": str(len(templates)),
        "templates-INITIAL_FORMS": str(initial),
        "templates-MIN_NUM_FORMS": "0",
        "templates-MAX_NUM_FORMS": "1000",
        "_save": "Save",
    }
    for index, fields in enumerate(templates):
        for name, value in fields.items():
            key = f"templates-{index}-{name}"
            if value is True:
                data[key] = "on"
            elif value is False or value is None:
                continue
            else:
                data[key] = value
    data.update(extra)
    return data
