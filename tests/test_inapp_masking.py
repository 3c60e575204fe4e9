"""In-app messages in the admin follow the delivery log's masking rule: staff
with ``view_inappmessage`` but without ``django_vox.view_delivery_content``
see the secret values the message's log row recorded and links carrying a
token as ``[hidden]`` (list, page, search, deletion pages), staff with it see
the message as sent, and the recipient's own endpoints are unchanged.  The
message is sent through the real path (an issue, the in-app backend)."""

import uuid

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from django_vox.admin import masking
from django_vox.admin.inapp import logged_secrets
from django_vox.inapp.models import InAppMessage
from django_vox.models import Delivery
from django_vox.registry import TemplateVariable
from django_vox.templating import rules
from tests.inapp_helpers import InAppUserRegistration, inapp  # noqa: F401
from tests.test_admin_helpers import log_queries, signed_in
from tests.testapp.models import Article
from tests.testapp.registrations import ArticleRegistration

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("inapp")]

CODE = "739215"
RESET = "https://news.example.org/reset/MQ/c2x9ab-3f5e9b8c0d1e2f3a4b5c/"
PLAIN = "https://news.example.org/articles/spring-news-2024/"
CLAIM = "/articles/claim/k7Hq2mZp9xW4vB3n/"  # the object's own link, relative
VIEW = "django_vox.view_inappmessage"
CONTENT = ("Your code is **{{ recipient.code }}**.\n\n"
           f"[Reset your password]({RESET})\n\n[Read it]({PLAIN})\n\n"
           "Unsubscribe: {{ unsubscribe_url }}")


@pytest.fixture(autouse=True)
def _secret_variable(settings, monkeypatch):
    settings.SITE_DOMAIN = "news.example.org"
    settings.SITE_SSL = True
    monkeypatch.setattr(InAppUserRegistration, "template_variables", dict(
        getattr(InAppUserRegistration, "template_variables", None) or {},
        code=TemplateVariable(_("login code"), lambda user: CODE, secret=True)),
        raising=False)
    monkeypatch.setattr(Article, "get_absolute_url", lambda self: CLAIM, raising=False)
    rules._rules.cache_clear()
    yield
    rules._rules.cache_clear()


@pytest.fixture
def sent(ann, make_template, committed):
    article = Article.objects.create(author=ann, title="Spring news")
    make_template(Article, "published", backend="inapp", recipients="c:author",
                  subject="Code {{ recipient.code }}", content=CONTENT)
    with committed():
        ArticleRegistration.published.issue(article)
    row = InAppMessage.objects.get()
    # What the test is about: the stored message carries the secret and the tokens.
    assert row.title == f"Code {CODE}" and f"<strong>{CODE}</strong>" in row.body
    assert RESET in row.body and "/vox/unsubscribe/" in row.body and row.link == CLAIM
    assert Delivery.objects.get().message[masking.SECRET_VALUES] == [CODE]
    return row


def _unsubscribe(row):
    return row.body.split("Unsubscribe: ")[1].split("<")[0]


def _pages(client, row):
    listing = client.get(reverse("admin:django_vox_inappmessage_changelist"))
    page = client.get(reverse("admin:django_vox_inappmessage_change", args=[row.pk]))
    assert listing.status_code == page.status_code == 200
    return listing.content.decode(), page.content.decode()


def _found(client, term):
    response = client.get(reverse("admin:django_vox_inappmessage_changelist"), {"q": term})
    return list(response.context["cl"].result_list)


def test_without_the_content_permission_the_admin_masks_it(django_user_model, sent):
    clerk = signed_in(django_user_model, "clerk", VIEW)
    listing, page = _pages(clerk, sent)
    for html in (listing, page):
        assert CODE not in html
        assert "c2x9ab-3f5e9b8c0d1e2f3a4b5c" not in html and _unsubscribe(sent) not in html
        assert "k7Hq2mZp9xW4vB3n" not in html
    assert "Code [hidden]" in listing
    assert "Code [hidden]" in page  # the field and the page's subtitle
    assert "Your code is &lt;strong&gt;[hidden]&lt;/strong&gt;." in page
    assert "https://news.example.org/… [hidden]" in page  # the reset link, the unsubscribe link
    assert PLAIN in page  # a link without a token stays
    assert "/… [hidden]" in page  # the message's own link
    assert "vox-masked-note" in page
    # Searching by what the message says finds nothing; by its user, it.
    assert _found(clerk, CODE) == [] and _found(clerk, "Code") == []
    assert _found(clerk, "ann") == [sent]
    # The stored message is intact, and so is the recipient's view of it.
    sent.refresh_from_db()
    assert sent.title == f"Code {CODE}" and RESET in sent.body


def test_the_delivery_log_masks_the_in_app_message_too(django_user_model, sent):
    """The log row of the same message, its data's relative link included."""
    delivery = Delivery.objects.get()
    url = reverse("admin:django_vox_delivery_change", args=[delivery.pk])
    clerk = signed_in(django_user_model, "clerk", "django_vox.view_delivery")
    page = clerk.get(url).content.decode()
    assert CODE not in page and "k7Hq2mZp9xW4vB3n" not in page
    assert "&quot;link&quot;: &quot;/… [hidden]&quot;" in page
    reader = signed_in(django_user_model, "reader", "django_vox.view_delivery",
                     masking.CONTENT_PERMISSION)
    assert CLAIM in reader.get(url).content.decode()


