"""Stored message bodies need ``view_delivery_content`` (issue 34, item 2):
everyone else sees links carrying a token and the registration's secret values
masked on the delivery page and list; the stored message stays intact and a
resend sends it as it was (real SMTP)."""

import pytest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from django_vox.admin import masking
from django_vox.models import Delivery, Notification
from django_vox.registry import TemplateVariable
from django_vox.templating import rules
from tests.backends.email_helpers import vox_email  # noqa: F401
from tests.test_admin_helpers import make_user
from tests.testapp.models import Article, Subscriber
from tests.testapp.registrations import SubscriberRegistration

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("vox_email")]

CODE = "739215"
RESET = "https://news.example.org/reset/MQ/c2x9ab-3f5e9b8c0d1e2f3a4b5c/"
PLAIN = "https://news.example.org/articles/spring-news-2024/"
CONTENT = (f"Hi {{{{ recipient.name }}}}, your code is {{{{ recipient.code }}}}.\n"
           f"Reset: {RESET}\nRead: {PLAIN}\nUnsubscribe: {{{{ unsubscribe_url }}}}\n")


@pytest.fixture(autouse=True)
def _secret_variable(settings, monkeypatch):
    settings.SITE_DOMAIN = "news.example.org"
    settings.SITE_SSL = True
    variables = dict(SubscriberRegistration.template_variables,
                     code=TemplateVariable(_("login code"), lambda subscriber: CODE,
                                           secret=True))
    monkeypatch.setattr(SubscriberRegistration, "template_variables", variables)
    rules._rules.cache_clear()
    yield
    rules._rules.cache_clear()


@pytest.fixture
def delivery(make_template, committed, django_user_model, smtp_server):
    author = django_user_model.objects.create(username="ann", email="ann@example.org")
    article = Article.objects.create(author=author, title="Spring news")
    article.readers.add(Subscriber.objects.create(name="Rea", email="rea@example.org"))
    make_template(Article, "published", backend="email", recipients="c:readers",
                  subject="Code {{ recipient.code }}", content=CONTENT)
    with committed():
        Notification.objects.get_for_model(Article, "published").issue_now(article)
    row = Delivery.objects.get()
    assert row.status == Delivery.SENT and len(smtp_server.messages) == 1
    return row


def pages(client, row):
    listing = client.get(reverse("admin:django_vox_delivery_changelist")).content.decode()
    page = client.get(reverse("admin:django_vox_delivery_change", args=[row.pk]))
    return listing, page.content.decode()


def test_without_the_content_permission_bodies_are_masked(client, django_user_model, delivery):
    body = delivery.message["text"]
    unsubscribe = next(word for word in body.split() if "/unsubscribe/" in word)
    client.force_login(make_user(django_user_model, "clerk", "django_vox.view_delivery"))
    listing, page = pages(client, delivery)
    assert "rea@example.org" in listing and "Code [hidden]" in listing
    for html in (listing, page):
        assert CODE not in html
        assert "c2x9ab-3f5e9b8c0d1e2f3a4b5c" not in html and unsubscribe not in html
    assert "your code is [hidden]." in page
    assert "Reset: https://news.example.org/… [hidden]" in page
    assert f"Read: {PLAIN}" in page  # a link without a token stays
    assert "Unsubscribe: https://news.example.org/… [hidden]" in page
    assert "vox-masked-note" in page
    # Searching by the message's words is not offered either.
    search = client.get(reverse("admin:django_vox_delivery_changelist"), {"q": CODE})
    assert "0 deliveries" in search.content.decode()
    # The stored message is intact.
    delivery.refresh_from_db()
    assert f"your code is {CODE}." in delivery.message["text"]


def test_the_content_permission_shows_the_full_body(client, django_user_model, delivery):
    client.force_login(make_user(django_user_model, "reader", "django_vox.view_delivery",
                                 "django_vox.view_delivery_content"))
    listing, page = pages(client, delivery)
    assert f"Code {CODE}" in listing
    assert f"your code is {CODE}." in page and RESET in page
    assert delivery.message["text"].split("Unsubscribe: ")[1].strip() in page
    assert "vox-masked-note" not in page


def test_resend_by_a_masked_user_sends_the_original(client, django_user_model, delivery,
                                                    smtp_server):
    Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.FAILED)
    smtp_server.reset()
    client.force_login(make_user(django_user_model, "clerk", "django_vox.view_delivery",
                                 "django_vox.change_delivery"))
    response = client.post(reverse("admin:django_vox_delivery_resend", args=[delivery.pk]),
                           follow=True)
    assert "1 message resent, 0 failed." in [str(m) for m in response.context["messages"]]
    [sent] = smtp_server.messages
    text = sent.get_payload(decode=True).decode() if not sent.is_multipart() else \
        next(p for p in sent.walk() if p.get_content_type() == "text/plain").get_content()
    assert sent["Subject"] == f"Code {CODE}"
    assert f"your code is {CODE}." in text and RESET in text
    assert delivery.message["text"].split("Unsubscribe: ")[1].strip() in text


@pytest.mark.parametrize("url, hidden", [
    ("https://example.org/articles/spring-news-2024/", False),
    ("https://example.org/orders/123e4567-e89b-12d3-a456-426614174000/", False),
    ("https://example.org/page?lang=en&page=2", False),
    ("https://example.org/reset/MQ/c2x9ab-3f5e9b8c0d1e2f3a4b5c/", True),
    ("https://example.org/vox/unsubscribe/eyJvIjpbMV19:1tAbCd:Xy_z12AbC/", True),
    ("https://example.org/login?token=abc", True),
    ("https://example.org/download?sig=abc&expires=1", True),
    ("https://example.org/verify?code=482913", True),
    ("https://example.org/x?next=/a&amp;k=Zx81kq02mPl3vv", True),
])
def test_which_links_carry_a_token(url, hidden):
    assert masking.carries_token(url) is hidden
