"""End to end in headless Chromium: an editor changes a notification's copy and
issues it, the way a non-programmer would."""

import re

import pytest
from django.contrib.auth import get_user_model

from django_vox.backends import locmem
from django_vox.messages import Message
from django_vox.models import Notification, Template
from tests.testapp.models import Article

pytestmark = [pytest.mark.browser]


class HtmlBackend(locmem.Backend):
    """An email backend edited as HTML (like html_email), kept in the outbox."""

    ID = "locmem-html"
    VERBOSE_NAME = "HTML email (test)"
    EDITOR_TYPE = "html"
    ESCAPE_HTML = True

    def build_message(self, subject, body, parameters, attachments=()):
        html = self.render(body, parameters)
        return Message(subject=self.render_subject(subject, parameters), text=html, html=html,
                       attachments=list(attachments))

    def format_preview(self, message):
        return f"<h1 class='subject'>{message.subject}</h1>{message.html}"


class MarkdownBackend(locmem.Backend):
    ID = "locmem-md"
    VERBOSE_NAME = "Markdown email (test)"
    EDITOR_TYPE = "markdown"
    USE_ATTACHMENTS = False
    USE_FROM_ADDRESS = False


BACKENDS = [
    "django_vox.backends.locmem.Backend",
    "django_vox.backends.locmem.SmsBackend",
    "django_vox.backends.locmem.SlackBackend",
    "tests.test_admin_browser.HtmlBackend",
    "tests.test_admin_browser.MarkdownBackend",
]


def choose_by_search(page, name, term, text):
    """Pick ``text`` in the select2 search box of the field ``name``."""
    page.locator(f"select[name={name}] + .select2").click()
    search = page.locator(".select2-container--open .select2-search__field")
    search.fill(term)
    page.locator(".select2-results__option", has_text=text).click()


def test_edit_preview_save_and_issue_in_a_real_browser(page, transactional_db, settings):
    from playwright.sync_api import expect

    settings.DJANGO_VOX_BACKENDS = BACKENDS
    User = get_user_model()
    User.objects.create_superuser("boss", "boss@example.org", "pw")
    author = User.objects.create(username="ann", email="ann@example.org", first_name="Ann")
    Article.objects.create(author=author, title="Spring news")
    published = Notification.objects.get_for_model(Article, "published")
    template = Template.objects.create(notification=published, backend="locmem",
                                       recipients="c:author", subject="Hi", content="Hello")

    # Log in and open the notification.
    page.goto("/admin/login/?next=/admin/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", "pw")
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r"/admin/$"))
    page.goto(f"/admin/django_vox/notification/{published.pk}/change/")
    row = page.locator("#templates-0")
    backend = row.locator("select[name=templates-0-backend]")
    subject = row.locator(".field-subject")
    from_address = row.locator(".field-from_address")
    attachments = row.locator(".field-attachments")
    content = row.locator("textarea[name=templates-0-content]")
    expect(row.get_by_label("Author of the article")).to_be_checked()

    # Switching backends shows only the fields each one uses.
    for backend_id, subject_shown, from_shown, attachments_shown, editor in [
        ("locmem", True, True, True, "basic"),
        ("locmem-sms", False, True, False, "basic"),
        ("locmem-slack-webhook", False, False, False, "basic"),
        ("locmem-md", True, False, False, "markdown"),
        ("locmem-html", True, True, True, "html"),
    ]:
        backend.select_option(backend_id)
        for locator, shown in ((subject, subject_shown), (from_address, from_shown),
                               (attachments, attachments_shown)):
            (expect(locator).to_be_visible if shown else expect(locator).to_be_hidden)()
        expect(content).to_have_attribute("data-editor", editor)
        expect(row.locator(".vox-toolbar")).to_have_attribute("data-editor", editor)
    expect(row.locator(".vox-toolbar .vox-tool")).to_have_count(5)  # the HTML buttons

    # A template added on the page gets the same editor.
    page.locator("#templates-group .add-row a").click()
    added = page.locator("#templates-1")
    added.locator("select[name=templates-1-backend]").select_option("locmem-sms")
    expect(added.locator(".field-subject")).to_be_hidden()
    expect(added.locator("select.vox-picker option[value='object.title']")).to_have_count(1)
    added.locator(".inline-deletelink").click()
    expect(page.locator("#templates-1")).to_have_count(0)

    # Write HTML with the toolbar and the variable picker, at the cursor.
    content.fill("<p>Dear reader, ")
    row.locator(".vox-tool", has_text="B").click()
    picker = row.locator("select.vox-picker")
    picker.select_option("object.title")
    expect(content).to_have_value("<p>Dear reader, <strong>{{ object.title }}</strong>")
    content.press("Control+End")
    content.type("</p>")
    # The picker offers the recipient's fields for the ticked channels, but
    # not for bulk templates, which have no single recipient.
    expect(picker.locator("option[value='recipient.first_name']")).to_have_count(1)
    row.locator("input[name=templates-0-bulk]").check()
    expect(picker.locator("option[value='recipient.first_name']")).to_have_count(0)
    row.locator("input[name=templates-0-bulk]").uncheck()

    # Preview the unsaved template as the recipient would see it.
    row.locator("input[name=templates-0-subject]").fill("News: {{ object.title }}")
    row.locator(".vox-preview-button").click()
    frame = page.frame_locator("#templates-0 .vox-preview-frame")
    expect(frame.locator("strong")).to_have_text("Spring news")
    expect(row.locator(".vox-message-subject")).to_contain_text("News: Spring news")
    # A broken template previews as an error, not a page error.
    row.locator("input[name=templates-0-subject]").fill("News {% if %}")
    row.locator(".vox-preview-button").click()
    expect(row.locator(".vox-preview-error")).to_contain_text("Subject")

    # Saving with the syntax error reports it on the template.
    page.click("input[name=_continue]")
    expect(page.locator("#templates-0 .errorlist")).to_contain_text("This template has an error")
    template.refresh_from_db()
    assert template.backend == "locmem"  # nothing was saved

    # Fix it and save.
    row = page.locator("#templates-0")
    row.locator("input[name=templates-0-subject]").fill("News: {{ object.title }}")
    page.click("input[name=_continue]")
    expect(page.locator(".messagelist .success")).to_be_visible()
    template.refresh_from_db()
    assert (template.backend, template.subject, template.content) == (
        "locmem-html", "News: {{ object.title }}",
        "<p>Dear reader, <strong>{{ object.title }}</strong></p>")

    # Issue it for the article and find the message delivered.
    page.click("a.vox-issue-link")
    choose_by_search(page, "objects", "spring", "Spring news")
    page.click("input[name=issue]")
    expect(page.locator(".messagelist")).to_contain_text("1 message(s) sent, 0 failed")
    assert [(m.backend, m.to, m.subject, m.html) for m in locmem.outbox] == [
        ("locmem-html", ["ann@example.org"], "News: Spring news",
         "<p>Dear reader, <strong>Spring news</strong></p>")]
    assert page.js_errors == []
