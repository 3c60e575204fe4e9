"""The delivery log in headless Chromium at 1024, 1280 and 1920 px: status
and delivery method on screen and whole, long errors shortened (in full on
the delivery's page), filters naming each backend and protocol once, and a
failed resend saying why."""

import uuid

import pytest
from django.contrib.auth import get_user_model

from django_vox.backends import locmem
from django_vox.exceptions import InvalidAddress
from django_vox.models import Delivery, Notification, Template
from tests.support.seen import WIDTHS, not_covered, on_screen, page_fits, unclipped
from tests.test_admin_editor_browser import log_in, screenshot_dir
from tests.testapp.models import Article

pytestmark = [pytest.mark.browser]

LONG_ERROR = ("Invalid address 'hooks.example.org/services/T000/B000/XXXXXXXXXXXXXXXX' for "
              "protocol 'slack-webhook': only http and https URLs can be reached, and this "
              "one names no scheme at all, so nothing was sent")


class RefusingSlackBackend(locmem.SlackBackend):
    """Slack in memory, refusing a webhook URL without a scheme as the real one does."""

    def deliver(self, address, message):
        if "://" not in address:
            raise InvalidAddress(address, "only http and https URLs can be reached",
                                 protocol=self.PROTOCOL)
        super().deliver(address, message)


@pytest.fixture
def log(transactional_db, settings):
    settings.DJANGO_VOX_BACKENDS = ["django_vox.backends.locmem.Backend",
                                    "tests.test_admin_deliveries_browser.RefusingSlackBackend"]
    get_user_model().objects.create_superuser("boss", "boss@example.org", "pw")
    published = Notification.objects.get_for_model(Article, "published")
    template = Template.objects.create(notification=published, backend="locmem",
                                       recipients="c:subs", content="Hi")
    for number in range(5):  # five deliveries by one backend: listed once in the filter
        Delivery.objects.create(notification=published, template=template, backend="locmem",
                                protocol="email", to_addresses=[f"reader{number}@example.org"],
                                message={"subject": f"Spring news {number}", "text": "Hi"},
                                status=Delivery.SENT)
    failed = Delivery.objects.create(
        notification=published, backend="locmem-slack-webhook", protocol="slack-webhook",
        to_addresses=["hooks.example.org/services/T000/B000/XXXXXXXXXXXXXXXX"],
        message={"text": "Spring news is out"}, status=Delivery.FAILED, attempts=1,
        error=LONG_ERROR, issue_id=uuid.uuid4())
    Delivery.objects.create(
        notification=published, template=template, backend="locmem", protocol="email",
        to_addresses=["held@example.org"], message={"subject": "Held news", "text": "Hi"},
        status=Delivery.HELD, digest_key=f"{template.pk}/email:held@example.org")
    return failed


@pytest.mark.parametrize("width", WIDTHS)
def test_the_log_is_readable_and_its_filters_list_each_value_once(page, log, width, tmp_path):
    from playwright.sync_api import expect

    page.set_viewport_size({"width": width, "height": 900})
    log_in(page)
    page.goto("/admin/django_vox/delivery/")
    listing = page.locator("#result_list")
    expect(listing).to_contain_text("Spring news 4")
    page_fits(page)
    for row in listing.locator("tbody tr").all():
        for column in ("field-backend_name", "field-outcome", "field-recipients"):
            on_screen(row.locator(f"td.{column}"), width)
    unclipped(listing.locator("td, th"))
    unclipped(page.locator("#changelist .results"))  # no scroll box around the table
    not_covered(listing.locator("td.field-backend_name, td.field-outcome, td.field-recipients"))
    failed_row = listing.locator("tr", has_text="hooks.example.org")
    outcome = failed_row.locator("td.field-outcome")
    expect(outcome).to_contain_text("Failed")
    expect(outcome).to_contain_text("for Slack")  # the protocol in words
    expect(outcome).not_to_contain_text("slack-webhook")
    expect(outcome).to_contain_text("…")  # shortened
    # Filters: each backend and protocol once.
    for title in ("By backend", "By protocol"):
        choices = page.locator("#changelist-filter details", has_text=title).locator("li a")
        names = choices.all_inner_texts()
        assert len(names) == len(set(names)), f"{title}: {names}"
    backend_choices = page.locator("#changelist-filter details", has_text="By backend")
    expect(backend_choices.locator("li a")).to_have_text(
        ["All", "In-memory (tests)", "In-memory slack-webhook (tests)"])
    protocol_choices = page.locator("#changelist-filter details", has_text="By protocol")
    expect(protocol_choices.locator("li a")).to_have_text(["All", "Email", "Slack"])
    if width == 1024:
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(screenshot_dir(tmp_path) / "log-1024.png"))
    assert page.js_errors == []


@pytest.mark.parametrize("width", WIDTHS)
def test_a_failed_delivery_page_and_resend_say_why(page, log, width, tmp_path):
    from playwright.sync_api import expect

    page.set_viewport_size({"width": width, "height": 900})
    log_in(page)
    page.goto("/admin/django_vox/delivery/")
    page.locator("#result_list tr", has_text="hooks.example.org").locator("a").first.click()
    body = page.locator("#content")
    expect(body).to_contain_text(LONG_ERROR)  # the whole error, technical detail included
    expect(body.get_by_role("link", name="All deliveries of this issue")).to_be_visible()
    page_fits(page)
    page.get_by_role("button", name="Resend").click()
    message = page.locator(".messagelist")
    expect(message).to_contain_text("0 messages resent, 1 failed")
    expect(message).to_contain_text("Why: Invalid address")
    expect(message).to_contain_text("for Slack")
    on_screen(message, width)
    if width == 1280:
        page.screenshot(path=str(screenshot_dir(tmp_path) / "log-resend-failed.png"))
    # The held message's digest, in words with a link to its notification.
    page.goto("/admin/django_vox/delivery/")
    page.locator("#result_list tr", has_text="Held news").locator("a").first.click()
    digest = page.locator(".field-digest_words")
    expect(digest).to_contain_text("Email to held@example.org")
    expect(digest.get_by_role("link", name="An article was published")).to_be_visible()
    expect(page.locator("#content")).not_to_contain_text("/email:")
    assert page.js_errors == []
