"""The delivery log in a browser at 1280 px: what providers said (delivered,
bounced, complained, opened) shown in the list, and a delivery's timeline.
The screenshots are the ones in docs/admin.rst
(``VOX_SCREENSHOT_DIR=docs/_static/admin``)."""

import pytest
from django.contrib.auth import get_user_model

from django_vox.models import Delivery, Notification
from django_vox.tracking.models import EventKind
from django_vox.tracking.recorder import TrackedEvent, record_event
from tests.test_admin_editor_browser import log_in, screenshot_dir
from tests.testapp.models import Article

pytestmark = [pytest.mark.browser]


@pytest.fixture
def log(transactional_db):
    get_user_model().objects.create_superuser("boss", "boss@example.org", "pw")
    published = Notification.objects.get_for_model(Article, "published")
    said = [("ada@example.org", [EventKind.DELIVERED, EventKind.OPENED, EventKind.CLICKED]),
            ("bert@example.org", [EventKind.BOUNCED]),
            ("cleo@example.org", [EventKind.DELIVERED, EventKind.COMPLAINED]),
            ("dora@example.org", [EventKind.DELIVERED])]
    rows = {}
    for number, (address, kinds) in enumerate(said):
        rows[address] = Delivery.objects.create(
            notification=published, backend="locmem", protocol="email",
            to_addresses=[address], status=Delivery.SENT, provider_message_id=f"pm-{number}",
            message={"subject": "Spring news", "text": "Read it"})
        for step, kind in enumerate(kinds):
            record_event(TrackedEvent(provider="postmark", kind=kind, message_id=f"pm-{number}",
                                      event_key=f"{number}-{step}",
                                      description={EventKind.BOUNCED: "550 5.1.1 no such user",
                                                   EventKind.COMPLAINED: "marked as spam"
                                                   }.get(kind, "")))
    return rows


def test_the_log_shows_what_providers_said_at_1280(page, log, tmp_path):
    from playwright.sync_api import expect

    shots = screenshot_dir(tmp_path)
    page.set_viewport_size({"width": 1280, "height": 800})
    log_in(page)
    page.goto("/admin/django_vox/delivery/")
    table = page.locator("#result_list")
    for address, said in [("ada@example.org", "delivered · opened · clicked"),
                          ("bert@example.org", "bounced"), ("cleo@example.org", "complained"),
                          ("dora@example.org", "delivered")]:
        expect(table.locator("tr", has_text=address).locator(".vox-provider-said")) \
            .to_have_text(said)
    # Under the status, so the list still fits: nothing is cut off at 1280 px.
    assert page.evaluate("document.querySelector('.results').scrollWidth <= "
                         "document.querySelector('.results').clientWidth")
    page.screenshot(path=str(shots / "tracking-log.png"))
    page.goto("/admin/django_vox/delivery/?provider_said=bounced")
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    page.goto(f"/admin/django_vox/delivery/{log['cleo@example.org'].pk}/change/")
    timeline = page.locator(".vox-timeline li")
    expect(timeline).to_have_count(2)
    expect(timeline.nth(1)).to_contain_text("complained (postmark): marked as spam")
    page.locator(".vox-delivery-events").screenshot(path=str(shots / "tracking-timeline.png"))
