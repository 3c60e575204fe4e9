"""Digests at scale: 10,000 held items across 1,000 contacts closed in constant
queries per batch, and (on PostgreSQL) two schedulers racing in real threads."""

import datetime as dt
import threading
import uuid

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from django_vox.digests import closing as digests
from django_vox.digests import holding
from django_vox.models import Delivery, Template
from django_vox.registry import Contact
from tests.backends.email_helpers import vox_email  # noqa: F401
from tests.testapp.models import Article, Subscriber

pytestmark = [pytest.mark.usefixtures("vox_email")]
UTC = dt.timezone.utc
HELD_AT = dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CLOSE_AT = dt.datetime(2026, 3, 3, 8, 0, 1, tzinfo=UTC)


def _hold(template, article, subscribers, items_each):
    """What issuing writes for ``items_each`` held messages to each subscriber
    (the rows of :class:`~django_vox.issuing.holding.Holder`), in one statement."""
    holder = holding.Holder(template, "email", now=HELD_AT)
    hold = holding.Hold(dt.datetime(2026, 3, 3, 8, 0, tzinfo=UTC), "daily")
    rows = []
    for n in range(items_each):
        for subscriber in subscribers:
            contact = Contact(subscriber.name, "email", subscriber.email, subscriber)
            rows.append(Delivery(
                id=uuid.uuid4(), notification=template.notification, template=template,
                object_type_id=_article_type(), object_id=str(article.pk), backend=template.backend,
                protocol="email", to_addresses=[subscriber.email],
                created_at=HELD_AT + dt.timedelta(seconds=n),
                message={"subject": f"Comment {n}", "text": f"Text {n}"},
                **holder.row_fields(contact, hold)))
    Delivery.objects.bulk_create(rows, batch_size=2000)


def _article_type():
    return ContentType.objects.get_for_model(Article).pk


def _setup(make_template, count, prefix):
    author = Article._meta.get_field("author").related_model.objects.create(
        username=f"author-{prefix}")
    article = Article.objects.create(author=author, title=f"Article {prefix}")
    subscribers = Subscriber.objects.bulk_create([
        Subscriber(name=f"{prefix}{i}", email=f"{prefix}{i}@example.org") for i in range(count)])
    template = make_template(Article, "published", backend="email-html", recipients="c:subs",
                             subject="S", content="<p>x</p>", delivery_mode=Template.DIGEST,
                             digest_window=Template.DAILY, digest_time=dt.time(8, 0))
    return template, article, subscribers


@pytest.mark.django_db
def test_ten_thousand_items_for_a_thousand_contacts_close_in_constant_queries(
        settings, make_template, smtp_server):
    settings.TIME_ZONE, settings.SITE_DOMAIN = "UTC", "news.example.org"
    template, article, many = _setup(make_template, 1000, "many")
    _hold(template, article, many, 10)
    assert Delivery.objects.filter(status=Delivery.HELD).count() == 10_000
    with time_machine.travel(CLOSE_AT, tick=False), CaptureQueriesContext(connection) as big:
        run = digests.send_digests(batch_size=250)  # four batches of 250 keys, 2,500 items
    assert (run.digests, run.items, run.sent) == (1000, 10_000, 1000)
    batches = _per_batch(big.captured_queries)
    assert batches[-1] == 1  # the last look finds nothing due
    assert len(batches) == 5 and len(set(batches[:4])) == 1 and batches[0] <= 20
    assert len(smtp_server.messages) == 1000
    assert not Delivery.objects.filter(status=Delivery.HELD).exists()
    assert Delivery.objects.filter(status=Delivery.DIGESTED, digest__isnull=True).count() == 0

    # Ten keys of ten items take as many queries as 250 keys of ten items did.
    small_template, article, few = _setup(make_template, 10, "few")
    _hold(small_template, article, few, 10)
    with time_machine.travel(CLOSE_AT, tick=False), CaptureQueriesContext(connection) as one:
        run = digests.send_digests(batch_size=10)
    assert (run.digests, run.items, run.sent) == (10, 100, 10)
    assert _per_batch(one.captured_queries) == [batches[0], 1]


def _per_batch(queries) -> list:
    """The number of queries of each batch (each starts by looking for due keys)."""
    counts = []
    for query in queries:
        if query["sql"].startswith('SELECT DISTINCT "django_vox_delivery"."digest_key"'):
            counts.append(0)
        counts[-1] += 1
    return counts


@pytest.mark.django_db(transaction=True)
def test_two_schedulers_in_threads_send_each_digest_once(settings, make_template, smtp_server):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (VOX_TEST_DATABASE=postgres)")
    settings.TIME_ZONE, settings.SITE_DOMAIN = "UTC", "news.example.org"
    template, article, readers = _setup(make_template, 200, "race")
    _hold(template, article, readers, 3)
    start = threading.Barrier(2)
    runs, errors = [], []

    def scheduler():
        try:
            start.wait()
            with time_machine.travel(CLOSE_AT, tick=True):
                runs.append(digests.send_digests(batch_size=20))
        except Exception as err:  # noqa: BLE001 - reported below
            errors.append(err)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors
    assert sum(run.digests for run in runs) == 200 and sum(run.items for run in runs) == 600
    assert sorted(m["To"] for m in smtp_server.messages) == sorted(r.email for r in readers)
