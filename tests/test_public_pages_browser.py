"""The recipients' pages in headless Chromium, through Django's security and
CSRF middleware as a site deploys them (tests/settings.py: SecurityMiddleware,
CsrfViewMiddleware, CSRF_TRUSTED_ORIGINS unset): every public form is
submitted by the browser and what was saved is still there after a reload.

Django's test client sends no Origin header, so only a browser shows whether
the pages' Referrer-Policy makes Chromium post ``Origin: null`` (which the
CSRF check refuses).  The screenshots are the ones in docs/preferences.rst
(``VOX_SCREENSHOT_DIR=docs/_static/preferences``).
"""

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from django_vox import preferences
from django_vox.models import Notification, Preference, Template
from tests.support.seen import WIDTHS, on_screen, page_fits, unclipped
from tests.test_admin_editor_browser import screenshot_dir
from tests.testapp.models import Article, Profile, Subscriber

pytestmark = [pytest.mark.browser]


def test_the_site_is_set_up_as_deployed():
    assert "django.middleware.security.SecurityMiddleware" in django_settings.MIDDLEWARE
    assert "django.middleware.csrf.CsrfViewMiddleware" in django_settings.MIDDLEWARE
    assert not getattr(django_settings, "CSRF_TRUSTED_ORIGINS", [])


@pytest.fixture
def sam(transactional_db):
    """A subscriber with email and SMS, offered "published" on both (email
    with digests)."""
    sub = Subscriber.objects.create(name="Sam", email="sam@example.org", phone="+15550001111")
    published = Notification.objects.get_for_model(Article, "published")
    Template.objects.create(notification=published, backend="locmem", recipients="c:subs",
                            content="Hello", allow_digests=True)
    Template.objects.create(notification=published, backend="locmem-sms", recipients="c:subs",
                            content="Hello")
    return sub


def published():
    return Notification.objects.get_for_model(Article, "published")


def cells(page):
    """The preferences form's controls by their accessible names."""
    email = page.get_by_label("An article was published: Email")
    sms = page.get_by_label("An article was published: Text message (SMS)")
    return email, sms


def assert_readable(page, width):
    page_fits(page)
    on_screen(page.locator("main"), width)
    unclipped(page.locator("th, td, p, h1, button"))


@pytest.mark.parametrize("width", WIDTHS)
def test_signed_preferences_page_saves_in_a_browser(page, sam, width, tmp_path):
    from playwright.sync_api import expect

    page.set_viewport_size({"width": width, "height": 800})
    token = preferences.make_preferences_token(preferences.Owner.of_instance(sam))
    url = reverse("django_vox:preferences-signed", args=[token])
    response = page.goto(url)
    assert response.headers["referrer-policy"] == "same-origin"
    email, sms = cells(page)
    expect(page.locator("thead")).to_contain_text("Email")
    expect(page.locator("thead")).to_contain_text("Text message (SMS)")
    assert_readable(page, width)
    email.select_option(label="Daily digest")
    sms.uncheck()
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="Save").click()
    assert posted.value.status == 302, posted.value.text()  # not a CSRF 403
    expect(page.get_by_role("status")).to_have_text("Your preferences were saved.")
    page.reload()
    email, sms = cells(page)
    expect(email).to_have_value("daily")
    expect(sms).not_to_be_checked()
    owner = preferences.Owner.of_instance(sam)
    assert preferences.is_enabled(owner, published(), "sms") is False
    assert set(Preference.objects.values_list("protocol", "enabled", "delivery")) == {
        ("email", True, "daily"), ("sms", False, "")}
    if width == 1280:
        page.screenshot(path=str(screenshot_dir(tmp_path) / "preferences.png"))
    assert page.js_errors == []


@pytest.mark.parametrize("width", WIDTHS)
def test_unsubscribe_page_unsubscribes_in_a_browser(page, sam, width, tmp_path):
    from playwright.sync_api import expect

    page.set_viewport_size({"width": width, "height": 800})
    owner = preferences.Owner.of_instance(sam)
    token = preferences.make_unsubscribe_token(owner, published(), "email")
    page.goto(reverse("django_vox:unsubscribe", args=[token]))
    expect(page.locator("main")).to_contain_text(
        "Stop receiving “An article was published” (Email)?")
    assert_readable(page, width)
    if width == 1280:
        page.screenshot(path=str(screenshot_dir(tmp_path) / "unsubscribe.png"))
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="Unsubscribe").click()
    assert posted.value.status == 200
    expect(page.locator("h1")).to_have_text("You are unsubscribed")
    assert_readable(page, width)
    assert preferences.is_enabled(owner, published(), "email") is False
    # The preferences page, reloaded, shows it off.
    page.goto(reverse("django_vox:preferences-signed",
                      args=[preferences.make_preferences_token(owner)]))
    email, _sms = cells(page)
    expect(email).to_have_value("off")
    assert page.js_errors == []


