"""The in-app backend: what it stores, how it renders, preferences and fan-out."""

import uuid

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from django_vox.backends.inapp import Backend
from django_vox.exceptions import InvalidAddress
from django_vox.inapp.models import InAppMessage
from django_vox.models import Delivery, Notification, Preference
from tests.inapp_helpers import inapp  # noqa: F401
from tests.testapp.models import Article
from tests.testapp.registrations import ArticleRegistration

pytestmark = [pytest.mark.usefixtures("inapp")]
User = get_user_model()


def _build(body, subject="Hi", **parameters):
    return Backend().build_message(subject, body, parameters)


def test_user_data_is_escaped_and_cannot_add_markup():
    message = _build("Hello **{{ name }}** [x]({{ url }})",
                     name="<script>alert(1)</script> *em* [a](http://evil)",
                     url="javascript:alert(1)")
    assert "<script>" not in message.html
    assert "&lt;script&gt;" in message.html
    assert "<em>" not in message.html and '<a href="http://evil"' not in message.html
    assert "href" not in message.html  # the link to a user's javascript: URL is dropped
    assert "<strong>" in message.html


@pytest.mark.parametrize("url", ["javascript:alert(1)", "java\tscript:alert(1)",
                                 " javascript:alert(1)", "javascript&#58;alert(1)",
                                 "JAVASCRIPT:alert(1)", "data:text/html,<b>x</b>",
                                 "vbscript:msgbox(1)"])
def test_the_editors_links_keep_only_harmless_schemes(url):
    message = _build(f"[click]({url}) ![img]({url})")
    assert "href" not in message.html and "src" not in message.html
    assert "click" in message.html


@pytest.mark.parametrize("url", ["https://example.org/a?b=1", "/articles/1/", "mailto:a@b.org",
                                 "#top"])
def test_harmless_links_stay(url):
    assert 'href="' in _build(f"[click]({url})").html


def test_the_editors_raw_html_is_shown_as_text():
    message = _build('<script>alert(1)</script>\n\nText <img src=x onerror="alert(1)">')
    assert "<script>" not in message.html and "<img" not in message.html
    assert "&lt;script&gt;" in message.html and "&lt;img" in message.html


def test_without_markdown_the_body_is_escaped_text_with_line_breaks(monkeypatch):
    from django_vox.inapp import markup

    monkeypatch.setattr(markup, "markdown_available", lambda: False)
    message = _build("Line **one** {{ name }}\nline two", name="<b>Ann</b>")
    assert message.html == "<p>Line **one** &lt;b&gt;Ann&lt;/b&gt;<br>line two</p>"


def test_title_is_one_line_and_capped():
    message = _build("x", subject="A {{ name }}\nB" + "y" * 300, name="Ann")
    assert "\n" not in message.subject and len(message.subject) == 255


@pytest.mark.django_db
def test_an_issue_stores_one_row_per_user_with_the_references(ann, bob, make_template,
                                                               committed):
    article = Article.objects.create(author=ann, title="Spring *news*")
    article.editors.add(bob)
    make_template(Article, "edited", backend="inapp", recipients="c:author,c:editors",
                  subject="{{ actor.username }} edited {{ object.title }}",
                  content="Dear {{ recipient.username }}, **see** it.")
    with committed():
        ArticleRegistration.edited.issue(article, actor=bob)
    rows = {row.user: row for row in InAppMessage.objects.all()}
    assert set(rows) == {ann, bob}
    row = rows[ann]
    assert row.title == "bob edited Spring *news*"
    assert row.body == "<p>Dear ann, <strong>see</strong> it.</p>"
    assert (row.object, row.actor, row.target) == (article, bob, None)
    assert row.notification == Notification.objects.get_for_model(Article, "edited")
    assert row.state == "unseen" and row.link == ""
    assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.SENT}


@pytest.mark.django_db
def test_a_preference_turning_in_app_off_means_no_row(ann, bob, make_template, committed):
    from django.contrib.contenttypes.models import ContentType

    article = Article.objects.create(author=ann, title="Hello")
    article.editors.add(bob)
    notification = Notification.objects.get_for_model(Article, "published")
    make_template(Article, "published", backend="inapp", recipients="c:author,c:editors",
                  subject="New", content="x")
    Preference.objects.create(owner_type=ContentType.objects.get_for_model(User),
                              owner_id=str(ann.pk), notification=notification,
                              protocol="inapp", enabled=False)
    with committed():
        ArticleRegistration.published.issue(article)
    assert list(InAppMessage.objects.values_list("user", flat=True)) == [bob.pk]
    suppressed = Delivery.objects.get(status=Delivery.SUPPRESSED)
    assert suppressed.to_addresses == [str(ann.pk)]


