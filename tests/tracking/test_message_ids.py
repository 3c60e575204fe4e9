"""The provider's message id is recorded on the delivery when it is sent: the
returned id of each backend reaches ``Delivery.provider_message_id`` through
every way the log is marked sent (one statement per batch; on PostgreSQL one
``UPDATE ... FROM unnest`` for a batch, also through a worker's SentMarks)."""

import time

import pytest
from django.db import connection
from django.utils import timezone

from django_vox import deliverylog
from django_vox.backends.twitter import Backend as XBackend
from django_vox.messages import Message
from django_vox.models import Delivery
from tests.backends.test_twitter import SECRETS, XStandIn  # noqa: F401  (x_api's parts)


@pytest.fixture
def x_api(httpserver, settings):
    for name, value in SECRETS.items():
        setattr(settings, name, value)
    settings.DJANGO_VOX_TWITTER_API_BASE = httpserver.url_for("/")
    return XStandIn(httpserver)


def test_x_returns_the_post_id_and_the_direct_message_event_id(x_api):
    x_api.expect("POST", "/2/tweets", body={"text": "Hello"},
                 answer={"data": {"id": "1799", "text": "Hello"}}, status=201)
    x_api.expect("GET", "/2/users/by/username/jack", answer={"data": {"id": "12"}})
    x_api.expect("POST", "/2/dm_conversations/with/12/messages", body={"text": "hi"},
                 answer={"data": {"dm_conversation_id": "12-99", "dm_event_id": "5501"}},
                 status=201)
    with XBackend() as backend:
        assert backend.send_message("", [], Message(text="Hello")) == "1799"
        assert backend.send("jack", Message(text="hi")) == "5501"
    x_api.server.check_assertions()


def _rows(writer, count):
    rows = writer.write([writer.row([f"m{i}@example.org"]) for i in range(count)])
    for i, row in enumerate(rows):
        row.provider_message_id = f"id-{i}@example.org" if i != 1 else ""
    return rows


def _writer():
    return deliverylog.LogWriter(issue_id=None, notification=None, template=None,
                                 object_type=None, object_id="", backend="locmem",
                                 protocol="email")


@pytest.mark.django_db
def test_mark_sent_writes_each_rows_id():
    rows = _rows(_writer(), 3)
    deliverylog.mark_sent(rows, timezone.now())
    assert sorted(Delivery.objects.values_list("provider_message_id", flat=True)) == [
        "", "id-0@example.org", "id-2@example.org"]
    assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.SENT}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")
def test_a_workers_pipelined_marks_write_the_ids(transactional_db):
    rows = _rows(_writer(), 3)
    marks = deliverylog.SentMarks()
    assert marks.pipelined
    now = timezone.now()
    marks.mark_sent(rows[:2], now)
    marks.mark_sent(rows[2:], now)
    marks.close()
    deadline = time.monotonic() + 5
    while Delivery.objects.filter(status=Delivery.SENT).count() < 3 and \
            time.monotonic() < deadline:
        time.sleep(0.05)
    assert sorted(Delivery.objects.values_list("provider_message_id", flat=True)) == [
        "", "id-0@example.org", "id-2@example.org"]
