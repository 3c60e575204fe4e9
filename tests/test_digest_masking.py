"""A digest's log row records the secret values it carries, as an ordinary
delivery's does: staff without ``view_delivery_content`` see them masked on
the digest's page and in the list, staff with it see them, and a resend sends
the original (real SMTP).

Three kinds of secret reach a digest: those its items rendered when they were
held (``pin``, in each item's own text), those the digest's own subject and
content render from the recipient (``code``), and those the digest's content
renders from an item's variables when it is closed (``ticket``).

The editor's previews (of a template and of its digest) with real objects do
not show secret values to an editor without the permission either."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from django_vox.admin import masking
from django_vox.digests import closing as digests
from django_vox.models import Delivery, Notification, Template
from django_vox.registry import TemplateVariable
from django_vox.templating import rules
from tests.backends.email_helpers import parts, vox_email  # noqa: F401
from tests.test_admin_helpers import make_user
from tests.testapp.models import Article, Subscriber
from tests.testapp.registrations import ArticleRegistration, SubscriberRegistration

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("vox_email")]


def pin(article):
    return f"pin{article.pk}x93"


def ticket(article):
    return f"tkt{article.pk}q58"


def code(subscriber):
    return f"code{subscriber.pk}z41"


@pytest.fixture(autouse=True)
def _secret_variables(settings, monkeypatch):
    settings.SITE_DOMAIN = "news.example.org"
    monkeypatch.setattr(SubscriberRegistration, "template_variables", dict(
        SubscriberRegistration.template_variables,
        code=TemplateVariable(_("login code"), code, secret=True)))
    monkeypatch.setattr(ArticleRegistration, "template_variables", dict(
        getattr(ArticleRegistration, "template_variables", None) or {},
        pin=TemplateVariable(_("pin"), pin, secret=True),
        ticket=TemplateVariable(_("ticket"), ticket, secret=True)))
    rules._rules.cache_clear()
    yield
    rules._rules.cache_clear()


@pytest.fixture
def digest(make_template, committed, django_user_model, smtp_server):
    """The digest of two articles sent to one subscriber, and its articles."""
    reader = Subscriber.objects.create(name="Rea", email="rea@example.org")
    make_template(Article, "published", backend="email-html", recipients="c:subs",
                  subject="New: {{ object.title }}",
                  content="<p>Read {{ object.title }} with pin {{ object.pin }}</p>",
                  delivery_mode=Template.DIGEST, digest_window=Template.HOURLY,
                  digest_subject="{{ count }} for {{ recipient.name }}, code {{ recipient.code }}",
                  digest_content=("<p>Your code: {{ recipient.code }}</p>{% digest_items %}"
                                  "{% for item in items %}<p>ticket {{ item.object.ticket }}"
                                  "</p>{% endfor %}"))
    author = django_user_model.objects.create(username="ann", email="ann@example.org")
    articles = [Article.objects.create(author=author, title=title) for title in ("Alpha", "Beta")]
    for article in articles:
        with committed():
            ArticleRegistration.published.issue(article)
    assert Delivery.objects.filter(status=Delivery.HELD).count() == 2
    run = digests.send_digests(timezone.now() + dt.timedelta(hours=2))
    assert (run.digests, run.sent) == (1, 1) and len(smtp_server.messages) == 1
    row = Delivery.objects.filter(digest_items__isnull=False).distinct().get()
    return row, reader, articles


def secrets_of(reader, articles):
    return [code(reader)] + [pin(a) for a in articles] + [ticket(a) for a in articles]


def pages(client, row):
    listing = client.get(reverse("admin:django_vox_delivery_changelist")).content.decode()
    page = client.get(reverse("admin:django_vox_delivery_change", args=[row.pk]))
    return listing, page.content.decode()


def test_the_digest_row_records_every_secret_it_carries(digest):
    row, reader, articles = digest
    assert sorted(row.message[masking.SECRET_VALUES]) == sorted(secrets_of(reader, articles))
    for value in secrets_of(reader, articles):  # the stored message is the original
        assert value in row.message["html"]


def test_without_the_content_permission_a_digest_is_masked(client, django_user_model, digest):
    row, reader, articles = digest
    client.force_login(make_user(django_user_model, "clerk", "django_vox.view_delivery"))
    listing, page = pages(client, row)
    assert "2 for Rea, code [hidden]" in listing
    for html in (listing, page):
        for value in secrets_of(reader, articles):
            assert value not in html
    assert "vox-masked-note" in page
    assert "Your code: [hidden]" in page and "ticket [hidden]" in page
    assert "with pin [hidden]" in page
    # An item's own page (sent in the digest) is masked as well.
    item = row.digest_items.order_by("created_at").first()
    item_page = client.get(reverse("admin:django_vox_delivery_change", args=[item.pk]))
    assert pin(articles[0]) not in item_page.content.decode()
    assert "with pin [hidden]" in item_page.content.decode()


def test_the_content_permission_shows_the_digest(client, django_user_model, digest):
    row, reader, articles = digest
    client.force_login(make_user(django_user_model, "reader", "django_vox.view_delivery",
                                 "django_vox.view_delivery_content"))
    listing, page = pages(client, row)
    assert f"2 for Rea, code {code(reader)}" in listing
    for value in secrets_of(reader, articles):
        assert value in page
    assert "vox-masked-note" not in page


def test_resend_of_a_digest_by_a_masked_user_sends_the_original(client, django_user_model,
                                                                digest, smtp_server):
    row, reader, articles = digest
    Delivery.objects.filter(pk=row.pk).update(status=Delivery.FAILED)
    smtp_server.reset()
    client.force_login(make_user(django_user_model, "clerk", "django_vox.view_delivery",
                                 "django_vox.change_delivery"))
    response = client.post(reverse("admin:django_vox_delivery_resend", args=[row.pk]),
                           follow=True)
    assert "1 message resent, 0 failed." in [str(m) for m in response.context["messages"]]
    [sent] = smtp_server.messages
    assert sent["To"] == "rea@example.org"
    assert sent["Subject"] == f"2 for Rea, code {code(reader)}"
    html = parts(sent)["text/html"]
    for value in secrets_of(reader, articles):
        assert value in html
    assert masking.SECRET_VALUES not in html and "[hidden]" not in html


@pytest.mark.parametrize("digest_preview", ["", "1"])
@pytest.mark.parametrize("may_read", [False, True])
def test_previews_show_secrets_only_to_those_who_may_read_them(client, django_user_model, ann,
                                                              digest_preview, may_read):
    reader = Subscriber.objects.create(name="Rea", email="rea@example.org")
    article = Article.objects.create(author=ann, title="Alpha")
    perms = ["django_vox.view_notification", "django_vox.change_notification",
             "testapp.view_article", "testapp.view_subscriber"]
    client.force_login(make_user(django_user_model, "ed", *perms, *(
        ["django_vox.view_delivery_content"] if may_read else [])))
    published = Notification.objects.get_for_model(Article, "published")
    url = reverse("admin:django_vox_notification_preview", args=[published.pk])
    answer = client.post(url, {
        "backend": "email-html", "digest": digest_preview, "recipients": ["c:subs"],
        "subject": "S", "content": "<p>pin {{ object.pin }}, code {{ recipient.code }}</p>",
        "digest_content": "<p>digest code {{ recipient.code }}</p>{% digest_items %}"}).json()
    assert answer["sample"]["object"]["id"] == str(article.pk)  # a real object, not made up
    html = answer["html"]
    for value in (pin(article), code(reader)):
        assert (value in html) is may_read
    if not may_read:
        assert "pin [hidden], code [hidden]" in html
    if digest_preview and not may_read:
        assert "digest code [hidden]" in html
