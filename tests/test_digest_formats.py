"""The generated digest is laid out for the backend's markup: in an HTML email the
count is a paragraph, each item's subject a heading over its own HTML, a rule
between items; in a Markdown email the same once Markdown made the HTML part.
Sent through the real path (held, closed, sent to aiosmtpd) and parsed."""

import datetime as dt
import json
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model

from django_vox.digests import closing as digests
from django_vox.digests.content import DEFAULT_CONTENTS
from django_vox.models import Notification, Template
from django_vox.preview import preview_digest
from tests.backends.email_helpers import parts, vox_email  # noqa: F401
from tests.test_digests import publish, readers  # noqa: F401
from tests.testapp.models import Article

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("vox_email")]
PARIS = ZoneInfo("Europe/Paris")


class _Blocks(HTMLParser):
    """The body's top-level structure: ``[(tag, text), ...]``, ``("hr", "")`` for rules."""

    def __init__(self, html):
        super().__init__()
        self.blocks, self._open = [], None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "hr":
            self.blocks.append(("hr", ""))
        elif self._open is None and tag in {"p", "h3"}:
            self._open = [tag, ""]

    def handle_endtag(self, tag):
        if self._open and tag == self._open[0]:
            self.blocks.append(tuple(self._open))
            self._open = None

    def handle_data(self, data):
        if self._open:
            self._open[1] += data


def _send_digest(make_template, committed, smtp_server, backend, content):
    make_template(Article, "published", backend=backend, recipients="c:subs",
                  subject="New: {{ object.title }}", content=content,
                  delivery_mode=Template.DIGEST, digest_window=Template.DAILY,
                  digest_time=dt.time(8, 0))
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 30, tzinfo=PARIS), tick=True):
        publish(committed, "Alpha & Co", "Beta")
    with time_machine.travel(dt.datetime(2026, 3, 3, 8, 1, tzinfo=PARIS), tick=True):
        digests.send_digests()
    return parts(next(m for m in smtp_server.messages if m["To"] == "r0@example.org"))


@pytest.fixture(autouse=True)
def _site(settings):
    settings.TIME_ZONE = "Europe/Paris"


@pytest.mark.usefixtures("readers")
def test_an_html_email_digest_has_a_heading_per_item_and_a_rule_between(
        make_template, committed, smtp_server):
    sent = _send_digest(make_template, committed, smtp_server, "email-html",
                        "<p>Read <b>{{ object.title }}</b></p>")
    html = sent["text/html"]
    blocks = _Blocks(html).blocks
    assert blocks[0][0] == "p" and blocks[0][1].startswith("2 notifications since")
    assert blocks[1:] == [("h3", "New: Alpha & Co"), ("p", "Read Alpha & Co"), ("hr", ""),
                          ("h3", "New: Beta"), ("p", "Read Beta")]
    # The item's own HTML as it was rendered (escaped once), the subject escaped once.
    assert "<p>Read <b>Alpha &amp; Co</b></p>" in html
    assert "<h3>New: Alpha &amp; Co</h3>" in html
    assert "---" not in html and "&lt;" not in html
    # The text part, made from the HTML, keeps the items apart.
    text = sent["text/plain"]
    assert text.index("2 notifications since") < text.index("New: Alpha & Co") < text.index(
        "Read **Alpha & Co**") < text.index("New: Beta")


@pytest.mark.usefixtures("readers")
def test_a_markdown_email_digest_has_a_heading_per_item_and_a_rule_between(
        make_template, committed, smtp_server):
    sent = _send_digest(make_template, committed, smtp_server, "email-md",
                        "Read {{ object.title }}\n\nBye")
    blocks = _Blocks(sent["text/html"]).blocks
    assert blocks[0][0] == "p" and blocks[0][1].startswith("2 notifications since")
    assert blocks[1:] == [("h3", "New: Alpha & Co"), ("p", "Read Alpha & Co"), ("p", "Bye"),
                          ("hr", ""), ("h3", "New: Beta"), ("p", "Read Beta"), ("p", "Bye")]
    # The text part is the Markdown itself.
    assert "### New: Beta\n\nRead Beta" in sent["text/plain"]


def test_the_preview_escapes_items_as_the_sent_digest_does(settings):
    # Items rendered in the preview are marked safe by Django, those of a sent
    # digest are read back from the log: both are printed escaped.
    settings.DJANGO_VOX_BACKENDS = ["django_vox.backends.markdown_email.Backend"]
    Article.objects.create(author=get_user_model().objects.create(username="ann"),
                           title="<b>bold</b> *x*")
    notification = Notification.objects.get_for_model(Article, "published")
    html = unescape(preview_digest(notification, "email-md", "",
                                   item_content="Read {{ object.title }}",
                                   item_subject="New: {{ object.title }}"))
    assert "<h3>New: &lt;b&gt;bold&lt;/b&gt; *x*</h3>" in html
    assert "<p>Read &lt;b&gt;bold&lt;/b&gt; *x*</p>" in html and "<em>" not in html


def test_docs_show_the_generated_digests_as_they_are():
    page = (Path(__file__).parents[1] / "docs" / "digests.rst").read_text()
    for editor_type in ("basic", "html"):
        shown = DEFAULT_CONTENTS[editor_type].replace("\n\n", "\n\n        ").replace(
            "</p>\n", "</p>\n        ")
        assert f"::\n\n        {shown}\n" in page
    assert "{% digest_items markdown %}" in page


def test_an_activity_digest_escapes_its_items_once(settings):
    """An activity's summary is HTML with its values escaped when the item is
    made (``ESCAPED_TEXT``): the digest's summary prints it as it is."""
    settings.DJANGO_VOX_BACKENDS = ["django_vox.backends.activity"]
    Article.objects.create(author=get_user_model().objects.create(username="ann"),
                           title="Tom & Jerry")
    notification = Notification.objects.get_for_model(Article, "published")
    shown = preview_digest(notification, "activity", "", item_content="<b>{{ object.title }}</b>")
    summary = json.loads(unescape(shown[shown.index("{"):shown.rindex("}") + 1]))["summary"]
    assert summary.count("<b>Tom &amp; Jerry</b>") == 2 and "&amp;amp;" not in summary
