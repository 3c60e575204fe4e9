"""Pages that answered 500 or said more than the docs (issue 19): the
logged-in preferences page with the activity backend, the unsubscribe pages'
link, the admin's preview and issue pages for a key that is not a number."""

import pytest
from django.test import Client
from django.urls import reverse

from django_vox import preferences
from django_vox.models import Notification
from tests.test_preferences_views import reader  # noqa: F401 - a fixture used below
from tests.testapp.models import Article, Subscriber

pytestmark = pytest.mark.django_db


def test_logged_in_preferences_page_with_the_activity_backend(reader, activity_settings):  # noqa: F811
    client = Client()
    client.force_login(reader)  # request.user is a SimpleLazyObject
    response = client.get(reverse("django_vox:preferences"))
    assert response.status_code == 200
    assert b'name="on"' in response.content
    owner = preferences.Owner.of_instance(response.wsgi_request.user)
    assert type(owner.instance) is type(reader) and owner.object_id == str(reader.pk)


@pytest.mark.parametrize("method", ["get", "post"])
def test_unsubscribe_pages_do_not_open_the_signed_preferences_page(method):
    sub = Subscriber.objects.create(name="Sam", email="sam@example.org")
    published = Notification.objects.get_for_model(Article, "published")
    token = preferences.make_unsubscribe_token(preferences.Owner.of_instance(sub), published,
                                               "email")
    response = getattr(Client(), method)(reverse("django_vox:unsubscribe", args=[token]))
    html = response.content.decode()
    assert response.status_code == 200
    signed_prefix = reverse("django_vox:preferences-signed", args=["x"]).rsplit("x", 1)[0]
    assert f'href="{reverse("django_vox:preferences")}"' in html
    assert signed_prefix + "." not in html and "preferences/ey" not in html
    assert "sign in" in html
    # The page it links to asks for a login.
    assert Client().get(reverse("django_vox:preferences")).status_code == 302


@pytest.mark.parametrize("page", ["preview", "issue", "change"])
def test_admin_pages_for_a_key_that_is_not_a_number_are_404(admin_client, page):
    url = reverse("admin:django_vox_notification_changelist") + f"abc/{page}/"
    response = (admin_client.post(url, {"backend": "locmem", "content": "x"}) if page == "preview"
                else admin_client.get(url))
    assert response.status_code in ((404,) if page != "change" else (302, 404))
