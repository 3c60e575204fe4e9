"""Unsubscribe headers on real SMTP messages (aiosmtpd), and the one-click
POST a mail client would send from them."""

import re
from urllib.parse import urlsplit

import pytest
from django.test import Client

from django_vox.models import Delivery, Preference
from tests.backends.email_helpers import make_article, vox_email  # noqa: F401
from tests.testapp.models import Article, Subscriber
from tests.testapp.registrations import ArticleRegistration

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("vox_email")]


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_DOMAIN = "news.example.org"
    settings.SITE_SSL = True


@pytest.mark.parametrize("backend", ["email-html", "email-md", "email"])
def test_headers_reach_the_smtp_server(backend, smtp_server, make_template, committed):
    if backend == "email-md":
        pytest.importorskip("markdown")
    article = make_article(subscribers=2)
    content = ("{% block subject %}Hi{% endblock %}{% block text_body %}Bye: {{ unsubscribe_url }}"
               "{% endblock %}") if backend == "email" else "Bye: {{ unsubscribe_url }}"
    make_template(Article, "published", backend=backend, recipients="c:subs", subject="Hi",
                  content=content)
    with committed():
        ArticleRegistration.published.issue(article)
    assert len(smtp_server.messages) == 2
    links = set()
    for message in smtp_server.messages:
        header = message["List-Unsubscribe"].strip()  # folded after the colon
        assert re.fullmatch(r"<https://news\.example\.org/vox/unsubscribe/[^/>]+/>", header)
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert header[1:-1] in message.get_body(("plain",)).get_content()
        links.add(header)
    assert len(links) == 2  # one per recipient


def test_bulk_smtp_message_has_no_unsubscribe_header(smtp_server, make_template, committed):
    article = make_article(subscribers=2)
    make_template(Article, "published", backend="email-html", recipients="c:subs", subject="Hi",
                  content="All", bulk=True)
    with committed():
        ArticleRegistration.published.issue(article)
    [message] = smtp_server.messages
    assert message["List-Unsubscribe"] is None and message["List-Unsubscribe-Post"] is None


def test_one_click_from_the_received_header_unsubscribes(smtp_server, make_template, committed):
    article = make_article(subscribers=2)
    make_template(Article, "published", backend="email-html", recipients="c:subs", subject="Hi",
                  content="Hello")
    with committed():
        ArticleRegistration.published.issue(article)
    message = next(m for m in smtp_server.messages if m["To"] == "s1@example.org")
    url = message["List-Unsubscribe"].strip()[1:-1]
    # RFC 8058 section 3.1: POST the List-Unsubscribe-Post value as a form body to the URI.
    response = Client(enforce_csrf_checks=True).post(
        urlsplit(url).path, data=message["List-Unsubscribe-Post"],
        content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    pref = Preference.objects.get()
    assert pref.get_owner() == Subscriber.objects.get(email="s1@example.org")
    smtp_server.reset()
    with committed():
        ArticleRegistration.published.issue(article)
    assert [m["To"] for m in smtp_server.messages] == ["s0@example.org"]
    assert Delivery.objects.get(status=Delivery.SUPPRESSED).to_addresses == ["s1@example.org"]
