"""The delivery log in words, a delivery's own page and its Resend button."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse

from django_vox.backends import locmem
from django_vox.models import Delivery, Notification
from tests.test_admin_helpers import make_user
from tests.testapp.models import Article

pytestmark = pytest.mark.django_db


@pytest.fixture
def failed(django_user_model):
    author = django_user_model.objects.create(username="ann", email="ann@example.org")
    article = Article.objects.create(author=author, title="Spring news")
    return Delivery.objects.create(
        notification=Notification.objects.get_for_model(Article, "published"),
        object_type=ContentType.objects.get_for_model(Article), object_id=str(article.pk),
        backend="locmem", protocol="email", to_addresses=["ann@example.org"],
        status=Delivery.FAILED, attempts=2, error="550 mailbox unavailable",
        message={"subject": "News: Spring news", "text": "Dear Ann",
                 "html": "<p>Dear <b>Ann</b></p>", "attachments": []})


def test_the_log_shows_subject_names_and_words(admin_client, failed):
    response = admin_client.get(reverse("admin:django_vox_delivery_changelist"))
    html = response.content.decode()
    for words in ("News: Spring news", "An article was published", "In-memory (tests)",
                  "ann@example.org", "Failed after 2 attempts<br><span class=\"quiet\">550 mailbox unavailable", "Delivery log",
                  "1 delivery"):
        assert words in html, words
    assert '["ann@example.org"]' not in html  # no JSON list
    # The filters name backends and protocols too.
    assert ">In-memory (tests)</a>" in html and ">Email</a>" in html


def test_a_delivery_page_shows_the_message_and_resends_it(admin_client, failed):
    url = reverse("admin:django_vox_delivery_change", args=[failed.pk])
    html = admin_client.get(url).content.decode()
    assert 'class="vox-delivery-html" sandbox=""' in html
    assert "srcdoc=\"&lt;p&gt;Dear &lt;b&gt;Ann&lt;/b&gt;&lt;/p&gt;\"" in html
    assert "Spring news" in html and "Article: Spring news" in html
    assert 'name="_save"' not in html  # a record, not a form
    resend = reverse("admin:django_vox_delivery_resend", args=[failed.pk])
    assert resend in html
    assert admin_client.get(resend).status_code == 405
    response = admin_client.post(resend, follow=True)
    assert "1 message resent, 0 failed." in [str(m) for m in response.context["messages"]]
    assert [(m.to, m.subject) for m in locmem.outbox] == [(["ann@example.org"],
                                                          "News: Spring news")]
    failed.refresh_from_db()
    assert failed.status == Delivery.SENT
    # A sent delivery has no Resend button.
    assert resend not in admin_client.get(url).content.decode()


def test_resend_needs_the_change_permission_and_csrf(django_user_model, failed):
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user(django_user_model, "viewer", "django_vox.view_delivery"))
    resend = reverse("admin:django_vox_delivery_resend", args=[failed.pk])
    assert resend not in client.get(
        reverse("admin:django_vox_delivery_change", args=[failed.pk])).content.decode()
    assert client.post(resend).status_code == 403
    client.force_login(make_user(django_user_model, "resender", "django_vox.view_delivery",
                                 "django_vox.change_delivery"))
    assert client.post(resend).status_code == 403  # no CSRF token
    assert not locmem.outbox


def test_the_log_is_searched_by_subject(admin_client, failed):
    url = reverse("admin:django_vox_delivery_changelist")
    assert list(admin_client.get(url, {"q": "spring"}).context["cl"].result_list) == [failed]
    assert list(admin_client.get(url, {"q": "autumn"}).context["cl"].result_list) == []


def test_the_log_is_filtered_by_the_backends_and_protocols_it_uses(admin_client, failed):
    other = Delivery.objects.create(backend="gone", protocol="sms", to_addresses=["+15551234567"],
                                    status=Delivery.SENT, message={"text": "Hi"})
    Delivery.objects.create(backend="locmem", protocol="", to_addresses=["x"],
                            status=Delivery.SENT, message={"text": "Hi"})
    url = reverse("admin:django_vox_delivery_changelist")
    context = admin_client.get(url).context
    choices = {spec.title: [(key, str(name)) for key, name in spec.lookup_choices]
               for spec in context["cl"].filter_specs if hasattr(spec, "lookup_choices")}
    # Named and sorted by name; an empty protocol is no choice.
    assert choices["backend"] == [("locmem", "In-memory (tests)"), ("gone", "gone (not enabled)")]
    assert choices["protocol"] == [("email", "Email"), ("sms", "Text message (SMS)")]
    found = [list(admin_client.get(url, query).context["cl"].result_list)
             for query in ({"backend": "gone"}, {"protocol": "email"})]
    assert found == [[other], [failed]]