def test_one_click_post_through_the_middleware(page, sam):
    """RFC 8058: the mail provider posts the form body, without cookies."""
    owner = preferences.Owner.of_instance(sam)
    token = preferences.make_unsubscribe_token(owner, published(), "sms")
    response = page.request.post(reverse("django_vox:unsubscribe", args=[token]),
                                 form={"List-Unsubscribe": "One-Click"})
    assert response.status == 200, response.text()
    assert preferences.is_enabled(owner, published(), "sms") is False


@pytest.mark.parametrize("width", WIDTHS)
def test_signed_in_preferences_page_saves_in_a_browser(page, sam, width, live_server):
    from playwright.sync_api import expect

    user = get_user_model().objects.create(username="rita", email="rita@example.org")
    Profile.objects.create(user=user, phone="+15550002222")
    Template.objects.create(notification=published(), backend="locmem", recipients="c:author",
                            content="Hello")
    client = Client()
    client.force_login(user)
    page.context.add_cookies([{"name": django_settings.SESSION_COOKIE_NAME,
                               "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
                               "url": live_server.url}])
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(reverse("django_vox:preferences"))
    email, _sms = cells(page)
    assert_readable(page, width)
    expect(email).to_be_checked()
    email.uncheck()
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="Save").click()
    assert posted.value.status == 302, posted.value.text()
    # The POST's answer arrives before the browser has followed its redirect:
    # reloading then races that navigation (Chromium: "Not attached to an
    # active page").  The page the redirect lands on says it saved.
    expect(page.get_by_role("status")).to_have_text("Your preferences were saved.")
    page.reload()
    email, _sms = cells(page)
    expect(email).not_to_be_checked()
    assert preferences.is_enabled(preferences.Owner.of_instance(user), published(),
                                  "email") is False
    assert page.js_errors == []


def signed_in(page, live_server, user):
    client = Client()
    client.force_login(user)
    page.context.add_cookies([{"name": django_settings.SESSION_COOKIE_NAME,
                               "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
                               "url": live_server.url}])


def test_the_inbox_opens_and_marks_read_from_a_browser(page, transactional_db, live_server,
                                                      activity_settings, user_inboxes):
    """The inbox as a site's page reads it (fetch with the ActivityStreams
    type) and the outbox it posts "Read" to with the CSRF token, through the
    deployed middleware.  (The inbox is an ActivityStreams endpoint, not a
    page: opened as a page it answers 406 naming the type to ask for.)"""
    from django_vox.backends.activity import Backend
    from django_vox.models import Activity, InboxItem

    ann = get_user_model().objects.create(username="ann", email="ann@example.org")
    Template.objects.create(notification=published(), backend="locmem", recipients="c:author",
                            content="Hello")  # so her preferences page has a form
    backend = Backend()
    backend.send_message("", ["https://example.org/users/ann/"],
                         backend.build_message("", "Spring news", {}))
    activity = Activity.objects.get()
    signed_in(page, live_server, ann)
    page.goto(reverse("django_vox:preferences"))  # a page of the site: its CSRF cookie
    listed = page.evaluate("""async () => {
        const answer = await fetch("/vox/users/ann/inbox", {
            credentials: "same-origin", headers: {"Accept": "application/activity+json"}});
        return [answer.status, await answer.text()];
    }""")
    assert listed[0] == 200 and "Spring news" in listed[1], listed
    status = page.evaluate("""async (iri) => {
        const token = document.querySelector("[name=csrfmiddlewaretoken]");
        const cookie = document.cookie.split("; ").find(c => c.startsWith("csrftoken="));
        const answer = await fetch("/vox/users/ann/outbox", {
            method: "POST", credentials: "same-origin",
            headers: {"Content-Type": "application/activity+json",
                      "X-CSRFToken": token ? token.value : cookie.split("=")[1]},
            body: JSON.stringify({"@context": "https://www.w3.org/ns/activitystreams",
                                  "type": "Read", "object": iri})});
        return answer.status;
    }""", activity.get_iri())
    assert status == 204
    assert InboxItem.objects.for_owner(ann).get(activity=activity).read_at is not None
