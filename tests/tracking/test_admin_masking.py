"""What providers report can echo the message (Postmark's bounces carry its
``Subject`` and ``Content``, a click the link clicked), so the events' admin
and a delivery's timeline follow the delivery log's masking rule: staff
without ``django_vox.view_delivery_content`` see the echoed content hidden,
the message's secret values and links carrying a token masked, and cannot
search events by description; staff with it see what the provider sent.

The message goes out over real SMTP; the events come through the Postmark
webhook with its credentials."""

import pytest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from django_vox.admin import masking
from django_vox.models import Delivery, DeliveryEvent, Notification
from django_vox.registry import TemplateVariable
from django_vox.templating import rules
from tests.backends.email_helpers import vox_email  # noqa: F401
from tests.test_admin_helpers import signed_in
from tests.testapp.models import Article, Subscriber
from tests.testapp.registrations import SubscriberRegistration
from tests.tracking import helpers

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("vox_email")]

CODE = "739215"
VIEW = ("django_vox.view_deliveryevent", "django_vox.view_delivery")


@pytest.fixture(autouse=True)
def _setup(settings, monkeypatch):
    settings.SITE_DOMAIN = "news.example.org"
    settings.SITE_SSL = True
    settings.DJANGO_VOX_POSTMARK_WEBHOOK_CREDENTIALS = helpers.POSTMARK_CREDENTIALS
    monkeypatch.setattr(SubscriberRegistration, "template_variables", dict(
        SubscriberRegistration.template_variables,
        code=TemplateVariable(_("login code"), lambda subscriber: CODE, secret=True)))
    rules._rules.cache_clear()
    yield
    rules._rules.cache_clear()


@pytest.fixture
def reported(make_template, committed, django_user_model, smtp_server, client):
    """A message with a secret and an unsubscribe link, bounced once and its
    unsubscribe link clicked, as Postmark reports them."""
    author = django_user_model.objects.create(username="ann", email="ann@example.org")
    article = Article.objects.create(author=author, title="Spring news")
    article.readers.add(Subscriber.objects.create(name="Rea", email="rea@example.org"))
    make_template(Article, "published", backend="email", recipients="c:readers",
                  subject="Code {{ recipient.code }}",
                  content="Your code is {{ recipient.code }}.\n"
                          "Unsubscribe: {{ unsubscribe_url }}\n")
    with committed():
        Notification.objects.get_for_model(Article, "published").issue_now(article)
    row = Delivery.objects.get()
    assert row.provider_message_id and len(smtp_server.messages) == 1
    link = next(word for word in row.message["text"].split() if "/unsubscribe/" in word)
    bounce = {"RecordType": "Bounce", "ID": 4001, "Type": "SoftBounce", "TypeCode": 4096,
              "MessageID": row.provider_message_id, "Email": "rea@example.org",
              "Description": "The server could not temporarily deliver your message.",
              "Details": f"smtp;452 4.2.2 Mailbox full (Code {CODE})",
              "BouncedAt": "2026-12-07T10:05:00Z",
              "Subject": f"Code {CODE}", "DumpAvailable": True,
              "Content": f"Subject: Code {CODE}\r\n\r\nYour code is {CODE}.\r\n"
                         f"Unsubscribe: {link}\r\n"}
    click = {"RecordType": "Click", "ClickLocation": "Text", "OriginalLink": link,
             "MessageID": row.provider_message_id, "ReceivedAt": "2026-12-07T10:06:00Z",
             "Recipient": "rea@example.org"}
    for payload in (bounce, click):
        assert helpers.post_postmark(client, payload).status_code == 200
    events = {event.kind: event for event in DeliveryEvent.objects.all()}
    assert set(events) == {"soft_bounced", "clicked"}
    assert events["clicked"].description == f"Clicked {link}"
    return row, link, events


def _pages(client, row, events):
    urls = [reverse("admin:django_vox_deliveryevent_changelist"),
            reverse("admin:django_vox_delivery_change", args=[row.pk]),
            *(reverse("admin:django_vox_deliveryevent_change", args=[event.pk])
              for event in events.values())]
    responses = [client.get(url) for url in urls]
    assert [r.status_code for r in responses] == [200] * len(urls)
    return [r.content.decode() for r in responses]


