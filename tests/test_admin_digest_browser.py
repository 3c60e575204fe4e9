"""The digest's preview in headless Chromium at 1024, 1280 and 1920 px: the
main preview's equal (sample and recipient choosers, From, To and Subject),
its items rendered from real objects for a real recipient, and the digest an
editor starts from short enough to read."""

import pytest
from django.contrib.auth import get_user_model

from django_vox.models import Notification, Template
from tests.support.seen import WIDTHS, on_screen, page_fits
from tests.test_admin_browser import BACKENDS
from tests.test_admin_editor_browser import log_in, screenshot_dir
from tests.testapp.models import Article

pytestmark = [pytest.mark.browser]


@pytest.fixture
def digest_template(transactional_db, settings):
    settings.DJANGO_VOX_BACKENDS = BACKENDS
    User = get_user_model()
    User.objects.create_superuser("boss", "boss@example.org", "pw")
    ann = User.objects.create(username="ann", email="ann@example.org", first_name="Ann")
    Article.objects.create(author=ann, title="Older news")
    Article.objects.create(author=ann, title="Spring news")
    notification = Notification.objects.get_for_model(Article, "published")
    return Template.objects.create(
        notification=notification, backend="locmem-html", recipients="c:author",
        subject="News: {{ object.title }}", delivery_mode="digest",
        content='<p>Hello {{ recipient.first_name }},</p><p>{{ object.title }} is out.</p>'
                '<p><a href="https://example.org/prefs/?subscriber={{ recipient.pk }}">'
                'Your settings</a></p>')


@pytest.mark.parametrize("width", WIDTHS)
def test_the_digest_preview_is_the_main_previews_equal(page, digest_template, width, tmp_path):
    from playwright.sync_api import expect

    page.set_viewport_size({"width": width, "height": 900})
    log_in(page)
    page.goto(f"/admin/django_vox/notification/{digest_template.notification_id}/change/")
    digest = page.locator("#templates-0 .field-digest_content")
    content = digest.locator("textarea[name=templates-0-digest_content]")
    # The digest an editor starts from reads in words: no loop to decipher.
    # The backend's content is HTML, so the generated digest is laid out in HTML.
    expect(content).to_have_value(
        '<p>{{ count }} notification{{ count|pluralize }} since '
        '{{ window.start|date:"DATETIME_FORMAT" }}:</p>\n{% digest_items html %}')
    preview = digest.locator(".vox-preview")
    frame = page.frame_locator("#templates-0 .field-digest_content .vox-preview-frame")
    body = frame.locator("body")
    expect(body).to_contain_text("Hello Ann,")
    expect(body).not_to_contain_text("Hello ,")
    # Items from real objects: the sample chosen and the next newest one.
    expect(body).to_contain_text("News: Spring news")
    expect(body).to_contain_text("News: Older news")
    expect(body).to_contain_text("2 notifications since")
    # The count a paragraph, each item's subject a heading over its HTML, a rule between.
    expect(frame.locator("body > p").first).to_contain_text("2 notifications since")
    expect(frame.locator("h3")).to_have_text(["News: Spring news", "News: Older news"])
    expect(frame.locator("hr")).to_have_count(1)
    expect(body).not_to_contain_text("---")
    ann = get_user_model().objects.get(username="ann")
    expect(frame.locator("a").first).to_have_attribute(
        "href", f"https://example.org/prefs/?subscriber={ann.pk}")
    # From, To, Subject and the choosers, as in the main preview.
    expect(preview.locator(".vox-message-to")).to_contain_text("Ann <ann@example.org>")
    expect(preview.locator(".vox-message-subject")).to_contain_text(
        "News: Spring news (and 1 more)")
    expect(preview.locator(".vox-message-from")).to_be_visible()
    expect(preview.locator(".vox-preview-samples")).to_contain_text("Spring news")
    expect(preview.get_by_label("Sample recipient")).to_have_value("ann@example.org")
    for part in (".vox-message-to", ".vox-message-subject", ".vox-preview-samples",
                 ".vox-preview-frame"):
        preview.locator(part).scroll_into_view_if_needed()
        on_screen(preview.locator(part), width)
    # Choosing another sample changes the first item.
    preview.locator(".vox-sample-object + .select2").click()
    page.locator(".select2-container--open .select2-search__field").fill("older")
    page.locator(".select2-results__option", has_text="Older news").click()
    expect(preview.locator(".vox-message-subject")).to_contain_text(
        "News: Older news (and 1 more)")
    page_fits(page)
    if width == 1280:
        preview.scroll_into_view_if_needed()
        page.screenshot(path=str(screenshot_dir(tmp_path) / "digest-preview.png"))
    assert page.js_errors == []
