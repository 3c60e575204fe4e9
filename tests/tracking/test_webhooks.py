"""The webhooks under attack: replays, oversized bodies, other methods, unknown
message ids, CSRF, and error answers that must not tell anything about a
delivery.  Also the recorder's own rules (idempotency, order, soft bounces,
payload cap)."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from django_vox.models import Delivery, DeliveryEvent, Suppression
from django_vox.tracking.models import EventKind
from django_vox.tracking.recorder import TrackedEvent, record_event
from tests.tracking import helpers
from tests.tracking.helpers import PUBLIC, TWILIO_SID, TWILIO_TOKEN, post_postmark, post_twilio

pytestmark = pytest.mark.django_db


@pytest.fixture
def hooks(settings):
    settings.DJANGO_VOX_POSTMARK_WEBHOOK_CREDENTIALS = helpers.POSTMARK_CREDENTIALS
    settings.DJANGO_VOX_TWILIO_AUTH_TOKEN = TWILIO_TOKEN
    settings.DJANGO_VOX_TWILIO_ACCOUNT_SID = TWILIO_SID
    settings.DJANGO_VOX_WEBHOOK_BASE_URL = PUBLIC
    return settings


@pytest.fixture
def ada(db):
    return Delivery.objects.create(backend="postmark-template", protocol="email",
                                   to_addresses=["ada@example.org"], status=Delivery.SENT,
                                   provider_message_id="pm-ada")


BOUNCE = {"RecordType": "Bounce", "ID": 77, "Type": "HardBounce", "MessageID": "pm-ada",
          "Email": "ada@example.org", "BouncedAt": "2026-12-07T10:05:00Z",
          "Description": "Unknown user", "Details": "550 5.1.1"}


def test_a_replayed_request_is_recorded_once(hooks, ada, client):
    seen = []
    from django_vox.tracking import signals

    signals.delivery_event.connect(lambda sender, **kw: seen.append(kw["event"].pk), weak=False,
                                   dispatch_uid="test-replay")
    try:
        first = post_postmark(client, BOUNCE)
        again = post_postmark(client, BOUNCE)
        params = {"MessageSid": "SM9", "MessageStatus": "delivered", "To": "+12025550100"}
        twilio = [post_twilio(client, params), post_twilio(client, params)]
    finally:
        signals.delivery_event.disconnect(dispatch_uid="test-replay")
    assert [r.status_code for r in (first, again, *twilio)] == [200] * 4
    assert first.content == again.content == b"ok\n"
    assert DeliveryEvent.objects.count() == 2 and len(seen) == 2
    assert Suppression.objects.count() == 1


def test_an_unknown_message_is_kept_apart_and_the_answer_says_nothing(hooks, ada, client):
    unknown = dict(BOUNCE, ID=78, MessageID="pm-nobody", Email="eve@example.org")
    answer = post_postmark(client, unknown)
    assert (answer.status_code, answer.content) == (200, b"ok\n")  # the same as a known one
    event = DeliveryEvent.objects.get()
    assert event.delivery is None and event.provider_message_id == "pm-nobody"
    # A bounce is about an address, known message or not.
    assert Suppression.objects.get().address == "eve@example.org"
    ada.refresh_from_db()
    assert ada.provider_status == ""


@pytest.mark.parametrize("path", ["/vox/tracking/postmark/", "/vox/tracking/twilio/"])
def test_only_post_and_bounded_bodies(hooks, client, settings, path):
    assert client.get(path).status_code == 405
    assert client.put(path, data="{}", content_type="application/json").status_code == 405
    settings.DJANGO_VOX_WEBHOOK_MAX_BODY = 1024
    huge = json.dumps(dict(BOUNCE, Details="x" * 5000))
    answer = client.post(path, data=huge, content_type="application/json",
                         HTTP_AUTHORIZATION=helpers.basic(helpers.POSTMARK_CREDENTIALS))
    assert (answer.status_code, answer.content) == (413, b"The request body is too large.\n")
    assert not DeliveryEvent.objects.exists()


def test_a_lying_content_length_reads_no_more_than_the_cap(hooks, settings):
    from django.test import RequestFactory

    from django_vox.tracking.postmark_webhook import postmark_webhook

    settings.DJANGO_VOX_WEBHOOK_MAX_BODY = 64
    # It says 10 bytes and sends more: 10 are read, and they are not JSON.
    request = RequestFactory().generic(
        "POST", "/vox/tracking/postmark/", json.dumps(BOUNCE), "application/json",
        CONTENT_LENGTH="10", HTTP_AUTHORIZATION=helpers.basic(helpers.POSTMARK_CREDENTIALS))
    assert postmark_webhook(request).status_code == 400  # the 10 bytes are not JSON
    assert not DeliveryEvent.objects.exists()


def test_webhooks_need_no_csrf_token_but_other_views_still_do(hooks, ada):
    strict = Client(enforce_csrf_checks=True)
    assert post_postmark(strict, BOUNCE).status_code == 200
    assert strict.post("/vox/preferences/", {}).status_code in (302, 403)  # login or CSRF
    from django.contrib.auth import get_user_model

    strict.force_login(get_user_model().objects.create(username="u", email="u@example.org"))
    assert strict.post("/vox/preferences/", {}).status_code == 403


def test_bad_bodies_are_refused_in_plain_words(hooks, client):
    auth = {"HTTP_AUTHORIZATION": helpers.basic(helpers.POSTMARK_CREDENTIALS)}
    answers = [client.post("/vox/tracking/postmark/", data=b"\xff\xfe", content_type="text/plain",
                           **auth),
               client.post("/vox/tracking/postmark/", data="[1, 2]",
                           content_type="application/json", **auth),
               post_twilio(client, {"MessageStatus": "sent"})]
    assert [(a.status_code, a.content) for a in answers] == [
        (400, b"The body is not JSON.\n"), (400, b"The body is not a Postmark webhook event.\n"),
        (400, b"The request names no message.\n")]


# -- the recorder's rules ------------------------------------------------------------


def _event(kind, key, **fields):
    fields.setdefault("message_id", "pm-ada")
    return TrackedEvent(provider="test", kind=kind, event_key=key, **fields)


def test_status_only_moves_forward(ada):
    for kind, key in [(EventKind.DELIVERED, "1"), (EventKind.SENT, "2"), (EventKind.OPENED, "3"),
                      (EventKind.DEFERRED, "4")]:
        record_event(_event(kind, key))
    ada.refresh_from_db()
    assert ada.provider_status == "delivered"
    record_event(_event(EventKind.COMPLAINED, "5"))
    record_event(_event(EventKind.BOUNCED, "6"))
    ada.refresh_from_db()
    assert ada.provider_status == "complained"


def test_soft_bounces_suppress_at_the_limit_within_the_window(ada, settings):
    settings.DJANGO_VOX_SOFT_BOUNCE_LIMIT = 3
    settings.DJANGO_VOX_SOFT_BOUNCE_WINDOW = 30 * 86400
    now = timezone.now()
    record_event(_event(EventKind.SOFT_BOUNCED, "old", occurred_at=now - timedelta(days=45)))
    record_event(_event(EventKind.SOFT_BOUNCED, "a", occurred_at=now - timedelta(days=10)))
    record_event(_event(EventKind.SOFT_BOUNCED, "b", occurred_at=now - timedelta(days=1)))
    assert not Suppression.objects.exists()  # the old one is outside the window
    event, created = record_event(_event(EventKind.SOFT_BOUNCED, "c"))
    assert created
    suppression = Suppression.objects.get()
    assert (suppression.address, suppression.reason, suppression.event_id) == (
        "ada@example.org", "soft_bounces", event.pk)
    assert suppression.description.startswith("3 soft bounces within 30 days")


def test_the_payload_is_capped(ada, settings):
    settings.DJANGO_VOX_TRACKING_PAYLOAD_LIMIT = 100
    event, _created = record_event(_event(EventKind.DELIVERED, "big", payload={"x": "y" * 500}))
    assert event.payload["truncated"] is True and len(event.payload["text"]) == 100
    small, _created = record_event(_event(EventKind.OPENED, "small", payload={"x": 1}))
    assert small.payload == {"x": 1}


def test_an_address_is_suppressed_once_and_unknown_kinds_are_kept(ada):
    record_event(_event(EventKind.BOUNCED, "1"))
    record_event(_event(EventKind.COMPLAINED, "2"))
    assert Suppression.objects.get().reason == "bounced"
    event, _created = record_event(_event("exploded", "3"))
    assert event.kind == EventKind.UNKNOWN