def _found(client, term):
    response = client.get(reverse("admin:django_vox_deliveryevent_changelist"), {"q": term})
    return list(response.context["cl"].result_list)


def test_without_the_content_permission_events_are_masked(django_user_model, reported):
    row, link, events = reported
    token = link.rstrip("/").rsplit("/", 1)[1]
    # A server's reply quoting the subject (the secret comes from the delivery).
    DeliveryEvent.objects.filter(kind="soft_bounced").update(
        description=f"Mailbox full, refused: Code {CODE}")
    clerk = signed_in(django_user_model, "clerk", *VIEW)
    listing, delivery_page, *event_pages = _pages(clerk, row, events)
    for html in (listing, delivery_page, *event_pages):
        assert CODE not in html and token not in html
    assert "Clicked https://news.example.org/… [hidden]" in listing
    assert "Clicked https://news.example.org/… [hidden]" in delivery_page  # the timeline
    for html in (listing, delivery_page):
        assert "Mailbox full, refused: Code [hidden]" in html
    bounce = next(page for page in event_pages if "SoftBounce" in page)
    # Postmark's echo of the message is hidden whole; what the server said stays.
    assert "&quot;Subject&quot;: &quot;[hidden]&quot;" in bounce
    assert "&quot;Content&quot;: &quot;[hidden]&quot;" in bounce
    assert "smtp;452 4.2.2 Mailbox full (Code [hidden])" in bounce
    assert "Mailbox full, refused: Code [hidden]" in bounce
    # The description is not searched; the address and the message id are.
    assert _found(clerk, token) == [] and _found(clerk, "Clicked") == []
    assert len(_found(clerk, "rea@example.org")) == 2
    # What was stored is unchanged.
    assert DeliveryEvent.objects.get(kind="clicked").payload["OriginalLink"] == link


def test_the_content_permission_shows_what_the_provider_sent(django_user_model, reported):
    row, link, events = reported
    reader = signed_in(django_user_model, "reader", *VIEW, masking.CONTENT_PERMISSION)
    listing, delivery_page, *event_pages = _pages(reader, row, events)
    assert f"Clicked {link}" in listing and f"Clicked {link}" in delivery_page
    bounce = next(page for page in event_pages if "SoftBounce" in page)
    assert f"Code {CODE}" in bounce
    assert _found(reader, "Clicked") == [events["clicked"]]


@pytest.mark.parametrize("payload, shown", [
    ({"RecordType": "Bounce", "Subject": "Code 1", "Content": "raw", "Details": "550 x"},
     {"RecordType": "Bounce", "Subject": "[hidden]", "Content": "[hidden]",
      "Details": "550 x"}),
    # Mailgun's event data: the headers hidden, the signature too; the rest kept.
    ({"event-data": {"event": "failed", "message": {"headers": {"subject": "Hi"}, "size": 9},
                     "delivery-status": {"message": "5.1.1 No such user"}},
      "signature": {"token": "t", "signature": "s"}},
     {"event-data": {"event": "failed", "message": {"headers": "[hidden]", "size": 9},
                     "delivery-status": {"message": "5.1.1 No such user"}},
      "signature": "[hidden]"}),
    ({"url": "https://example.org/vox/unsubscribe/eyJvIjpbMV19:1tAbCd:Xy_z12AbC/",
      "note": "code 739215"},
     {"url": "https://example.org/… [hidden]", "note": "code [hidden]"}),
    # A payload cut to the limit, or kept as text, cannot be taken apart.
    ({"truncated": True, "length": 20000, "text": "{\"Content\": ..."},
     {"truncated": True, "length": 20000, "text": "[hidden]"}),
    ("<AnymailTrackingEvent ...>", "[hidden]"),
    ({"Subject": "", "Content": None}, {"Subject": "", "Content": None}),
])
def test_payloads_hide_what_echoes_the_message(payload, shown):
    assert masking.masked_payload(payload, [CODE]) == shown
