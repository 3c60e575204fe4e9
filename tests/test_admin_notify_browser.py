"""The one-time message in headless Chromium: the same editor, variable list
and preview as templates, and only the backends the selection can receive."""

import pytest
from django.contrib.auth import get_user_model

from django_vox.backends import locmem
from tests.test_admin_editor_browser import log_in, screenshot_dir
from tests.testapp.models import Subscriber

# The admin site of tests.test_admin_actions lists subscribers with the action.
pytestmark = [pytest.mark.browser, pytest.mark.urls("tests.test_admin_actions")]


def test_one_time_message_with_editor_and_preview(page, transactional_db, tmp_path):
    from playwright.sync_api import expect

    get_user_model().objects.create_superuser("boss", "boss@example.org", "pw")
    Subscriber.objects.create(name="Ann", email="ann@example.org")
    Subscriber.objects.create(name="Bob", email="bob@example.org")
    page.set_viewport_size({"width": 1280, "height": 800})
    log_in(page)
    page.goto("/admin/testapp/subscriber/")
    page.locator("#action-toggle").check()
    page.locator("select[name=action]").select_option("notify")
    page.locator("button[name=index]").click()

    form = page.locator(".vox-editor-form")
    backend = form.locator("select[name=backend]")
    # Subscribers have email addresses only: no SMS, Slack or webhook.
    expect(backend.locator("option")).to_have_text(["In-memory (tests)"])
    expect(form.locator(".vox-toolbar")).to_be_visible()
    content = form.locator("textarea[name=body]")
    content.fill("Dear ")
    form.get_by_role("combobox", name="Insert a variable").select_option("recipient.name")
    form.locator("input[name=subject]").fill("News for you")
    frame = page.frame_locator(".vox-editor-form .vox-preview-frame")
    expect(frame.locator("body")).to_contain_text("Dear Ann")  # the first selected
    expect(form.locator(".vox-message-to")).to_contain_text("Ann <ann@example.org>")
    form.get_by_label("Sample object").select_option(label="Bob")
    expect(frame.locator("body")).to_contain_text("Dear Bob")
    expect(form.locator(".vox-message-to")).to_contain_text("Bob <bob@example.org>")
    page.screenshot(path=str(screenshot_dir(tmp_path) / "one-time.png"), full_page=True)
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".messagelist")).to_contain_text("One-time message: 2 sent, 0 failed.")
    assert sorted(m.body for m in locmem.outbox) == ["Dear Ann", "Dear Bob"]
    assert page.js_errors == []
