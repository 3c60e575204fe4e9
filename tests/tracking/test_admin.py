"""Tracking in the admin and on the preferences page: the log's "provider
said" column and filter, a delivery's timeline, the suppression list and its
"lift" action (which asks for a note), the events (unknown messages apart),
and a suppressed recipient finding out how to get messages again."""

import pytest
from django.contrib.auth import get_user_model

from django_vox.models import Delivery, DeliveryEvent, Suppression
from django_vox.preferences import Owner, make_preferences_token
from django_vox.tracking.models import EventKind
from django_vox.tracking.recorder import TrackedEvent, record_event
from django_vox.tracking.suppression import suppress

pytestmark = pytest.mark.django_db


@pytest.fixture
def boss(client):
    user = get_user_model().objects.create_superuser("boss", "boss@example.org", "pw")
    client.force_login(user)
    return user


def _sent(address, message_id, subject):
    return Delivery.objects.create(backend="locmem", protocol="email", to_addresses=[address],
                                   status=Delivery.SENT, provider_message_id=message_id,
                                   message={"subject": subject, "text": "x"})


@pytest.fixture
def tracked(db):
    rows = {"ann": _sent("ann@example.org", "m-ann", "Delivered and read"),
            "bob": _sent("bob@example.org", "m-bob", "Bounced"),
            "cat": _sent("cat@example.org", "m-cat", "Complained"),
            "dan": _sent("dan@example.org", "m-dan", "Nothing heard")}
    for kind, who, key in [(EventKind.DELIVERED, "ann", 1), (EventKind.OPENED, "ann", 2),
                           (EventKind.CLICKED, "ann", 3), (EventKind.BOUNCED, "bob", 4),
                           (EventKind.COMPLAINED, "cat", 5)]:
        record_event(TrackedEvent(provider="postmark", kind=kind, message_id=f"m-{who}",
                                  event_key=str(key), description=f"{kind} of {who}"))
    record_event(TrackedEvent(provider="postmark", kind=EventKind.DELIVERED,
                              message_id="m-unknown", event_key="6"))
    return rows


def test_the_log_sums_up_what_providers_said(boss, client, tracked):
    page = client.get("/admin/django_vox/delivery/").content.decode()
    assert "provider said" in page.lower()
    assert page.count('class="vox-said vox-said-delivered"') == 1
    assert 'class="vox-said vox-said-opened"' in page and 'vox-said-clicked' in page
    assert 'vox-said-bounced' in page and 'vox-said-complained' in page


@pytest.mark.parametrize("value, expected", [
    ("delivered", ["ann"]), ("bounced", ["bob"]), ("complained", ["cat"]), ("opened", ["ann"]),
    ("clicked", ["ann"]), ("none", ["dan"])])
def test_the_log_filters_by_what_providers_said(boss, client, tracked, value, expected):
    response = client.get(f"/admin/django_vox/delivery/?provider_said={value}")
    shown = {name for name, row in tracked.items()
             if f"/admin/django_vox/delivery/{row.pk}/change/" in response.content.decode()}
    assert sorted(shown) == expected


def test_a_delivery_page_shows_its_timeline(boss, client, tracked):
    page = client.get(f"/admin/django_vox/delivery/{tracked['ann'].pk}/change/").content.decode()
    assert "What the provider said" in page
    timeline = page[page.index('class="vox-timeline"'):]
    assert timeline.index("delivered of ann") < timeline.index("opened of ann") < \
        timeline.index("clicked of ann")
    assert "m-ann" in page  # the provider message id
    quiet = client.get(f"/admin/django_vox/delivery/{tracked['dan'].pk}/change/").content
    assert b"What the provider said" not in quiet


def test_events_list_keeps_unknown_messages_apart(boss, client, tracked):
    page = client.get("/admin/django_vox/deliveryevent/?matched=no").content.decode()
    assert "unknown message m-unknown" in page and "m-ann" not in page
    assert client.get("/admin/django_vox/deliveryevent/add/").status_code == 403


def test_suppressions_are_searched_and_lifted_with_a_note(boss, client, tracked):
    listing = client.get("/admin/django_vox/suppression/?q=bob").content.decode()
    assert "bob@example.org" in listing and "cat@example.org" not in listing
    bob = Suppression.objects.get(address="bob@example.org")
    action = {"action": "lift_suppressions", "_selected_action": [str(bob.pk)]}
    asked = client.post("/admin/django_vox/suppression/", action)
    assert asked.status_code == 200 and b"Why may these addresses get messages again?" in \
        asked.content
    empty = client.post("/admin/django_vox/suppression/", {**action, "apply": "1", "note": ""})
    assert empty.status_code == 200 and b"This field is required" in empty.content
    assert Suppression.objects.get(pk=bob.pk).lifted_at is None
    done = client.post("/admin/django_vox/suppression/",
                       {**action, "apply": "1", "note": "Bob fixed his mailbox"}, follow=True)
    assert b"1 suppression lifted" in done.content
    bob.refresh_from_db()
    assert (bob.lifted_by, bob.lift_note) == ("boss", "Bob fixed his mailbox")
    assert bob.lifted_at is not None
    lifted = client.get("/admin/django_vox/suppression/?active=no").content.decode()
    body = lifted.split("<tbody>")[1].split("</tbody>")[0]
    assert "bob@example.org" in body and "lifted " in body and "cat@example.org" not in body


def test_a_suppression_added_by_hand_is_normalised(boss, client):
    response = client.post("/admin/django_vox/suppression/add/", {
        "protocol": "email", "address": "Eve <EVE@Example.org>", "reason": "manual",
        "description": "asked us by phone"})
    assert response.status_code == 302
    assert Suppression.objects.get().address == "eve@example.org"


def test_the_preferences_page_tells_how_to_get_messages_again(client, settings):
    settings.SITE_DOMAIN = "example.org"
    user = get_user_model().objects.create(username="ann", email="ann@example.org")
    suppress("email", "ann@example.org", Suppression.BOUNCED)
    url = "/vox/preferences/" + make_preferences_token(Owner.of_instance(user)) + "/"
    page = client.get(url).content.decode()
    assert "Addresses we no longer send to" in page
    assert "messages to it could not be delivered" in page
    assert "Send to ann@example.org again" in page
    other = suppress("email", "zed@example.org", Suppression.BOUNCED)[0]
    # Only the owner's own suppressions can be lifted from their page.
    client.post(url, {"resume": str(other.pk)})
    assert Suppression.objects.get(pk=other.pk).lifted_at is None
    mine = Suppression.objects.get(address="ann@example.org")
    response = client.post(url, {"resume": str(mine.pk)})
    assert response.status_code == 302 and response["Location"].endswith("?resumed=1")
    mine.refresh_from_db()
    assert mine.lifted_at is not None and "preferences page" in mine.lift_note
    assert "Addresses we no longer send to" not in client.get(url).content.decode()


def test_signals_tell_sites_of_suppressions(db):
    seen = []
    from django_vox.tracking import signals

    signals.address_suppressed.connect(lambda sender, **kw: seen.append(kw["suppression"]),
                                       weak=False, dispatch_uid="test-suppressed")
    try:
        suppress("sms", "+1 202 555 0100", Suppression.STOPPED)
        suppress("sms", "+12025550100", Suppression.STOPPED)  # already: no second signal
    finally:
        signals.address_suppressed.disconnect(dispatch_uid="test-suppressed")
    assert [(s.address, s.reason) for s in seen] == [("+12025550100", "stopped")]
    assert DeliveryEvent.objects.count() == 0
