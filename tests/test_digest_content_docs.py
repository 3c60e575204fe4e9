"""The digest content docs/digests.rst gives for ``key: value`` backends works
as written, end to end (a JSON webhook on pytest-httpserver), and the
generated digest of those backends is ``key: value`` lines too, as the page says."""

import datetime as dt

import pytest
import time_machine
from django.contrib.auth import get_user_model

from django_vox import digests
from django_vox.models import Delivery, Notification, SiteContact, Template
from django_vox.preview import preview_digest
from tests.testapp.models import Article
from tests.testapp.registrations import ArticleRegistration

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _json_webhook(settings):
    settings.DJANGO_VOX_BACKENDS = ["django_vox.backends.json_webhook"]

# As in docs/digests.rst, "Writing digest content for each kind of backend".
KEY_VALUE_DIGEST = """\
event: digest
count: {{ count }}
window: {{ window.name }}
titles: {% for item in items %}{{ item.object.title }}{% if not forloop.last %}; {% endif %}{% endfor %}
"""


def test_the_documented_key_value_digest_posts_one_object(httpserver, make_template, committed,
                                                           settings):
    settings.TIME_ZONE = "UTC"
    httpserver.expect_oneshot_request("/hooks/in", method="POST", json={
        "event": "digest", "count": "2", "window": "hourly", "titles": "Alpha; Beta",
    }).respond_with_json({"ok": True})
    SiteContact.objects.create(name="Zapier", protocol="json-webhook",
                               address=httpserver.url_for("/hooks/in"))
    make_template(Article, "published", backend="json-webhook", recipients="si",
                  content="title: {{ object.title }}", delivery_mode=Template.DIGEST,
                  digest_window=Template.HOURLY, digest_content=KEY_VALUE_DIGEST)
    author = get_user_model().objects.create(username="ann")
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 10, tzinfo=dt.UTC), tick=True):
        for title in ("Alpha", "Beta"):
            article = Article.objects.create(author=author, title=title)
            with committed():
                ArticleRegistration.published.issue(article)
    assert Delivery.objects.filter(status=Delivery.HELD).count() == 2
    run = digests.send_digests(dt.datetime(2026, 3, 2, 10, 0, 1, tzinfo=dt.UTC))
    assert run.as_dict() == {"digests": 1, "items": 2, "sent": 1, "failed": 0, "suppressed": 0}
    httpserver.check_assertions()
    digest_row = Delivery.objects.filter(digest_items__isnull=False).distinct().get()
    assert {row.digest_id for row in Delivery.objects.filter(status=Delivery.DIGESTED)} == {
        digest_row.pk}


def test_the_generated_digest_of_a_key_value_backend_is_key_value_lines(db):
    notification = Notification.objects.get_for_model(Article, "published")
    html = preview_digest(notification, "json-webhook", "", item_content="title: {{ object.title }}")
    assert "count" in html and "items" in html
