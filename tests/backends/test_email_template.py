"""The template-block email backend: subject, text_body and html_body blocks."""

import pytest

from django_vox.backends.template_email import Backend
from django_vox.exceptions import TemplateRenderError
from tests.backends.email_helpers import make_article, parts, vox_email  # noqa: F401
from tests.testapp.models import Article
from tests.testapp.registrations import ArticleRegistration

ALL_BLOCKS = ("{% block subject %}Re: {{ title }}\n{% endblock %}"
              "{% block text_body %}\nText {{ title }}\n{% endblock %}"
              "{% block html_body %}<p>HTML {{ title }}</p>{% endblock %}")


def build(body, subject="Field {{ title }}", **params):
    return Backend().build_message(subject, body, params)


def test_all_three_blocks():
    message = build(ALL_BLOCKS, title="<Tom & Jerry>")
    assert message.subject == "Re: <Tom & Jerry>"  # not escaped, newline folded
    assert message.text == "Text <Tom & Jerry>\n"
    assert message.html == "<p>HTML &lt;Tom &amp; Jerry&gt;</p>"


def test_no_blocks_means_the_whole_body_is_text():
    message = build("Just {{ title }} & more", title="<b>")
    assert (message.subject, message.text, message.html) == ("Field <b>", "Just <b> & more", None)


@pytest.mark.parametrize(("body", "subject", "text", "html"), [
    ("{% block text_body %}T {{ title }}{% endblock %}", "Field x", "T x\n", None),
    ("{% block html_body %}<p>H <b>{{ title }}</b></p>{% endblock %}", "Field x", "H **x**\n",
     "<p>H <b>x</b></p>"),
    ("{% block subject %}S {{ title }}{% endblock %}", "S x", "", None),
    ("{% block subject %}S{% endblock %}{% block html_body %}<i>h</i>{% endblock %}", "S",
     "_h_\n", "<i>h</i>"),
])
def test_any_subset_of_blocks(body, subject, text, html):
    message = build(body, title="x")
    assert (message.subject, message.text, message.html) == (subject, text, html)


def test_text_outside_blocks_is_ignored_when_blocks_exist():
    message = build("ignored {% block text_body %}kept{% endblock %} ignored too")
    assert message.text == "kept\n"


def test_syntax_error_is_a_render_error():
    with pytest.raises(TemplateRenderError):
        build("{% block subject %}unclosed")


@pytest.mark.django_db
@pytest.mark.usefixtures("vox_email")
def test_template_email_over_smtp(smtp_server, make_template, committed):
    article = make_article("Ünïcode\r\nBcc: x@example.net", subscribers=2)
    make_template(Article, "published", backend="email", recipients="c:subs",
                  content="{% block subject %}{{ object.title }} for {{ recipient.name }}{% endblock %}"
                          "{% block text_body %}Hi {{ recipient.name }}{% endblock %}"
                          "{% block html_body %}<p>Hi <em>{{ recipient.name }}</em></p>{% endblock %}",
                  attachments=["object.cover"])
    with committed():
        ArticleRegistration.published.issue(article)
    assert smtp_server.connections == 1
    messages = sorted(smtp_server.messages, key=lambda m: m["To"])
    assert [m["To"] for m in messages] == ["s0@example.org", "s1@example.org"]
    assert messages[0]["Subject"].strip() == "Ünïcode Bcc: x@example.net for Subscriber 0"
    assert messages[0]["Bcc"] is None
    assert parts(messages[0]) == {"text/plain": "Hi Subscriber 0",
                                  "text/html": "<p>Hi <em>Subscriber 0</em></p>"}
    [attachment] = messages[0].iter_attachments()
    assert (attachment.get_filename(), attachment.get_content_type()) == ("cover", "text/x-card")
