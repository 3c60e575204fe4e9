"""The admin pages of issue 30 in headless Chromium at 1024, 1280 and 1920 px,
as an editor sees them: names in words (notifications, models, protocols),
the editor's subject box and, on wide screens, the text beside its preview,
the note of a refused save beside the field, a picker that offers each thing
once, an untouched template saved byte for byte, the one-time message and the
preference form in the admin's layout."""

import django
import pytest
from django.contrib.auth import get_user_model

from django_vox.models import Notification, SiteContact, Template
from tests.support.seen import WIDTHS, on_screen, page_fits
from tests.test_admin_browser import BACKENDS, choose_by_search
from tests.test_admin_editor_browser import log_in, screenshot_dir
from tests.testapp.models import Article, Subscriber

pytestmark = [pytest.mark.browser]

STORED = "<p>Dear reader,</p>\n<p>{{ object.title }}</p>\n"


@pytest.fixture
def site(transactional_db, settings):
    settings.DJANGO_VOX_BACKENDS = BACKENDS + ["django_vox.backends.locmem.JsonWebhookBackend"]
    User = get_user_model()
    User.objects.create_superuser("boss", "boss@example.org", "pw")
    ann = User.objects.create(username="ann", email="ann@example.org", first_name="Ann")
    Article.objects.create(author=ann, title="Spring news")
    published = Notification.objects.get_for_model(Article, "published")
    Template.objects.create(notification=published, backend="locmem-html", recipients="c:author",
                            subject="News: {{ object.title }}", content=STORED)
    SiteContact.objects.create(name="Team", protocol="slack-webhook",
                               address="https://hooks.example.org/team")
    SiteContact.objects.create(name="Hook", protocol="json-webhook",
                               address="https://hooks.example.org/json")
    return published


def change_page(page, notification):
    page.goto(f"/admin/django_vox/notification/{notification.pk}/change/")
    return page.locator("#templates-0")


@pytest.mark.parametrize("width", WIDTHS)
def test_notifications_are_named_in_words(page, site, width):
    from playwright.sync_api import expect

    page.set_viewport_size({"width": width, "height": 900})
    log_in(page)
    page.goto("/admin/django_vox/notification/")
    listing = page.locator("#result_list")
    expect(listing).to_contain_text("New subscriber")  # SignalRegistration's "created"
    expect(listing).not_to_contain_text("Created")
    expect(page.locator("#changelist-filter")).to_contain_text("Article")
    expect(page.locator("body")).not_to_contain_text("Testapp | article")
    page_fits(page)
    # The name for recipients is edited on the notification's page and kept.
    listing.get_by_role("link", name="New subscriber").click()
    name = page.get_by_label("Name for recipients")
    expect(name).to_have_value("New subscriber")
    expect(page.locator(".field-object_type_words")).to_contain_text("Subscriber")
    name.fill("Welcome aboard")
    page.get_by_role("button", name="Save", exact=True).click()
    message = page.locator(".messagelist .success")
    expect(message).to_contain_text("“Welcome aboard” was changed successfully")
    expect(message).not_to_contain_text("testapp.")
    from django.core.management import call_command
    call_command("make_notifications", verbosity=0)  # the sync keeps the editor's name
    assert Notification.objects.get(codename="created", object_type__model="subscriber"
                                    ).name == "Welcome aboard"
    # Site contacts: protocols by name in the list and its filter.
    page.goto("/admin/django_vox/sitecontact/")
    protocol_filter = page.locator("#changelist-filter details", has_text="By protocol")
    expect(protocol_filter.locator("li a")).to_have_text(["All", "JSON webhook", "Slack"])
    expect(page.locator("#content")).not_to_contain_text("slack-webhook")
    expect(page.locator("#content")).not_to_contain_text("json-webhook")
    assert page.js_errors == []


@pytest.mark.parametrize("width", WIDTHS)
def test_the_editor_layout_and_an_untouched_save(page, site, width, tmp_path):
    from playwright.sync_api import expect

    page.set_viewport_size({"width": width, "height": 900})
    log_in(page)
    row = change_page(page, site)
    subject = row.locator("input[name=templates-0-subject]")
    expect(row.locator(".vox-message-subject")).to_contain_text("News: Spring news")
    subject_box = on_screen(subject, width)
    assert subject_box["width"] >= min(560, 0.45 * width), subject_box  # a whole subject
    content = on_screen(row.locator("textarea[name=templates-0-content]"), width)
    preview = on_screen(row.locator(".field-content .vox-preview-frame"), width)
    if width >= 1600:  # side by side, both on screen at once
        assert preview["x"] >= content["x"] + content["width"], (content, preview)
        assert preview["y"] < content["y"] + content["height"]
    else:  # the preview under the text, full width
        assert preview["y"] >= content["y"] + content["height"]
    page_fits(page)
    if width == 1920:
        row.scroll_into_view_if_needed()
        page.screenshot(path=str(screenshot_dir(tmp_path) / "editor-1920.png"))
    # Saving without touching the template keeps its bytes (\n, final newline).
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist .success")).to_be_visible()
    assert Template.objects.get().content == STORED
    assert page.js_errors == []


