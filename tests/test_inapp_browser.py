"""The bell in a real Chromium at 1280 px: the count rises after ``notify()``
without a reload, the list opens, one message is marked read, then all.

The screenshots land in ``$VOX_SCREENSHOT_DIR`` when it is set (docs/in-app.rst
uses them from docs/_static/inapp/), else in the test's temporary directory.
"""

import re

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.test import Client

import django_vox
from django_vox.inapp.models import InAppMessage
from django_vox.models import Notification, Template
from tests.inapp_helpers import inapp  # noqa: F401
from tests.test_admin_editor_browser import screenshot_dir
from tests.testapp.models import Article

pytestmark = [pytest.mark.browser, pytest.mark.urls("tests.inapp_urls"),
              pytest.mark.usefixtures("inapp")]


def signed_in(page, user):
    """Give the browser the session of ``user`` (as signing in would)."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value,
                               "url": page.base_url}])


@pytest.fixture
def base_url(live_server):
    return live_server.url


def test_the_bell_follows_new_messages_and_marks_them_read(page, transactional_db, settings,
                                                           live_server, tmp_path):
    settings.DJANGO_VOX_INAPP_POLL_INTERVAL = 1
    page.set_viewport_size({"width": 1280, "height": 800})
    User = get_user_model()
    ann = User.objects.create(username="ann", first_name="Ann")
    article = Article.objects.create(author=ann, title="Spring news")
    Template.objects.create(
        notification=Notification.objects.get_for_model(Article, "published"), backend="inapp",
        recipients="c:author", subject="New: {{ object.title }}",
        content="Hello {{ recipient.first_name }}, **{{ object.title }}** is out.")
    signed_in(page, ann)
    page.goto(live_server.url + "/bell/")
    button = page.locator("[data-vox-button]")
    badge = page.locator("[data-vox-count]")
    assert button.get_attribute("aria-label") == "Notifications"
    assert badge.is_hidden()

    django_vox.notify(article, "published")  # no reload from here on
    page.wait_for_function("document.querySelector('[data-vox-count]').textContent === '1'")
    article.title = "Summer news"
    article.save()
    django_vox.notify(article, "published")
    page.wait_for_function("document.querySelector('[data-vox-count]').textContent === '2'")
    assert badge.is_visible()
    assert button.get_attribute("aria-label") == "Notifications, 2 unread"
    shots = screenshot_dir(tmp_path)
    page.screenshot(path=str(shots / "bell-count.png"),
                    clip={"x": 1040, "y": 0, "width": 240, "height": 56})

    button.click()
    assert button.get_attribute("aria-expanded") == "true"
    items = page.locator(".vox-bell__item")
    items.first.wait_for()
    assert items.count() == 2
    assert items.nth(0).locator(".vox-bell__item-title").text_content() == "New: Summer news"
    assert items.nth(0).locator(".vox-bell__body strong").text_content() == "Summer news"
    page.wait_for_function("!document.querySelector('.vox-bell__item[data-state=\"unseen\"]')")
    assert not InAppMessage.objects.filter(seen_at__isnull=True).exists()
    page.screenshot(path=str(shots / "bell-open.png"), clip={"x": 780, "y": 0,
                                                             "width": 500, "height": 420})

    items.nth(1).locator(".vox-bell__main").click()  # the older one: marked read
    page.wait_for_function("document.querySelector('[data-vox-count]').textContent === '1'")
    assert items.nth(1).get_attribute("data-state") == "read"
    assert button.get_attribute("aria-label") == "Notifications, 1 unread"
    assert InAppMessage.objects.get(title="New: Spring news").read_at is not None

    page.locator("[data-vox-read-all]").click()
    page.wait_for_function("document.querySelector('[data-vox-count]').hidden")
    assert button.get_attribute("aria-label") == "Notifications"
    assert InAppMessage.objects.unread().count() == 0

    page.keyboard.press("Escape")
    assert page.locator("[data-vox-panel]").is_hidden()
    assert page.evaluate("document.activeElement.hasAttribute('data-vox-button')")

    page.goto(live_server.url + "/vox/inapp/")
    assert page.locator(".vox-inapp__item").count() == 2
    page.screenshot(path=str(shots / "inapp-page.png"))
    assert page.js_errors == []
    assert re.search(r"Summer news", page.content())
