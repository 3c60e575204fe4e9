"""The template editor's layout in headless Chromium, at the widths editors use.

Each template's content gets a full-width block under its label: toolbar,
text area, variable picker and a tall preview that follows the typing (from
1600 px on, the preview beside the text rather than under it).  The
screenshots land in ``$VOX_SCREENSHOT_DIR`` when it is set (the docs use them),
else in the test's temporary directory.
"""

import os
import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from django_vox.models import Notification, Template
from tests.test_admin_browser import BACKENDS
from tests.testapp.models import Article

pytestmark = [pytest.mark.browser]

WIDTHS = [1024, 1280, 1920]


def screenshot_dir(tmp_path):
    directory = os.environ.get("VOX_SCREENSHOT_DIR")
    path = Path(directory) if directory else tmp_path
    path.mkdir(parents=True, exist_ok=True)
    return path


def log_in(page, username="boss", password="pw"):
    page.goto("/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r"/admin/$"))


@pytest.fixture
def published(transactional_db, settings):
    settings.DJANGO_VOX_BACKENDS = BACKENDS
    User = get_user_model()
    User.objects.create_superuser("boss", "boss@example.org", "pw")
    author = User.objects.create(username="ann", email="ann@example.org", first_name="Ann")
    Article.objects.create(author=author, title="Spring news")
    notification = Notification.objects.get_for_model(Article, "published")
    Template.objects.create(notification=notification, backend="locmem-html",
                            recipients="c:author,c:subs", subject="News: {{ object.title }}",
                            content="<p>Dear reader, <strong>{{ object.title }}</strong></p>")
    Template.objects.create(notification=notification, backend="locmem-sms",
                            recipients="c:author", content="New: {{ object.title }}")
    return notification


def box(locator):
    result = locator.bounding_box()
    assert result is not None, f"{locator} is not displayed"
    return result


@pytest.mark.parametrize("width", WIDTHS)
def test_editor_block_is_full_width_with_a_tall_preview(page, published, width, tmp_path):
    from playwright.sync_api import expect

    page.set_viewport_size({"width": width, "height": 800})
    log_in(page)
    page.goto(f"/admin/django_vox/notification/{published.pk}/change/")
    for index in (0, 1):
        row = page.locator(f"#templates-{index}")
        content = row.locator(f"textarea[name=templates-{index}-content]")
        editor = row.locator(".vox-editor")
        preview = row.locator(".vox-preview-frame")
        label = row.locator(".field-content label").first
        expect(preview).to_be_visible()  # previewed on opening, without a click
        content_box, editor_box, label_box = box(content), box(editor), box(label)
        side_by_side = width >= 1600  # issue 30: the text and its preview side by side
        assert content_box["width"] >= (0.35 if side_by_side else 0.4) * width, (
            width, content_box)
        # The block sits under the label, and the text area fills it (or its half).
        assert editor_box["y"] >= label_box["y"] + label_box["height"] - 1
        share = 0.5 if side_by_side else 1
        assert content_box["width"] >= share * editor_box["width"] - 24
        for part in (".vox-toolbar", ".vox-picker"):
            part_box = box(row.locator(part))
            assert part_box["x"] >= editor_box["x"] - 1
            assert part_box["x"] + part_box["width"] <= editor_box["x"] + editor_box["width"] + 1
        preview_box = box(preview)
        if side_by_side:
            assert preview_box["x"] >= content_box["x"] + content_box["width"]
            assert preview_box["y"] < content_box["y"] + content_box["height"]
        else:
            assert preview_box["y"] >= content_box["y"] + content_box["height"]
        assert preview_box["height"] >= 500
        assert preview_box["width"] >= share * editor_box["width"] - 24
        # Nothing of the editor is off-screen to the right.
        assert editor_box["x"] + editor_box["width"] <= width
    frame = page.frame_locator("#templates-0 .vox-preview-frame")
    expect(frame.locator("body")).to_contain_text("Spring news")
    page.locator("#templates-0").scroll_into_view_if_needed()
    shots = screenshot_dir(tmp_path)
    page.screenshot(path=str(shots / f"editor-{width}.png"), full_page=True)
    page.locator("#templates-0").screenshot(path=str(shots / f"editor-template-{width}.png"))
    assert page.js_errors == []


def test_preview_follows_typing_and_backend_changes(page, published):
    from playwright.sync_api import expect

    page.set_viewport_size({"width": 1280, "height": 800})
    log_in(page)
    requests = []
    page.on("request", lambda request: requests.append(request.url)
            if "/preview/" in request.url else None)
    page.goto(f"/admin/django_vox/notification/{published.pk}/change/")
    row = page.locator("#templates-0")
    frame = page.frame_locator("#templates-0 .vox-preview-frame")
    expect(frame.locator("body")).to_contain_text("Spring news")
    opened = len(requests)

    content = row.locator("textarea[name=templates-0-content]")
    content.press("Control+End")
    content.type(" Goodbye now", delay=20)
    expect(frame.locator("body")).to_contain_text("Goodbye now")
    # Typing is debounced: one keystroke is not one request.
    assert len(requests) - opened < len(" Goodbye now")

    row.locator("select[name=templates-0-backend]").select_option("locmem-md")
    expect(row.locator(".vox-preview")).to_have_attribute("data-backend", "locmem-md")

    # A mistake shows as a readable error, then goes away when fixed.
    content.fill("Hello {% if %}")
    expect(row.locator(".vox-preview-error")).to_be_visible()
    expect(row.locator(".vox-preview-error")).to_contain_text("Content")
    content.fill("Hello {{ object.title }}")
    expect(row.locator(".vox-preview-error")).to_be_hidden()
    expect(frame.locator("body")).to_contain_text("Hello Spring news")
    assert page.js_errors == []


def test_toolbar_buttons_have_accessible_names(page, published):
    from playwright.sync_api import expect

    page.set_viewport_size({"width": 1280, "height": 800})
    log_in(page)
    page.goto(f"/admin/django_vox/notification/{published.pk}/change/")
    row = page.locator("#templates-0")
    for name in ("Bold", "Italic", "Paragraph", "Link", "Bulleted list"):
        expect(row.get_by_role("button", name=name, exact=True)).to_have_count(1)
    expect(row.get_by_role("combobox", name="Insert a variable")).to_have_count(1)


def test_a_refused_preview_shows_a_readable_error(page, published):
    """A response that is not JSON (here a 403 after logging out in another tab)
    shows the status in words, not a SyntaxError."""
    from playwright.sync_api import expect

    page.set_viewport_size({"width": 1280, "height": 800})
    log_in(page)
    page.goto(f"/admin/django_vox/notification/{published.pk}/change/")
    row = page.locator("#templates-0")
    expect(page.frame_locator("#templates-0 .vox-preview-frame").locator("body")).to_contain_text(
        "Spring news")
    page.context.clear_cookies()
    row.locator("textarea[name=templates-0-content]").fill("Changed")
    error = row.locator(".vox-preview-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("403")
    expect(error).not_to_contain_text("SyntaxError")


def test_template_headings_are_words_that_follow_the_form(page, published):
    from playwright.sync_api import expect

    page.set_viewport_size({"width": 1280, "height": 800})
    log_in(page)
    page.goto(f"/admin/django_vox/notification/{published.pk}/change/")
    row = page.locator("#templates-0")
    heading = row.locator("h3 .inline_label")
    expect(heading).to_contain_text("HTML email (test) → ")
    expect(heading).not_to_contain_text("locmem-html")
    row.locator("select[name=templates-0-backend]").select_option("locmem-md")
    expect(heading).to_contain_text("Markdown email (test) → ")
    box = row.locator(".field-recipients input[type=checkbox]").first
    box.check()
    first_label = box.locator("xpath=..").inner_text().strip()
    expect(heading).to_contain_text(first_label)


def test_the_editor_speaks_the_catalogs_language(page, published):
    """editor.js takes its words from gettext: django-vox's JavaScript catalog
    (here answered by the test with two German words) changes them."""
    from playwright.sync_api import expect

    page.set_viewport_size({"width": 1280, "height": 800})
    log_in(page)
    # As a catalog with translations does, it installs gettext (the admin's
    # jQuery setup replaces window.django, so a catalog cannot just add words).
    catalog = ('const words = {"Preview": "Vorschau", "Bold": "Fett"};'
               'window.gettext = function (text) { return words[text] || text; };')
    page.route("**/django_vox/notification/jsi18n/",
               lambda route: route.fulfill(body=catalog, content_type="text/javascript"))
    page.goto(f"/admin/django_vox/notification/{published.pk}/change/")
    row = page.locator("#templates-0")
    expect(row.locator(".vox-preview-title")).to_have_text("Vorschau")
    expect(row.get_by_role("button", name="Fett", exact=True)).to_have_count(1)
    assert page.js_errors == []


def test_the_catalog_url_answers(page, published):
    log_in(page)
    response = page.request.get("/admin/django_vox/notification/jsi18n/")
    assert response.ok and "django.gettext" in response.text()


def test_backends_that_need_a_form_say_so_under_the_content(page, published, settings):
    from playwright.sync_api import expect

    settings.DJANGO_VOX_BACKENDS = [*BACKENDS, "django_vox.backends.json_webhook.Backend"]
    page.set_viewport_size({"width": 1280, "height": 800})
    log_in(page)
    page.goto(f"/admin/django_vox/notification/{published.pk}/change/")
    expect(page.locator("#templates-1 .vox-backend-help")).to_contain_text("160 characters")
    row = page.locator("#templates-0")
    help_text = row.locator(".vox-backend-help")
    expect(help_text).to_be_hidden()  # HTML email needs no help
    row.get_by_label("Delivery method").select_option(label="JSON webhook")
    expect(help_text).to_be_visible()
    expect(help_text).to_contain_text("key: value")
    expect(row.locator("textarea[name=templates-0-content]")).to_have_attribute(
        "aria-describedby", re.compile("backend-help"))


def test_the_picker_inserts_a_loop_for_a_list(page, published):
    from playwright.sync_api import expect

    page.set_viewport_size({"width": 1280, "height": 800})
    log_in(page)
    page.goto(f"/admin/django_vox/notification/{published.pk}/change/")
    row = page.locator("#templates-1")
    content = row.locator("textarea[name=templates-1-content]")
    content.fill("")
    picker = row.get_by_role("combobox", name="Insert a variable")
    expect(picker.locator("option[value='object.editors']")).to_contain_text("(a list)")
    picker.select_option("object.editors")
    expect(content).to_have_value("{% for item in object.editors %}{{ item }}{% endfor %}")
    # No secret is offered: the users' password (hash) is not in the list.
    expect(picker.locator("option[value$='.password']")).to_have_count(0)


def test_digest_fields_show_only_for_the_modes_and_windows_that_use_them(page, published):
    from playwright.sync_api import expect

    page.set_viewport_size({"width": 1280, "height": 800})
    log_in(page)
    page.goto(f"/admin/django_vox/notification/{published.pk}/change/")
    row = page.locator("#templates-0")
    window, weekday = row.locator(".field-digest_window"), row.locator(".field-digest_weekday")
    digest_content, time = row.locator(".field-digest_content"), row.locator(".field-digest_time")
    expect(window).to_be_hidden()  # sent immediately: nothing about digests
    expect(digest_content).to_be_hidden()
    row.get_by_label("When to send").select_option("digest")
    expect(window).to_be_visible()
    expect(digest_content).to_be_visible()
    expect(time).to_be_visible()  # daily by default: at a time, on no particular day
    expect(weekday).to_be_hidden()
    row.get_by_label("Digest window").select_option("weekly")
    expect(weekday).to_be_visible()
    row.get_by_label("Digest window").select_option("hourly")
    expect(time).to_be_hidden()
    row.get_by_label("When to send").select_option("immediately")
    expect(window).to_be_hidden()


def test_the_digest_has_its_own_editor_picker_and_preview(page, published, tmp_path):
    """Choosing a digest gives its content the same editor block: a picker of
    the digest's variables and a preview of the digest, its items rendered
    from the template's own subject and content, following the typing."""
    from playwright.sync_api import expect

    page.set_viewport_size({"width": 1280, "height": 800})
    log_in(page)
    page.goto(f"/admin/django_vox/notification/{published.pk}/change/")
    row = page.locator("#templates-0")
    digest = row.locator(".field-digest_content")
    expect(digest.locator(".vox-editor")).to_have_count(0)  # sent immediately: no digest editor
    row.get_by_label("When to send").select_option(label="In a digest")
    expect(digest.locator(".vox-editor")).to_be_visible()
    expect(digest.get_by_role("button", name="Bold", exact=True)).to_have_count(1)
    content = digest.locator("textarea[name=templates-0-digest_content]")
    content_box = box(content)
    assert content_box["width"] >= 0.4 * 1280, content_box
    frame = page.frame_locator("#templates-0 .field-digest_content .vox-preview-frame")
    # The default digest lists the sample items, rendered from the template's own content.
    expect(frame.locator("body")).to_contain_text("Dear reader, Spring news")

    picker = digest.get_by_role("combobox", name="Insert a digest variable")
    expect(picker.locator("option[value='item.object.title']")).to_have_count(1)
    expect(picker.locator("option[value='window.start']")).to_have_count(1)
    content.fill("")
    picker.select_option("count")
    expect(content).to_have_value("{{ count }}")
    content.press("End")
    content.type(" updates:{% for item in items %} [{{ item.subject }}]{% endfor %}", delay=5)
    expect(frame.locator("body")).to_contain_text(
        "2 updates: [News: Spring news] [News: Spring news]")
    # The items follow the template's own subject.
    row.locator("input[name=templates-0-subject]").fill("Fresh: {{ object.title }}")
    expect(frame.locator("body")).to_contain_text("[Fresh: Spring news]")

    error = digest.locator(".vox-preview-error")
    content.fill("{{ count }} {% for item in items %}")
    expect(error).to_be_visible()
    expect(error).to_contain_text("Digest content")
    page.locator("#templates-0 .field-digest_content").scroll_into_view_if_needed()
    shots = screenshot_dir(tmp_path)
    page.screenshot(path=str(shots / "digest-editor-1280.png"))
    content.fill("{{ count }} items")
    expect(error).to_be_hidden()
    expect(frame.locator("body")).to_contain_text("2 items")
    # The template's own preview is still there, and shows one message.
    expect(page.frame_locator("#templates-0 .field-content .vox-preview-frame").locator(
        "body")).to_contain_text("Dear reader")
    assert page.js_errors == []
