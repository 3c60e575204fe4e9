"""The optional ``send_many(items)`` of the backend contract, as the pipeline uses it."""

import uuid

import pytest
import time_machine

from django_vox.backends import locmem
from django_vox.exceptions import PermanentSendError
from django_vox.models import Delivery
from django_vox.pacing import ratelimit
from tests.backends.email_helpers import make_article
from tests.testapp.models import Article
from tests.testapp.registrations import ArticleRegistration

START = 1_800_000_000.0


class BatchingBackend(locmem.Backend):
    """Takes up to four messages per call; refuses addresses starting with "s1"."""

    ID = "batching"
    SEND_MANY_LIMIT = 4
    calls: list = []

    def send_many(self, items):
        type(self).calls.append([address for address, _message in items])
        results = []
        for address, message in items:
            if address.startswith("s1"):
                results.append(PermanentSendError(f"refused {address}", code=406))
            else:
                super().send(address, message)
                results.append(None)
        return results


class MiscountingBackend(locmem.Backend):
    ID = "miscounting"

    def send_many(self, items):
        return [None]


@pytest.fixture
def batching(settings, monkeypatch):
    settings.DJANGO_VOX_BACKENDS = ["django_vox.backends.locmem.Backend",
                                    "tests.test_send_many.BatchingBackend",
                                    "tests.test_send_many.MiscountingBackend"]
    settings.DJANGO_VOX_THROW_EXCEPTIONS = False
    settings.DJANGO_VOX_RATE_LIMIT_CACHE = "vox-batch"
    settings.CACHES = {**settings.CACHES, "vox-batch": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": f"vox-batch-{uuid.uuid4()}"}}
    BatchingBackend.calls = []
    return settings


@pytest.mark.django_db
def test_individual_rows_go_through_send_many_in_batches(batching, make_template, committed,
                                                         monkeypatch):
    batching.DJANGO_VOX_RATE_LIMITS = {"batching": "10/s"}
    article = make_article(subscribers=10)
    make_template(Article, "published", backend="batching", recipients="c:subs",
                  content="hi {{ recipient.name }}")
    with time_machine.travel(START, tick=False) as clock:
        monkeypatch.setattr(ratelimit, "wait", clock.shift)
        with committed():
            ArticleRegistration.published.issue(article)
        # Ten messages at 10/s: a batch waits for the turn of its last message.
        assert ratelimit.time.time() == pytest.approx(START + 0.9, abs=1e-6)
    assert [len(call) for call in BatchingBackend.calls] == [4, 4, 2]
    assert sorted(a for call in BatchingBackend.calls for a in call) == [
        f"s{i}@example.org" for i in range(10)]
    statuses = {row.to_addresses[0]: row.status for row in Delivery.objects.all()}
    assert statuses == {f"s{i}@example.org": Delivery.FAILED if i == 1 else Delivery.SENT
                        for i in range(10)}
    assert "code 406" in Delivery.objects.get(status=Delivery.FAILED).error


@pytest.mark.django_db
def test_bulk_rows_still_use_send_message(batching, make_template, committed):
    article = make_article(subscribers=3)
    make_template(Article, "published", backend="batching", recipients="c:subs", bulk=True,
                  content="to all")
    with committed():
        ArticleRegistration.published.issue(article)
    assert BatchingBackend.calls == []
    [sent] = locmem.outbox
    assert len(sent.to) == 3 and Delivery.objects.get().status == Delivery.SENT


@pytest.mark.django_db
def test_a_wrong_number_of_results_fails_the_batch(batching, make_template, committed):
    article = make_article(subscribers=3)
    make_template(Article, "published", backend="miscounting", recipients="c:subs",
                  content="hi")
    with committed():
        ArticleRegistration.published.issue(article)
    errors = set(Delivery.objects.values_list("error", flat=True))
    assert Delivery.objects.filter(status=Delivery.FAILED).count() == 3
    assert errors == {"Backend 'miscounting' answered send_many() with 1 results for "
                      "3 messages."}