def test_the_content_permission_shows_the_message(django_user_model, sent):
    reader = signed_in(django_user_model, "reader", VIEW, masking.CONTENT_PERMISSION)
    listing, page = _pages(reader, sent)
    assert f"Code {CODE}" in listing
    assert f"&lt;strong&gt;{CODE}&lt;/strong&gt;" in page and RESET in page
    assert _unsubscribe(sent) in page and CLAIM in page
    assert "vox-masked-note" not in page
    assert _found(reader, CODE) == [sent] and _found(reader, "ann") == [sent]


def test_deleting_names_no_content(django_user_model, sent):
    """The deletion pages, their message and the admin's history name the row
    by its number: str() of an in-app message holds none of it."""
    clerk = signed_in(django_user_model, "clerk", VIEW, "django_vox.delete_inappmessage")
    changelist = reverse("admin:django_vox_inappmessage_changelist")
    pages = [clerk.post(changelist, {"action": "delete_selected",
                                     "_selected_action": [sent.pk]}),
             clerk.get(reverse("admin:django_vox_inappmessage_delete", args=[sent.pk])),
             clerk.get(reverse("admin:django_vox_inappmessage_history", args=[sent.pk]))]
    for response in pages:
        assert response.status_code == 200
        assert CODE not in response.content.decode()
    done = clerk.post(reverse("admin:django_vox_inappmessage_delete", args=[sent.pk]),
                      {"post": "yes"}, follow=True)
    assert f"in-app message {sent.pk}" in done.content.decode()
    assert CODE not in done.content.decode()
    assert not InAppMessage.objects.exists()


def test_a_message_whose_log_row_is_gone_is_hidden_whole(django_user_model, sent):
    Delivery.objects.all().delete()  # purged from the log: its secrets are not known any more
    clerk = signed_in(django_user_model, "clerk", VIEW)
    listing, page = _pages(clerk, sent)
    assert CODE not in listing and CODE not in page and "Your code" not in page
    assert "[hidden]" in listing and PLAIN not in page
    reader = signed_in(django_user_model, "reader", VIEW, masking.CONTENT_PERMISSION)
    assert f"Code {CODE}" in _pages(reader, sent)[0]


def test_the_recipient_still_reads_their_own_message(ann, sent):
    client = Client()
    client.force_login(ann)
    [item] = client.get(reverse("django_vox:inapp-messages")).json()["results"]
    assert item["title"] == f"Code {CODE}"
    assert f"<strong>{CODE}</strong>" in item["body"] and RESET in item["body"]
    assert item["link"] == CLAIM
    page = client.get(reverse("django_vox:inapp-page")).content.decode()
    assert f"Code {CODE}" in page


def test_a_page_asks_the_log_once(django_user_model, sent):
    for _number in range(3):
        InAppMessage.objects.create(user=sent.user, key=uuid.uuid4(), title="x")
    clerk = signed_in(django_user_model, "clerk", VIEW)
    assert len(log_queries(clerk, reverse("admin:django_vox_inappmessage_changelist"))) == 1
    assert len(log_queries(clerk, reverse("admin:django_vox_inappmessage_change",
                                           args=[sent.pk]))) == 1
    reader = signed_in(django_user_model, "reader", VIEW, masking.CONTENT_PERMISSION)
    assert log_queries(reader, reverse("admin:django_vox_inappmessage_changelist")) == []


def test_one_query_finds_the_secrets_of_a_page(sent, django_assert_num_queries):
    """The list asks the log once for its page's rows, however many; a row
    the log has no message for is left out (its message is hidden whole)."""
    others = [InAppMessage.objects.create(user=sent.user, key=uuid.uuid4(), title="x").key
              for _ in range(3)]
    # The log row names the message by its key, in an indexed column.
    assert Delivery.objects.get(provider_message_id=str(sent.key)).message["data"]["key"] == (
        str(sent.key))
    with django_assert_num_queries(1):
        assert logged_secrets([sent.key, *others]) == {str(sent.key): {CODE}}
    with django_assert_num_queries(0):
        assert logged_secrets([]) == {}


@pytest.mark.parametrize("link, shown", [
    ("/articles/claim/k7Hq2mZp9xW4vB3n/", "/… [hidden]"),
    ("/articles/spring-news-2024/", "/articles/spring-news-2024/"),
    # A UUID counts as a token (docs/admin.rst): often the link's only secret.
    ("/orders/3f2a1b4c-1d2e-4f3a-8b9c-0d1e2f3a4b5c/", "/… [hidden]"),
    ("https://news.example.org/login?token=abc", "https://news.example.org/… [hidden]"),
    ("//cdn.example.org/x?sig=1", "//cdn.example.org/… [hidden]"),
    ("", ""),
    ("http://[fe80::1/claim/", "[hidden]"),  # the URL parser refuses it: hidden, no error
])
def test_links_of_their_own_are_masked_by_the_token_rule(link, shown):
    assert masking.masked_link(link) == shown


def test_relative_token_links_in_html_are_masked():
    html = ('<a href="/reset/MQ/c2x9ab-3f5e9b8c0d1e2f3a4b5c/">reset</a> '
            "<img src='/a/b.png'> <a href=\"/p/?key=1\">p</a>")
    assert masking.masked_text(html) == (
        '<a href="/… [hidden]">reset</a> <img src=\'/a/b.png\'> <a href="/… [hidden]">p</a>')


def test_a_link_the_url_parser_refuses_is_hidden_not_an_error():
    assert masking.masked_text("Go to http://[fe80::1/x?a=1 now") == "Go to [hidden] now"
