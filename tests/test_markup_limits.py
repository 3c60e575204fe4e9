"""Markdown and html2text under a size and a time limit (issue 34, item 3):
a customer's data or an editor's template cannot cost more than
``markup_seconds`` per message, in a real send as in the admin preview."""

import multiprocessing

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from django_vox.exceptions import TemplateRenderError
from django_vox.models import Delivery, Notification
from django_vox.templating import markup
from tests.backends.email_helpers import parts, vox_email  # noqa: F401
from tests.testapp.models import Article
from tests.testapp.registrations import ArticleRegistration

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("vox_email")]

#: A customer's note Python-Markdown needs seconds for once escaped (64 KB of backslashes).
SLOW_NOTE = "\\" * 64_000
#: Nested lists html2text needs seconds for (24 KB).
SLOW_HTML = "<ul><li>" * 3_000


@pytest.fixture
def limits(settings):
    settings.DJANGO_VOX_TEMPLATE_LIMITS = {"markup_seconds": 0.5}
    settings.DJANGO_VOX_THROW_EXCEPTIONS = False
    yield settings
    markup.stop_worker()


def preview(client, content, backend):
    notification = Notification.objects.get_for_model(Article, "published")
    return client.post(reverse("admin:django_vox_notification_preview", args=[notification.pk]),
                       {"backend": backend, "content": content, "subject": "Hi"})


def no_worker_left():
    return not [p for p in multiprocessing.active_children() if p.name == "django-vox-markup"]


def issue(make_template, committed, backend, content, body=""):
    author = get_user_model().objects.create(username="author", email="author@example.org")
    article = Article.objects.create(author=author, title="Order", body=body)
    make_template(Article, "published", backend=backend, recipients="c:author", subject="Hi",
                  content=content)
    with committed():
        ArticleRegistration.published.issue(article)


def test_a_customers_note_cannot_stall_the_markdown_conversion(smtp_server, make_template,
                                                                committed, limits):
    issue(make_template, committed, "email-md", "Your note:\n\n{{ object.body }}", SLOW_NOTE)
    assert smtp_server.messages == []
    failed = Delivery.objects.get(status=Delivery.FAILED)
    assert "Converting the Markdown took longer than 0.5 seconds" in failed.error
    assert no_worker_left()  # the conversion was stopped, not left running


def test_ordinary_messages_are_converted_inline_and_in_the_worker(smtp_server, make_template,
                                                                  committed, limits):
    issue(make_template, committed, "email-md", "# {{ object.title }}\n\n{{ object.body }}",
          "word " * 1000)  # longer than INLINE_CHARACTERS: the worker converts it
    [message] = smtp_server.messages
    html = parts(message)["text/html"]
    assert html.startswith("<h1>Order</h1>") and html.count("word") == 1000


def test_html2text_in_the_admin_preview_is_bounded(admin_client, limits):
    get_user_model().objects.create(username="author", email="author@example.org")
    response = preview(admin_client, SLOW_HTML, backend="email-html")
    assert response.status_code == 400
    assert "took longer than 0.5 seconds" in response.json()["error"]
    assert no_worker_left()


def test_text_over_the_size_limit_is_refused_before_conversion(settings):
    settings.DJANGO_VOX_TEMPLATE_LIMITS = {"markup": 2_000}
    with pytest.raises(TemplateRenderError, match="is 2001 characters long; at most 2000"):
        markup.convert("markdown", "x" * 2001, what="Markdown")
    assert markup.convert("html2text", "<p>x</p>").strip() == "x"
