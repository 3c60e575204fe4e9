import datetime as dt
import pytest, time_machine
from django_vox import digests
from django_vox.models import Delivery, Template
from tests.testapp.models import Article
from tests.testapp.registrations import ArticleRegistration
from django_vox.backends import locmem
from tests import factories

pytestmark = pytest.mark.django_db

def test_basic(make_template, committed, ann):
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 10, tzinfo=dt.timezone.utc), tick=False):
        t = make_template(Article, "published", recipients="c:author", subject="New {{ object.title }}", content="Hi {{ object.title }}", delivery_mode="digest", digest_window="hourly")
        a = factories.make_article(ann, "A1")
        b = factories.make_article(ann, "B2")
        with committed():
            ArticleRegistration.published.issue(a)
            ArticleRegistration.published.issue(b)
        print(list(Delivery.objects.values_list("status", "digest_key", "digest_due")))
        assert locmem.outbox == []
    with time_machine.travel(dt.datetime(2026, 3, 2, 10, 0, 1, tzinfo=dt.timezone.utc), tick=False):
        run = digests.send_digests()
        print(run, locmem.outbox[0].message.subject, repr(locmem.outbox[0].message.text))
        print(list(Delivery.objects.values_list("status", "error", "digest_id")))