@pytest.mark.django_db
def test_unknown_and_malformed_addresses_fail_alone(ann):
    backend = Backend()
    message = _build("x")
    results = backend.send_many([(str(ann.pk), message), ("999999", message),
                                 ("not-a-pk", message)])
    assert results[0] == message.data["key"]  # stored: its key is the provider message id
    assert isinstance(results[1], InvalidAddress) and "no user" in str(results[1])
    assert isinstance(results[2], InvalidAddress) and "'not-a-pk'" in str(results[2])
    assert InAppMessage.objects.get().user == ann


@pytest.mark.django_db
def test_sending_the_same_message_again_stores_nothing_twice(ann):
    message = _build("x")
    Backend().send(str(ann.pk), message)
    Backend().send(str(ann.pk), message)  # a resend of the logged message
    Backend().send(str(ann.pk), _build("x"))  # another message
    assert InAppMessage.objects.count() == 2


@pytest.mark.django_db
def test_a_message_not_built_by_this_backend_is_refused(ann):
    from django_vox.messages import Message

    [error] = Backend().send_many([(str(ann.pk), Message(subject="x", data={}))])
    assert "in-app key" in str(error)


def _fan_out(n, make_template, committed, prefix):
    """Issue to ``n`` + 1 users (the author and ``n`` editors); the queries it took."""
    User.objects.bulk_create(User(username=f"{prefix}{i}") for i in range(n))
    author = User.objects.create(username=f"{prefix}-author")
    article = Article.objects.create(author=author, title="Big news")
    article.editors.add(*User.objects.filter(username__startswith=prefix))
    InAppMessage.objects.all().delete()
    with CaptureQueriesContext(connection) as queries, committed():
        ArticleRegistration.published.issue(article)
    assert InAppMessage.objects.count() == n + 1
    return len(queries.captured_queries)


@pytest.mark.django_db
def test_fan_out_to_ten_thousand_users_in_constant_queries(make_template, committed, settings):
    settings.DJANGO_VOX_BATCH_SIZE = 20_000  # one batch: the whole issue in its few statements
    make_template(Article, "published", backend="inapp", recipients="c:author,c:editors",
                  subject="{{ object.title }}", content="Hello {{ recipient.username }}")
    _fan_out(3, make_template, committed, "warm")  # per-process caches (content types)
    few = _fan_out(10, make_template, committed, "few")
    many = _fan_out(9_999, make_template, committed, "many")  # 10,000 users
    assert many == few  # the log, the preferences, the in-app rows: the same statements
    assert InAppMessage.objects.filter(user__username="many9998").get().body == \
        "<p>Hello many9998</p>"
    uuid.UUID(str(InAppMessage.objects.first().key))


@pytest.mark.django_db
def test_a_daily_digest_becomes_one_in_app_message(ann, bob, make_template, committed, settings):
    import datetime as dt

    import time_machine

    from django_vox import digests
    from django_vox.models import Template

    settings.TIME_ZONE = "UTC"
    make_template(Article, "published", backend="inapp", recipients="c:author",
                  subject="New: {{ object.title }}", content="Read **{{ object.title }}**",
                  delivery_mode=Template.DIGEST, digest_window=Template.DAILY,
                  digest_time=dt.time(8, 0), digest_subject="{{ count }} new articles",
                  digest_content="{% for item in items %}- {{ item.object.title }}\n"
                                 "{% endfor %}")
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone.utc), tick=False):
        for title in ("One", "Two"):
            with committed():
                ArticleRegistration.published.issue(Article.objects.create(author=ann,
                                                                           title=title))
    assert not InAppMessage.objects.exists()  # held for the digest
    with time_machine.travel(dt.datetime(2026, 3, 3, 8, 1, tzinfo=dt.timezone.utc), tick=False):
        run = digests.send_digests()
    assert run.sent == 1
    message = InAppMessage.objects.get()
    assert (message.user, message.title) == (ann, "2 new articles")
    assert "<li>One</li>" in message.body and "<li>Two</li>" in message.body


@pytest.mark.django_db
def test_the_admin_preview_shows_the_sanitized_body(ann):
    Article.objects.create(author=ann, title="<b>Spring</b>")
    notification = Notification.objects.get_for_model(Article, "published")
    preview = notification.preview("inapp", "**{{ object.title }}** <script>x</script>",
                                   subject="New: {{ object.title }}")
    assert 'sandbox=""' in preview and "vox-subject" in preview
    assert "&lt;script&gt;" not in preview.split("srcdoc")[0]
    assert "&amp;lt;script&amp;gt;" in preview  # shown as text inside the sandboxed frame
    assert InAppMessage.objects.count() == 0  # a preview stores nothing
