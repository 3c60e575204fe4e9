"""The bell's live count over server-sent events in a real Chromium, at 1024,
1280 and 1920 px: under a real ASGI server (uvicorn, ``asgi_server``) a
message sent to the signed-in user raises the count through the event stream,
without a reload and without a single poll, and the open stream holds no
database connection between its looks (PostgreSQL); under WSGI
(``live_server``) the stream is refused and the bell polls instead, and keeps
polling after the tab was hidden and shown again.
"""

import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.backends.signals import connection_created
from django.urls import reverse

import django_vox
from django_vox.models import Notification, Template
from tests.fixtures.workers import wait_until
from tests.inapp_helpers import inapp  # noqa: F401
from tests.support.seen import WIDTHS, on_screen, page_fits
from tests.test_inapp_browser import signed_in
from tests.testapp.models import Article

pytestmark = [pytest.mark.browser, pytest.mark.urls("tests.inapp_urls"),
              pytest.mark.usefixtures("inapp")]

BADGE = "[data-vox-count]"


@pytest.fixture
def news(transactional_db, settings):
    """Ann's article, whose "published" notification reaches her in-app;
    the bell in live SSE mode, looking every second."""
    settings.DJANGO_VOX_INAPP_LIVE = "sse"
    settings.DJANGO_VOX_INAPP_POLL_INTERVAL = 1
    ann = get_user_model().objects.create(username="ann", first_name="Ann")
    Template.objects.create(
        notification=Notification.objects.get_for_model(Article, "published"), backend="inapp",
        recipients="c:author", subject="New: {{ object.title }}", content="**{{ object.title }}**")
    return Article.objects.create(author=ann, title="Spring news")


def traffic(page):
    """The page's requests to the stream and to the count endpoint (polls),
    and the stream's responses, as they happen."""
    seen = {"stream": [], "polls": [], "streamed": []}
    stream, count = reverse("django_vox:inapp-stream"), reverse("django_vox:inapp-count")
    page.on("request", lambda request: (
        seen["stream"].append(request) if request.url.endswith(stream) else
        seen["polls"].append(request) if count in request.url else None))
    page.on("response", lambda response: (
        seen["streamed"].append(response) if response.url.endswith(stream) else None))
    return seen


@pytest.fixture
def server_connections():
    """The database connections opened outside the test's thread, by the
    server's (on PostgreSQL; SQLite in memory lends the server the test's)."""
    opened = []

    def record(sender, connection, **kwargs):
        if threading.current_thread() is not threading.main_thread():
            opened.append(connection)

    connection_created.connect(record, dispatch_uid="vox-test-server-connections")
    yield opened
    connection_created.disconnect(dispatch_uid="vox-test-server-connections")


def stays_on_the_page(page):
    """Mark the loaded document: a reload would lose the mark."""
    page.evaluate("window.voxTestMark = 'loaded once'")


def still_on_the_page(page):
    return page.evaluate("window.voxTestMark") == "loaded once"


@pytest.mark.parametrize("width", WIDTHS)
def test_under_asgi_the_count_rises_through_the_event_stream(asgi_page, news, width,
                                                            server_connections):
    from playwright.sync_api import expect

    page = asgi_page
    page.set_viewport_size({"width": width, "height": 800})
    for _ in range(2):  # N = 2 unread before the page opens
        django_vox.notify(news, "published")
    signed_in(page, news.author)
    seen = traffic(page)
    with page.expect_response(lambda r: r.url.endswith(reverse("django_vox:inapp-stream"))):
        page.goto("/bell/")
    badge = page.locator(BADGE)
    expect(badge).to_have_text("2")
    on_screen(page.locator("[data-vox-button]"), width)
    on_screen(badge, width)
    page_fits(page)
    stays_on_the_page(page)

    django_vox.notify(news, "published")  # through the inapp backend

    expect(badge).to_have_text("3")
    expect(page.locator("[data-vox-button]")).to_have_attribute(
        "aria-label", "Notifications, 3 unread")
    assert still_on_the_page(page)
    (request,) = seen["stream"]
    assert request.resource_type == "eventsource"
    (response,) = seen["streamed"]
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert seen["polls"] == []
    if connection.vendor == "postgresql":  # between two looks (one a second)
        assert server_connections
        wait_until(lambda: all(c.connection is None for c in server_connections),
                   timeout=15, interval=0.05,
                   what="the open stream to close its database connection")
        assert len(seen["streamed"]) == 1  # still the first stream
    assert page.js_errors == []


def set_hidden(page, hidden):
    """The tab hidden or shown again, as the browser tells the page."""
    page.evaluate("""hidden => {
        Object.defineProperty(document, "hidden", {configurable: true, get: () => hidden});
        document.dispatchEvent(new Event("visibilitychange"));
    }""", hidden)


def test_under_wsgi_the_stream_is_refused_and_the_bell_polls(page, live_server, news):
    from playwright.sync_api import expect

    page.set_viewport_size({"width": 1280, "height": 800})
    django_vox.notify(news, "published")
    signed_in(page, news.author)
    seen = traffic(page)
    page.clock.install()  # the bell's timers run when the test says
    with page.expect_response(
            lambda r: r.url.endswith(reverse("django_vox:inapp-stream"))) as refused:
        page.goto(live_server.url + "/bell/")
    assert refused.value.status == 501
    badge = page.locator(BADGE)
    expect(badge).to_have_text("1")
    page.wait_for_function("document.querySelector('[data-vox-bell]').voxBell.timer !== null")
    stays_on_the_page(page)

    django_vox.notify(news, "published")
    page.clock.run_for(1000)  # DJANGO_VOX_INAPP_POLL_INTERVAL
    expect(badge).to_have_text("2")
    assert len(seen["polls"]) == 1 and len(seen["stream"]) == 1  # no new try at the stream

    # Hidden, the bell does not poll; shown again, it polls at once and goes on.
    set_hidden(page, True)
    page.clock.run_for(1000)
    assert len(seen["polls"]) == 1
    django_vox.notify(news, "published")
    set_hidden(page, False)
    expect(badge).to_have_text("3")
    django_vox.notify(news, "published")
    page.clock.run_for(1000)
    expect(badge).to_have_text("4")
    assert still_on_the_page(page)
    assert page.js_errors == []
