"""``manage.py vox_send_digests --now ISO-TIME``: operators closing the windows due
at a given time, over the real SMTP fixture."""

import datetime as dt
import io
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import CommandError, call_command

from django_vox.management.commands.vox_send_digests import parse_now
from django_vox.models import Delivery, Template
from tests.backends.email_helpers import vox_email  # noqa: F401
from tests.testapp.models import Article, Subscriber
from tests.testapp.registrations import ArticleRegistration

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("vox_email")]
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture(autouse=True)
def _site(settings):
    settings.TIME_ZONE = "Europe/Paris"
    settings.SITE_DOMAIN = "news.example.org"


@pytest.fixture
def held(make_template, committed):
    """Two articles published on 2 March 2026 at 09:30 in Paris, held for the
    daily digest that closes on 3 March at 08:00 Paris time (07:00 UTC)."""
    reader = Subscriber.objects.create(name="R", email="r@example.org")
    make_template(Article, "published", backend="email-html", recipients="c:subs",
                  subject="New: {{ object.title }}", content="<p>Read {{ object.title }}</p>",
                  delivery_mode=Template.DIGEST, digest_window=Template.DAILY,
                  digest_time=dt.time(8, 0))
    author = Article._meta.get_field("author").related_model.objects.create(
        username="author", email="author@example.org")
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 30, tzinfo=PARIS), tick=True):
        for title in ("Alpha", "Beta"):
            article = Article.objects.create(author=author, title=title)
            with committed():
                ArticleRegistration.published.issue(article)
    assert Delivery.objects.filter(status=Delivery.HELD).count() == 2
    return reader


def run(*args):
    out = io.StringIO()
    call_command("vox_send_digests", *args, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize("now, due", [
    ("2026-03-03T07:59:59", False),         # naive: TIME_ZONE (Paris), a second early
    ("2026-03-03T08:00", True),             # naive: the window's end in Paris
    ("2026-03-03T06:59:59Z", False),        # aware: 07:59:59 in Paris
    ("2026-03-03T07:00:00+00:00", True),    # aware: 08:00 in Paris
    ("2026-03-03 09:00:00+01:00", True),
])
def test_now_closes_the_windows_due_at_that_time(held, smtp_server, now, due):
    # The real clock is still 2 March: only --now makes the window due.
    with time_machine.travel(dt.datetime(2026, 3, 2, 10, 0, tzinfo=PARIS), tick=True):
        output = run("--now", now)
    if not due:
        assert smtp_server.messages == []
        assert output.endswith("Sent 0 of 0 digest(s) holding 0 message(s); "
                               "0 failed, 0 suppressed (turned off since).\n")
        assert Delivery.objects.filter(status=Delivery.HELD).count() == 2
        return
    assert [m["To"] for m in smtp_server.messages] == ["r@example.org"]
    assert smtp_server.messages[0]["Subject"] == "New: Alpha (and 1 more)"
    assert output.splitlines()[-1] == ("Sent 1 of 1 digest(s) holding 2 message(s); "
                                       "0 failed, 0 suppressed (turned off since).")
    assert output.startswith("Windows due at 2026-03-03T")
    assert Delivery.objects.filter(status=Delivery.DIGESTED).count() == 2


def test_without_now_the_current_time_decides(held, smtp_server):
    with time_machine.travel(dt.datetime(2026, 3, 2, 10, 0, tzinfo=PARIS), tick=True):
        assert run() == ("Sent 0 of 0 digest(s) holding 0 message(s); "
                         "0 failed, 0 suppressed (turned off since).\n")
    with time_machine.travel(dt.datetime(2026, 3, 3, 8, 0, 1, tzinfo=PARIS), tick=True):
        run()
    assert len(smtp_server.messages) == 1


@pytest.mark.parametrize("value, message", [
    ("tomorrow", "--now 'tomorrow' is not an ISO 8601 date and time"),
    ("03/03/2026 08:00", "--now '03/03/2026 08:00' is not an ISO 8601 date and time"),
    ("2026-02-30T08:00", "--now '2026-02-30T08:00' is not a valid date and time"),
    ("2026-03-03T25:00", "--now '2026-03-03T25:00' is not a valid date and time"),
])
def test_a_bad_now_is_a_clear_command_error(held, smtp_server, value, message):
    with pytest.raises(CommandError, match="^" + re.escape(message)):
        run("--now", value)
    assert smtp_server.messages == []
    assert Delivery.objects.filter(status=Delivery.HELD).count() == 2


def test_now_without_time_zone_support_is_a_naive_local_time(settings):
    settings.USE_TZ = False
    assert parse_now("2026-03-03T07:00:00+00:00") == dt.datetime(2026, 3, 3, 8, 0)
    assert parse_now("2026-03-03T08:00") == dt.datetime(2026, 3, 3, 8, 0)


def test_a_date_alone_is_midnight_in_the_site_time_zone():
    assert parse_now("2026-03-03") == dt.datetime(2026, 3, 3, tzinfo=PARIS)
