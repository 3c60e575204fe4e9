"""Stored activities and inbox items are listed, read-only, in the admin."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from django_vox.models import Activity, InboxItem

pytestmark = pytest.mark.django_db


@pytest.fixture
def activity():
    user = get_user_model().objects.create(username="ann")
    act = Activity.objects.create(type="Create", summary="Hello there",
                                  actor_iri="https://example.org/users/ann/")
    InboxItem.objects.create(activity=act, owner_iri="https://example.org/users/ann/",
                             owner_type=ContentType.objects.get_for_model(user),
                             owner_id=str(user.pk))
    return act


def test_activity_changelist_and_readonly_detail(admin_client, activity):
    response = admin_client.get(reverse("admin:django_vox_activity_changelist"))
    assert response.status_code == 200
    assert "Hello there" in response.content.decode()
    response = admin_client.get(reverse("admin:django_vox_activity_change", args=[activity.pk]))
    assert response.status_code == 200
    assert 'name="summary"' not in response.content.decode()  # read-only
    assert admin_client.get(reverse("admin:django_vox_activity_add")).status_code == 403


def test_inbox_items_listed(admin_client, activity):
    response = admin_client.get(reverse("admin:django_vox_inboxitem_changelist"))
    assert response.status_code == 200
    assert "https://example.org/users/ann/" in response.content.decode()