@pytest.mark.parametrize("width", WIDTHS)
def test_a_refused_save_says_so_beside_the_field(page, site, width):
    from playwright.sync_api import expect

    page.set_viewport_size({"width": width, "height": 900})
    log_in(page)
    row = change_page(page, site)
    row.locator("textarea[name=templates-0-content]").fill("Hi {% if %}")
    page.get_by_role("button", name="Save and continue editing").click()
    note = page.locator("p.errornote", has_text="Please correct")
    expect(note).to_contain_text("Please correct the error below")
    error = page.locator("#templates-0 .errorlist").first
    expect(error).to_be_visible()
    note_box, error_box = note.bounding_box(), error.bounding_box()
    assert 0 <= note_box["y"] < 900 and 0 <= error_box["y"] < 900, (note_box, error_box)
    assert error_box["y"] - (note_box["y"] + note_box["height"]) < 200
    assert Template.objects.get().content == STORED
    assert page.js_errors == []


@pytest.mark.parametrize("width", WIDTHS)
def test_the_picker_offers_each_thing_once_in_words(page, site, width):
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page)
    row = change_page(page, site)
    picker = row.get_by_role("combobox", name="Insert a variable")
    on_screen(picker, width)
    groups = picker.locator("optgroup").evaluate_all(
        "gs => gs.map(g => [g.label, [...g.querySelectorAll('option')].map(o => o.value)])")
    for label, paths in groups:
        assert len(paths) == len(set(paths)), label
    paths = [path for _label, group in groups for path in group]
    assert "object.pk" in paths and "object.id" not in paths
    assert "notification.codename" not in paths and "notification.activity_type" not in paths
    assert "notification.name" in paths
    labels = picker.locator("option").all_inner_texts()
    assert not [text for text in labels if "codename" in text or "activity type" in text]
    assert page.js_errors == []


@pytest.mark.parametrize("width", WIDTHS)
def test_the_preference_form_reads_as_the_admin(page, site, width):
    from playwright.sync_api import expect

    ada = Subscriber.objects.create(name="Ada Lovelace", email="ada@example.org")
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page)
    page.goto("/admin/django_vox/preference/add/")
    for label in ("Kind of owner:", "Notification:", "Protocol:", "Address:"):
        expect(page.locator("label", has_text=label).first).to_be_visible()
    address = page.locator(".form-row.field-address")
    expect(address).to_be_visible()  # no kind chosen: an address
    page.locator("select[name=owner_type]").select_option(label="Subscriber")
    expect(address).to_be_hidden()
    choose_by_search(page, "owner_id", "love", "Ada Lovelace")
    page.locator("select[name=protocol]").select_option(label="Email")
    page_fits(page)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist .success")).to_contain_text("Subscriber #")
    expect(page.locator(".messagelist .success")).not_to_contain_text("testapp.")
    expect(page.locator("#result_list")).to_contain_text("Subscriber: Ada Lovelace")
    assert ada.pk
    assert page.js_errors == []


@pytest.mark.urls("tests.test_admin_actions")
@pytest.mark.parametrize("width", WIDTHS)
def test_the_one_time_message_reads_as_the_admin(page, transactional_db, width, tmp_path):
    from playwright.sync_api import expect

    get_user_model().objects.create_superuser("boss", "boss@example.org", "pw")
    Subscriber.objects.create(name="Ann", email="ann@example.org")
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page)
    page.goto("/admin/testapp/subscriber/")
    page.locator("#action-toggle").check()
    page.locator("select[name=action]").select_option("notify")
    page.locator("button[name=index]").click()
    form = page.locator(".vox-editor-form")
    expect(form.locator(".vox-toolbar")).to_be_visible()
    labels = [text.strip() for text in form.locator("label").all_inner_texts()]
    for label in ("Delivery method:", "From address:", "Subject:", "Message:"):
        assert label in labels, labels
    # The admin's aligned form: label and field side by side, as the admin's
    # own forms up to Django 6.0; from 6.1 the admin stacks them, and so do we.
    label_box = form.locator("label[for=id_subject]").bounding_box()
    field_box = on_screen(form.locator("input[name=subject]"), width)
    if django.VERSION >= (6, 1):
        assert field_box["y"] >= label_box["y"] + label_box["height"] - 1
        assert abs(field_box["x"] - label_box["x"]) < 5
    else:
        assert field_box["x"] > label_box["x"] + label_box["width"] - 1
        assert abs(field_box["y"] - label_box["y"]) < 20
    form.locator("textarea[name=body]").fill("Hello")
    expect(form.locator(".vox-message-from")).to_contain_text("webmaster@localhost")
    page_fits(page)
    if width == 1280:
        page.screenshot(path=str(screenshot_dir(tmp_path) / "one-time.png"), full_page=True)
    assert page.js_errors == []
