"""The preferences admin: owners among registered models, found by searching;
protocols and notifications by name."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from django_vox.models import Notification, Preference
from tests.testapp.models import Article, Subscriber

pytestmark = pytest.mark.django_db

ADD = "/admin/django_vox/preference/add/"


def test_the_form_offers_registered_models_protocols_and_notifications_by_name(admin_client):
    form = admin_client.get(ADD).context["adminform"].form
    kinds = [label for _value, label in form.fields["owner_type"].choices]
    assert "Subscriber" in kinds and "Article" in kinds
    assert "Session" not in kinds and "Permission" not in kinds  # not registered
    assert ("email", "Email") in form.fields["protocol"].choices
    assert form.fields["protocol"].choices[0] == ("", "All protocols")
    notifications = [label for _value, label in form.fields["notification"].choices]
    assert "An article was published" in notifications
    html = admin_client.get(ADD).content.decode()
    assert "admin-autocomplete" in html and "django_vox/admin/preferences.js" in html


def test_owners_are_found_by_searching_the_chosen_kind(admin_client):
    ada = Subscriber.objects.create(name="Ada Lovelace", email="ada@example.org")
    url = reverse("admin:django_vox_preference_owners")
    answer = admin_client.get(url, {"app_label": "testapp", "model_name": "subscriber",
                                    "term": "lovelace"}).json()
    assert answer["results"] == [{"id": str(ada.pk), "text": "Ada Lovelace"}]
    assert admin_client.get(url, {"app_label": "sessions", "model_name": "session"}
                            ).status_code == 404
    assert admin_client.get(url, {"app_label": "nope", "model_name": "x"}).status_code == 404


def test_saving_and_listing_a_preference_in_words(admin_client):
    ada = Subscriber.objects.create(name="Ada Lovelace", email="ada@example.org")
    published = Notification.objects.get_for_model(Article, "published")
    ct = ContentType.objects.get_for_model(Subscriber)
    response = admin_client.post(ADD, {"owner_type": str(ct.pk), "owner_id": str(ada.pk),
                                       "address": "", "notification": str(published.pk),
                                       "protocol": "email", "enabled": ""})
    assert response.status_code == 302, response.context["adminform"].form.errors
    preference = Preference.objects.get()
    assert (preference.owner_type, preference.owner_id, preference.protocol) == (
        ct, str(ada.pk), "email")
    html = admin_client.get("/admin/django_vox/preference/").content.decode()
    assert "Subscriber: Ada Lovelace" in html and "An article was published" in html
    assert ">Email<" in html
    change = admin_client.get(f"/admin/django_vox/preference/{preference.pk}/change/")
    assert f'<option value="{ada.pk}" selected>Ada Lovelace</option>' in change.content.decode()
