"""A hard-bounced address and a STOPped number get nothing again, whatever the
path that sends: issuing in-process and in the background (bulk and
individual), resend, retry, recovery, digests and one-time messages.  Each
delivery that was not sent is logged suppressed, with the reason."""

from datetime import timedelta

import pytest
from django.utils import timezone

from django_vox.backends import locmem
from django_vox.background import tasks
from django_vox.digests import send_digests
from django_vox.issuing import manual
from django_vox.issuing.resending import resend
from django_vox.models import Delivery, Suppression, Template
from django_vox.tracking.models import EventKind
from django_vox.tracking.recorder import TrackedEvent, record_event
from tests.testapp.models import Article, Subscriber
from tests.testapp.registrations import ArticleRegistration

pytestmark = [pytest.mark.django_db, pytest.mark.article(with_fixtures=["subscribers"])]

FRAMEWORK = "django.tasks" if tasks.task.__module__.startswith("django.tasks") else "django_tasks"
BOUNCED, STOPPED = "s1@example.org", "+15550000002"


@pytest.fixture
def dead(db, subscribers):
    """s1's mailbox hard-bounced (Postmark) and S2's number replied STOP (Twilio)."""
    for protocol, address, message_id in [("email", BOUNCED, "pm-1"), ("sms", STOPPED, "SM2")]:
        Delivery.objects.create(backend="old", protocol=protocol, to_addresses=[address],
                                status=Delivery.SENT, provider_message_id=message_id)
    record_event(TrackedEvent(provider="postmark", kind=EventKind.BOUNCED, message_id="pm-1",
                              event_key="b1", description="550 no such user"))
    record_event(TrackedEvent(provider="twilio", kind=EventKind.FAILED, message_id="SM2",
                              event_key="s2", suppress_reason=Suppression.STOPPED))
    assert Suppression.objects.count() == 2
    Delivery.objects.all().delete()
    return subscribers


def sent_to():
    return sorted(address for message in locmem.outbox for address in message.to)


def suppressed_rows():
    return sorted((row.to_addresses[0], row.error.split(" is on")[0])
                  for row in Delivery.objects.filter(status=Delivery.SUPPRESSED))


WHY = [(STOPPED, f"Suppressed: {STOPPED}"), (BOUNCED, f"Suppressed: {BOUNCED}")]


def _templates(make_template, **fields):
    make_template(Article, "published", recipients="c:subs", **fields)
    make_template(Article, "published", backend="locmem-sms", recipients="c:subs", **fields)


def test_issue_in_process(dead, article, make_template, committed):
    _templates(make_template)
    with committed():
        ArticleRegistration.published.issue(article)
    assert sent_to() == ["+15550000000", "+15550000001", "s0@example.org", "s2@example.org"]
    assert suppressed_rows() == WHY


def test_bulk_issue(dead, article, make_template, committed):
    make_template(Article, "published", recipients="c:subs", bulk=True)
    with committed():
        ArticleRegistration.published.issue(article)
    [message] = locmem.outbox
    assert sorted(message.to) == ["s0@example.org", "s2@example.org"]
    assert suppressed_rows() == [(BOUNCED, f"Suppressed: {BOUNCED}")]


def test_required_notifications_are_suppressed_too(dead, article, make_template, committed):
    make_template(Article, "urgent", recipients="c:subs")
    with committed():
        ArticleRegistration.urgent.issue(article)
    assert sent_to() == ["s0@example.org", "s2@example.org"]


def test_issue_in_background_chunks(dead, article, make_template, committed, settings):
    settings.DJANGO_VOX_ISSUE_METHOD = "django_vox.tasks.issue"
    settings.TASKS = {"default": {"BACKEND": f"{FRAMEWORK}.backends.immediate.ImmediateBackend"}}
    settings.DJANGO_VOX_BATCH_SIZE = 1  # one contact a batch: the lookup runs per batch
    _templates(make_template)
    with committed():
        ArticleRegistration.published.issue(article)
    assert sent_to() == ["+15550000000", "+15550000001", "s0@example.org", "s2@example.org"]
    assert suppressed_rows() == WHY


