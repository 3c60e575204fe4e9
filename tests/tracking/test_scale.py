"""Issuing 10,000 messages with 1,000 suppressed addresses keeps its queries
constant per batch: ONE suppression lookup a batch, whatever the number of
suppressed addresses (the time of it is a benchmark: bench/, case
``fanout_suppressed``)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from django_vox.backends import locmem
from django_vox.models import Delivery, Suppression
from tests.testapp.models import Article, Subscriber
from tests.testapp.registrations import ArticleRegistration

pytestmark = pytest.mark.django_db

TOTAL = 10_000


@pytest.fixture
def readers(db):
    Subscriber.objects.bulk_create(Subscriber(name=f"N{i}", email=f"n{i}@example.org")
                                   for i in range(TOTAL))
    # Every tenth address hard-bounced.
    Suppression.objects.bulk_create(
        Suppression(protocol="email", address=f"n{i}@example.org", reason=Suppression.BOUNCED)
        for i in range(0, TOTAL, 10))


def _issue(article, count, committed):
    """Queries of issuing to the first ``count`` readers (a tenth of them suppressed)."""
    Subscriber.objects.update(active=False)
    Subscriber.objects.filter(pk__in=Subscriber.objects.order_by("pk").values("pk")[:count]) \
        .update(active=True)
    Delivery.objects.all().delete()
    locmem.outbox.clear()
    with CaptureQueriesContext(connection) as ctx:
        with committed():
            ArticleRegistration.published.issue(article)
    assert len(locmem.outbox) == count * 9 // 10
    assert Delivery.objects.filter(status=Delivery.SUPPRESSED).count() == count // 10
    lookups = [q for q in ctx.captured_queries if "django_vox_suppression" in q["sql"]]
    return len(ctx.captured_queries), len(lookups)


def test_suppression_costs_one_query_a_batch(readers, ann, make_template, committed, settings):
    settings.DJANGO_VOX_BATCH_SIZE = 1000
    article = Article.objects.create(author=ann, title="Scale")
    make_template(Article, "published", recipients="c:subs",
                  content="{{ recipient.name }} {{ object.title }}")
    _issue(article, 1000, committed)  # warm per-process caches
    one, one_lookups = _issue(article, 1000, committed)
    two, two_lookups = _issue(article, 2000, committed)
    ten, ten_lookups = _issue(article, TOTAL, committed)
    assert (one_lookups, two_lookups, ten_lookups) == (1, 2, 10)
    per_batch = two - one
    assert ten == one + 9 * per_batch
