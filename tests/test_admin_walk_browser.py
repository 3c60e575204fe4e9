"""The whole job of an editor, alone in the admin, on a 1280×800 laptop.

Open a notification, switch its backend, insert a variable, type and watch the
preview follow with a named sample recipient, make a mistake and see it, save,
issue it for a chosen object, find the delivery by its subject and resend it;
nowhere a backend ID or a recipient code.  The screenshots are the ones in
docs/admin.rst (``VOX_SCREENSHOT_DIR=docs/_static/admin``).
"""

import re

import pytest
from django.contrib.auth import get_user_model

from django_vox.backends import locmem
from django_vox.exceptions import PermanentSendError
from django_vox.models import Delivery, Notification, Template
from tests.test_admin_browser import HtmlBackend, choose_by_search
from tests.test_admin_editor_browser import log_in, screenshot_dir
from tests.testapp.models import Article

pytestmark = [pytest.mark.browser]


class RefusingHtmlBackend(HtmlBackend):
    """HTML email that refuses the addresses in ``refuse`` (a full mailbox)."""

    refuse: set = set()

    def send(self, address, message):
        if address in self.refuse:
            raise PermanentSendError("552 mailbox full", status=552)
        super().send(address, message)


BACKENDS = ["django_vox.backends.locmem.Backend", "django_vox.backends.locmem.SmsBackend",
            "tests.test_admin_walk_browser.RefusingHtmlBackend"]

#: What must never be shown to an editor: backend IDs and recipient keys.
CODES = re.compile(r"\blocmem(-[\w-]+)?\b|\b(c|se|re):[a-z_]+\b|\[[\w-]+\]")


def assert_no_codes(page):
    page.wait_for_load_state("load")  # after the page's scripts have set it up
    text = page.locator("body").inner_text()
    found = CODES.search(text)
    assert found is None, f"{found.group()!r} shown on {page.url}"


@pytest.fixture
def site(transactional_db, settings):
    settings.DJANGO_VOX_BACKENDS = BACKENDS
    User = get_user_model()
    User.objects.create_superuser("boss", "boss@example.org", "pw")
    ann = User.objects.create(username="ann", email="ann@example.org", first_name="Ann")
    for number in range(40):  # more than a list of the newest would show
        Article.objects.create(author=ann, title=f"Older article {number}")
    article = Article.objects.create(author=ann, title="Spring news")
    Article.objects.create(author=ann, title="Newest article")
    published = Notification.objects.get_for_model(Article, "published")
    Template.objects.create(notification=published, backend="locmem", recipients="c:author",
                            subject="Hi", content="Hello")
    return published, article


def test_an_editor_does_the_whole_job_at_1280(page, site, tmp_path, settings):
    from playwright.sync_api import expect

    published, article = site
    shots = screenshot_dir(tmp_path)
    page.set_viewport_size({"width": 1280, "height": 800})
    log_in(page)

    # Open the notification by its name.
    page.goto("/admin/django_vox/notification/")
    page.get_by_role("link", name="An article was published").click()
    page.wait_for_url(re.compile(r"/notification/\d+/change/$"))
    assert_no_codes(page)
    row = page.locator("#templates-0")
    expect(row.locator("h3")).to_contain_text("In-memory (tests) → Author of the article")

    # Switch the backend, insert a variable, type.
    row.get_by_label("Delivery method").select_option(label="HTML email (test)")
    row.locator("input[name=templates-0-subject]").fill("News: ")
    row.locator("input[name=templates-0-subject]").press("End")
    picker = row.get_by_role("combobox", name="Insert a variable")
    picker.select_option("object.title")
    content = row.locator("textarea[name=templates-0-content]")
    content.fill("")
    content.type("<p>Dear ", delay=10)
    picker.select_option("recipient.first_name")
    content.press("Control+End")
    content.type(", we have published something new.</p>", delay=10)

    # The preview follows, for a sample named with a recipient named.
    frame = page.frame_locator("#templates-0 .vox-preview-frame")
    expect(frame.locator("p")).to_have_text("Dear Ann, we have published something new.")
    expect(row.locator(".vox-message-to")).to_contain_text("Ann <ann@example.org>")
    expect(row.locator(".vox-message-subject")).to_contain_text("News: Newest article")
    expect(row.locator(".vox-preview-samples")).to_contain_text("Newest article")
    # Choose another sample by searching.
    row.locator(".vox-sample-object + .select2").click()
    page.locator(".select2-container--open .select2-search__field").fill("spring")
    page.locator(".select2-results__option", has_text="Spring news").click()
    expect(row.locator(".vox-message-subject")).to_contain_text("News: Spring news")
    row.scroll_into_view_if_needed()
    assert_no_codes(page)
    page.screenshot(path=str(shots / "walk-editor.png"), full_page=False)
    row.screenshot(path=str(shots / "walk-template.png"))

    # A mistake shows, in words, before saving.
    content.press("Control+End")
    content.type("{{ object.title }", delay=10)
    error = row.locator(".vox-preview-error")
    expect(error).to_contain_text("is not closed")
    row.locator(".vox-preview").screenshot(path=str(shots / "walk-error.png"))
    content.press("Backspace")
    content.type("}}", delay=10)
    expect(error).to_be_hidden()

    # Save.
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist .success")).to_be_visible()
    template = Template.objects.get()
    assert (template.backend, template.subject) == ("locmem-html", "News: {{ object.title }}")
    assert_no_codes(page)

    # Issue it for one chosen article; Ann's mailbox is full.
    RefusingHtmlBackend.refuse = {"ann@example.org"}
    page.get_by_role("link", name="Issue…").click()
    expect(page.locator(".vox-issue-templates")).to_contain_text(
        "HTML email (test) → Author of the article")
    choose_by_search(page, "objects", "spring", "Spring news")
    assert_no_codes(page)
    page.screenshot(path=str(shots / "walk-issue.png"))
    page.get_by_role("button", name="Issue now").click()
    expect(page.locator(".messagelist")).to_contain_text("0 message(s) sent, 1 failed")
    assert locmem.outbox == []

    # Find the delivery by its subject and resend it once the mailbox is fixed.
    RefusingHtmlBackend.refuse = set()
    page.goto("/admin/")
    page.get_by_role("link", name="Deliveries").first.click()
    listing = page.locator("#result_list")
    expect(listing).to_contain_text("News: Spring news")
    expect(listing).to_contain_text("HTML email (test)")
    expect(listing.locator("td.field-outcome").first).to_contain_text("Failed")
    expect(listing.locator("td.field-outcome").first).to_contain_text("552 mailbox full")
    status = listing.locator("td.field-outcome").first.bounding_box()
    assert status["x"] + status["width"] <= 1280  # the error is on screen
    assert_no_codes(page)
    page.screenshot(path=str(shots / "walk-log.png"))
    listing.get_by_role("link", name="News: Spring news").click()  # with the notification
    expect(page.frame_locator(".vox-delivery-html").locator("p")).to_have_text(
        "Dear Ann, we have published something new.")
    assert_no_codes(page)
    page.screenshot(path=str(shots / "walk-delivery.png"))
    page.get_by_role("button", name="Resend").click()
    expect(page.locator(".messagelist")).to_contain_text("1 message resent, 0 failed.")
    assert [(m.to, m.subject) for m in locmem.outbox] == [
        (["ann@example.org"], "News: Spring news")]
    assert Delivery.objects.get().status == Delivery.SENT
    assert_no_codes(page)
    assert page.js_errors == []