def _logged(address, protocol="email", backend="locmem", **fields):
    """A row logged before its address was suppressed, for another notification."""
    return Delivery.objects.create(backend=backend, protocol=protocol, to_addresses=[address],
                                   message={"subject": "", "text": "Hi"}, **fields)


def test_resend(dead, article):
    rows = [_logged(BOUNCED, status=Delivery.FAILED, error="timeout"),
            _logged(STOPPED, "sms", "locmem-sms", status=Delivery.FAILED, error="timeout"),
            _logged("s0@example.org", status=Delivery.FAILED, error="timeout")]
    result = resend(rows)
    assert (result.sent, result.suppressed) == (1, 2)
    assert sent_to() == ["s0@example.org"]
    assert suppressed_rows() == WHY


def test_retry_task(dead, article):
    later = timezone.now() - timedelta(minutes=1)
    rows = [_logged(BOUNCED, attempts=1, next_attempt_at=later),
            _logged(STOPPED, "sms", "locmem-sms", attempts=1, next_attempt_at=later)]
    assert tasks.send_due.call({str(row.pk): 1 for row in rows}) == {"sent": 0, "not_sent": 2}
    assert locmem.outbox == []
    assert suppressed_rows() == WHY


def test_recovery(dead, article):
    long_ago = timezone.now() - timedelta(hours=1)
    rows = [_logged(BOUNCED), _logged(STOPPED, "sms", "locmem-sms"), _logged("s0@example.org")]
    Delivery.objects.filter(pk__in=[row.pk for row in rows]).update(updated_at=long_ago)
    tasks.recover(in_background=False)
    assert sent_to() == ["s0@example.org"]
    assert suppressed_rows() == WHY


def test_digest(subscribers, article, make_template, committed):
    make_template(Article, "published", recipients="c:subs", delivery_mode=Template.DIGEST,
                  digest_window=Template.HOURLY)
    with committed():
        ArticleRegistration.published.issue(article)
    assert Delivery.objects.filter(status=Delivery.HELD).count() == 3 and locmem.outbox == []
    Delivery.objects.create(backend="old", protocol="email", to_addresses=[BOUNCED],
                            status=Delivery.SENT, provider_message_id="pm-1")
    record_event(TrackedEvent(provider="postmark", kind=EventKind.BOUNCED, message_id="pm-1",
                              event_key="b1"))
    run = send_digests(timezone.now() + timedelta(hours=2))
    assert sent_to() == ["s0@example.org", "s2@example.org"]
    assert run.suppressed == 1
    held = Delivery.objects.get(to_addresses=[BOUNCED], notification__isnull=False)
    assert held.status == Delivery.SUPPRESSED and "suppression list" in held.error


def test_one_time_message(dead):
    readers = list(Subscriber.objects.order_by("name"))
    result = manual.send_one_time(readers, "locmem", "", "Hello {{ recipient.name }}")
    assert (result.sent, result.suppressed) == (2, 1)
    assert sent_to() == ["s0@example.org", "s2@example.org"]
    assert suppressed_rows() == [(BOUNCED, f"Suppressed: {BOUNCED}")]
    sms = manual.send_one_time(readers, "locmem-sms", "", "Hello")
    assert (sms.sent, sms.suppressed) == (2, 1)


def test_a_lifted_suppression_lets_messages_through(dead, article, make_template, committed):
    from django_vox.tracking.suppression import lift

    assert lift(Suppression.objects.filter(address=BOUNCED), note="mailbox fixed") == 1
    make_template(Article, "published", recipients="c:subs")
    with committed():
        ArticleRegistration.published.issue(article)
    assert BOUNCED in sent_to()
