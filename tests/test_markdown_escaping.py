"""Data stays Markdown-inert by every way it reaches a Markdown message
(issue 34, item 5): tags printing objects, filters that mark their output
safe, joins over objects and over a string's letters; through a real send
over SMTP with the Markdown backend."""

from html import unescape

import pytest

from django_vox.models import Delivery
from django_vox.templating.engine import _TEXT_FILTERS
from tests.backends.email_helpers import parts, vox_email  # noqa: F401
from tests.testapp.models import Article, Subscriber
from tests.testapp.registrations import ArticleRegistration

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("vox_email")]

LINK = "[click](http://evil.example/)"
HEADING = "# Heading"

BODY = "\n\n".join([
    "{% for r in object.readers %}{% firstof r %}{% endfor %}",
    "{% for r in object.readers %}{% cycle r 'x' %}{% endfor %}",
    "{% blocktranslate with r=object.readers.0 %}Dear {{ r }}{% endblocktranslate %}",
    "{% blocktranslate with rs=object.readers %}To {{ rs }}{% endblocktranslate %}",
    "{{ object.readers|join:' and ' }}",
    "{{ object.readers.0.name|make_list|join:'' }}",
    "{{ object.readers.0.name|escape }}",
    "{{ object.readers.0.name|force_escape }}",
    "{{ object.readers.0.name|urlize }}",
    "{{ object.readers.0.name|urlizetrunc:40 }}",
    "{{ object.readers.0.name|linebreaks }}",
    "{{ object.readers.1.name|escape }}",
    "{% firstof object.readers.1 %}",
    "{{ object.readers.1.name|linebreaks }}",
    "end",
])


def send(smtp_server, make_template, committed, body):
    user = Subscriber.objects.create(name=LINK, email="link@example.org")
    other = Subscriber.objects.create(name=HEADING, email="heading@example.org")
    from django.contrib.auth import get_user_model

    author = get_user_model().objects.create(username="author", email="author@example.org")
    article = Article.objects.create(author=author, title="Kept")
    article.readers.add(user, other)
    make_template(Article, "published", backend="email-md", recipients="c:author",
                  subject="Hi", content=body)
    with committed():
        ArticleRegistration.published.issue(article)
    assert not Delivery.objects.filter(status=Delivery.FAILED).exists()
    [message] = smtp_server.messages
    return parts(message)["text/html"]


def test_data_stays_inert_through_tags_safe_filters_and_joins(smtp_server, make_template,
                                                              committed):
    html = send(smtp_server, make_template, committed, BODY)
    assert "evil.example/\"" not in html and "<a href" not in html, html
    assert "<h1>" not in html, html
    seen = unescape(html)  # what the reader sees: every value as typed, no escape left
    assert seen.count(LINK) == 11 and "\\" not in seen, html
    assert seen.count(HEADING) == 6, html


@pytest.mark.parametrize("name", sorted({*_TEXT_FILTERS, "add", "stringformat"} - {"safe"}))
def test_no_filter_makes_data_live(smtp_server, make_template, committed, name):
    argument = {"add": ":'x'", "cut": ":'z'", "default": ":'x'",
                "default_if_none": ":'x'", "join": ":','", "yesno": ":'a,b'",
                "stringformat": ":'s'", "slice": ":'2:'",
                **dict.fromkeys(("center", "ljust", "rjust", "truncatechars", "truncatewords",
                                 "truncatechars_html", "truncatewords_html", "wordwrap", "urlizetrunc"),
                                ":'40'")}.get(name, "")
    body = "{{ object.readers.0.name|" + name + argument + " }} {% with v=object.readers.0.name|" \
        + name + argument + " %}{{ v }}{% firstof v %}{% endwith %}"
    html = send(smtp_server, make_template, committed, body)
    assert "<a href" not in html and "<h1>" not in html, html
