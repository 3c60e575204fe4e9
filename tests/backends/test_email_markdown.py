"""The Markdown email backend: Markdown → HTML, with user data escaped."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured

from django_vox.backends.markdown_email import Backend, markdown_escaper
from tests.backends.email_helpers import make_article, parts, vox_email  # noqa: F401
from tests.testapp.models import Article, Subscriber
from tests.testapp.registrations import ArticleRegistration

HOSTILE = "*[x](javascript:alert(1))* <script>alert(2)</script> `code` _em_ # h [r]: /x"


def build(body, **params):
    return Backend().build_message("Subject {{ name }}", body, params)


def test_markdown_becomes_html_and_text_is_the_markdown():
    message = build("# Hi {{ name }}\n\nSome **bold** and a [link](https://example.org/).",
                    name="Ann")
    assert message.text == "# Hi Ann\n\nSome **bold** and a [link](https://example.org/)."
    assert message.html == ('<h1>Hi Ann</h1>\n<p>Some <strong>bold</strong> and a '
                            '<a href="https://example.org/">link</a>.</p>')
    assert message.subject == "Subject Ann"


def test_user_data_cannot_inject_markdown_or_html():
    message = build("Hello {{ name }}!", name=HOSTILE)
    assert "<a" not in message.html and "javascript:" in message.html  # shown, not linked
    assert "<script>" not in message.html and "<em>" not in message.html
    assert "<code>" not in message.html
    assert message.html == (
        "<p>Hello *[x](javascript:alert(1))* &lt;script&gt;alert(2)&lt;/script&gt; `code` "
        "_em_ # h [r]: /x!</p>")
    assert message.text == f"Hello {HOSTILE}!"  # the text part shows the data as typed


def test_data_at_line_start_cannot_make_headings_lists_or_quotes():
    message = build("{{ a }}\n\n{{ b }}\n\n{{ c }}\n\n{{ d }}", a="# Big", b="1. item",
                    c="> quoted", d="- bullet")
    assert message.html == ("<p># Big</p>\n<p>1. item</p>\n<p>&gt; quoted</p>\n<p>- bullet</p>")


def test_numbers_and_dates_print_normally():
    message = build("{{ n }} {{ d }} {{ f }} {{ when|date:'Y-m-d' }} {{ when }}",
                    n=1234, d=Decimal("3.50"), f=2.5, when=datetime.date(2026, 3, 1))
    assert message.html == "<p>1234 3.50 2.5 2026-03-01 March 1, 2026</p>"
    assert message.text == "1234 3.50 2.5 2026-03-01 March 1, 2026"


def test_safe_filter_is_the_editors_opt_out():
    message = build("{{ trusted|safe }} {{ name }}", trusted="*yes*", name="*no*")
    assert message.html == "<p><em>yes</em> *no*</p>"


def test_extras_setting_and_their_syntax_escaped(settings):
    settings.DJANGO_VOX_MARKDOWN_EXTRAS = ["markdown.extensions.tables"]
    table = "| a | b |\n|---|---|\n| {{ x }} | 2 |"
    message = build(table, x="c | d")
    assert "<table>" in message.html
    assert "<td>c | d</td>" in message.html  # the pipe in the value did not add a cell


def test_unknown_extra_names_the_setting(settings):
    settings.DJANGO_VOX_MARKDOWN_EXTRAS = ["no_such_extension_here"]
    with pytest.raises(ImproperlyConfigured, match="DJANGO_VOX_MARKDOWN_EXTRAS"):
        build("x")


def test_escaper_backslashes_markdown_then_escapes_html():
    escape = markdown_escaper(("*", "[", ">", "\\"))
    assert escape("*<a>[\\") == "\\*&lt;a&gt;\\[\\\\"


@pytest.mark.django_db
@pytest.mark.usefixtures("vox_email")
def test_markdown_email_over_smtp(smtp_server, make_template, committed):
    article = make_article("Tom & *Jerry*", subscribers=0)
    Subscriber.objects.create(name="[Eve](javascript:alert(1)) <img src=x onerror=alert(1)>",
                              email="eve@example.org")
    make_template(Article, "published", backend="email-md", recipients="c:subs",
                  subject="{{ object.title }}",
                  content="Dear {{ recipient.name }},\n\n**{{ object.title }}** is out.",
                  attachments=["object.summary"])
    with committed():
        ArticleRegistration.published.issue(article)
    [message] = smtp_server.messages
    assert message["Subject"] == "Tom & *Jerry*"
    found = parts(message)
    assert found["text/plain"].startswith(
        "Dear [Eve](javascript:alert(1)) <img src=x onerror=alert(1)>,\n\n**Tom & *Jerry*** is out.")
    assert found["text/html"] == (
        "<p>Dear [Eve](javascript:alert(1)) &lt;img src=x onerror=alert(1)&gt;,</p>\n"
        "<p><strong>Tom &amp; *Jerry*</strong> is out.</p>")
    [attachment] = message.iter_attachments()
    assert attachment.get_filename() == "summary.txt"


def test_escape_reaches_variables_inside_tags_and_leaves_plain_rendering_alone():
    from django_vox.templating import rendering

    source = "{% if x %}{% for i in items %}{{ i }};{% endfor %}{% endif %}{% with y=x %}{{ y }}{% endwith %}"
    params = {"x": "*a*", "items": ["_b_", "<c>"]}
    escape = markdown_escaper(("*", "_"))
    assert rendering.render(source, params, escape=escape) == "\\_b\\_;&lt;c&gt;;\\*a\\*"
    assert rendering.render(source, params) == "_b_;&lt;c&gt;;*a*"  # same source, no escape
