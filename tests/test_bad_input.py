"""Bad input answers with a form error or a 404, never a 500 (issue 34, item 7):
a preference's owner id that is no key, a scoped IPv6 webhook address on the
site-contact form, and a (connect, total) DJANGO_VOX_HTTP_TIMEOUT that passes
the check and then sends (pytest-httpserver).  The one-time preview's ids and
content types are in tests/test_admin_reach.py."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from django_vox import checks
from django_vox.backends.json_webhook import Backend
from django_vox.exceptions import InvalidAddress, TransientSendError
from django_vox.http import validate_url
from django_vox.models import Preference, SiteContact
from tests.backends.helpers import settle, slow_handler
from tests.testapp.models import Subscriber

WEBHOOK = ["django_vox.backends.json_webhook.Backend"]


@pytest.fixture
def subscriber(db):
    return Subscriber.objects.create(name="Sam", email="sam@example.org")


def preference_post(owner_id):
    return {"owner_type": ContentType.objects.get_for_model(Subscriber).pk,
            "owner_id": owner_id, "address": "", "protocol": "", "enabled": "on"}


@pytest.mark.parametrize("owner_id, says", [
    ("abc", "is not an id"), ("99999999999999999999999", "is not an id"),
    ("12345", "There is no subscriber 12345"),
])
def test_a_preference_owner_id_that_is_no_key_is_a_form_error(admin_client, subscriber,
                                                              owner_id, says):
    response = admin_client.post(reverse("admin:django_vox_preference_add"),
                                 preference_post(owner_id))
    assert response.status_code == 200
    assert says in str(response.context["adminform"].form.errors["owner_id"])
    assert not Preference.objects.exists()
    response = admin_client.post(reverse("admin:django_vox_preference_add"),
                                 preference_post(str(subscriber.pk)))
    assert response.status_code == 302 and Preference.objects.get().get_owner() == subscriber


def test_a_stored_preference_with_a_bad_owner_id_does_not_break_the_list(admin_client,
                                                                          subscriber):
    kind = ContentType.objects.get_for_model(Subscriber)
    bad = Preference.objects.create(owner_type=kind, owner_id="abc", enabled=False)
    Preference.objects.create(owner_type=kind, owner_id=str(subscriber.pk), enabled=False)
    response = admin_client.get(reverse("admin:django_vox_preference_changelist"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Subscriber #abc" in html and "Subscriber: Sam" in html
    assert bad.get_owner() is None
    assert admin_client.get(reverse("admin:django_vox_preference_change",
                                    args=[bad.pk])).status_code == 200


@pytest.mark.parametrize("address", ["http://[fe80::1%25lo]/", "http://[fe80::1%eth0]/hook"])
def test_a_scoped_ipv6_webhook_address_is_a_form_error(admin_client, settings, address):
    settings.DJANGO_VOX_BACKENDS = WEBHOOK
    response = admin_client.post(reverse("admin:django_vox_sitecontact_add"), {
        "name": "hook", "protocol": "json-webhook", "address": address})
    assert response.status_code == 200
    errors = str(response.context["adminform"].form.errors["address"])
    assert "IPv6 address with a zone" in errors
    assert not SiteContact.objects.exists()
    with pytest.raises(InvalidAddress, match="zone"):
        validate_url(address)


def test_a_connect_total_timeout_pair_passes_the_check_and_sends(settings, httpserver):
    settings.DJANGO_VOX_HTTP_TIMEOUT = (2, 3)
    assert [m.id for m in checks.check_settings()] == []
    httpserver.expect_request("/hook", method="POST", json={"a": "b"}).respond_with_data("ok")
    Backend().send(httpserver.url_for("/hook"), Backend().build_message("", "a: b", {}))
    httpserver.check_assertions()
    assert len(httpserver.log) == 1


def test_the_total_of_a_timeout_pair_is_the_deadline(settings, httpserver):
    settings.DJANGO_VOX_HTTP_TIMEOUT = (5, 0.3)
    httpserver.expect_request("/slow").respond_with_handler(slow_handler(1))
    with pytest.raises(TransientSendError, match="5s to connect or 0.3s in all"):
        Backend().send(httpserver.url_for("/slow"), Backend().build_message("", "a: b", {}))
    settle(httpserver)


def test_request_timeouts_reads_both_forms():
    from django_vox.http import request_timeouts

    assert request_timeouts((2, 3)) == (2.0, 3.0) and request_timeouts(5) == (5.0, 5.0)
