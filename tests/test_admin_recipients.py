"""A template's recipients survive opening and saving its notification unchanged.

Regression: a template stored with two recipient keys ("c:author,c:subs") opened
with no box ticked, and saving the unchanged form erased them.
"""

import re

import pytest
from django.urls import reverse

from django_vox.models import Notification, Template
from tests.test_admin_helpers import inline_post
from tests.testapp.models import Article

pytestmark = pytest.mark.django_db

CHECKBOX = re.compile(r"<input\b[^>]*>")


def ticked_recipients(html, index=0):
    """The recipient keys whose boxes the page shows ticked for template ``index``."""
    name = f'name="templates-{index}-recipients"'
    keys = []
    for tag in CHECKBOX.findall(html):
        if name in tag and " checked" in tag:
            keys.append(re.search(r'value="([^"]*)"', tag).group(1))
    return keys


@pytest.mark.parametrize("stored", ["c:author,c:subs", "c:author, si", "c", "c:editors,c:readers,si"])
def test_stored_recipients_open_ticked_and_survive_an_unchanged_save(admin_client, stored):
    notification = Notification.objects.get_for_model(Article, "published")
    template = Template.objects.create(notification=notification, backend="locmem",
                                       recipients=stored, subject="Hi", content="Hello")
    url = reverse("admin:django_vox_notification_change", args=[notification.pk])
    expected = [key.strip() for key in stored.split(",")]

    html = admin_client.get(url).content.decode()
    assert ticked_recipients(html) == expected

    # Post back exactly what the page shows, as a browser would.
    response = admin_client.post(url, inline_post([{
        "id": str(template.pk), "notification": str(notification.pk), "backend": "locmem",
        "recipients": ticked_recipients(html), "subject": "Hi", "content": "Hello",
        "enabled": True}], initial=1))
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.get_recipient_keys() == expected


def test_unknown_stored_keys_stay_ticked_so_the_editor_can_untick_them(admin_client):
    notification = Notification.objects.get_for_model(Article, "published")
    Template.objects.create(notification=notification, backend="locmem",
                            recipients="c:author,c:gone", content="Hello")
    url = reverse("admin:django_vox_notification_change", args=[notification.pk])
    html = admin_client.get(url).content.decode()
    assert ticked_recipients(html) == ["c:author", "c:gone"]
    assert "c:gone (no longer defined)" in html
