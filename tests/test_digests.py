"""Digests and throttling (issue 23): held messages, windows, closing, over real SMTP.

The clock is driven by time-machine; messages go to the aiosmtpd fixture.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import checks
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from django_vox.background import tasks
from django_vox.digests import closing as digests
from django_vox.digests import holding
from django_vox.issuing.dispatch import BackendSession
from django_vox.models import Delivery, Preference, Template
from django_vox.preferences import Owner, PreferenceMatrix, make_preferences_token
from tests.backends.email_helpers import parts, vox_email  # noqa: F401
from tests.testapp.models import Article, Subscriber
from tests.testapp.registrations import ArticleRegistration

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("vox_email")]
PARIS = ZoneInfo("Europe/Paris")


def at(*args):
    """The clock set to a wall-clock time in Paris (the site's time zone here); it
    ticks on from there, so messages issued one after the other keep their order."""
    return time_machine.travel(dt.datetime(*args, tzinfo=PARIS), tick=True)


@pytest.fixture(autouse=True)
def _site(settings):
    settings.TIME_ZONE = "Europe/Paris"
    settings.SITE_DOMAIN = "news.example.org"


@pytest.fixture
def readers(db):
    return [Subscriber.objects.create(name=f"R{i}", email=f"r{i}@example.org") for i in range(2)]


@pytest.fixture
def digest_template(make_template, readers):
    return make_template(Article, "published", backend="email-html", recipients="c:subs",
                         subject="New: {{ object.title }}", content="<p>Read {{ object.title }}</p>",
                         delivery_mode=Template.DIGEST, digest_window=Template.DAILY,
                         digest_time=dt.time(8, 0))


def _author():
    return Article._meta.get_field("author").related_model.objects.get_or_create(
        username="author", defaults={"email": "author@example.org"})[0]


def publish(committed, *titles):
    author = _author()
    articles = [Article.objects.create(author=author, title=title) for title in titles]
    for article in articles:
        with committed():
            ArticleRegistration.published.issue(article)
    return articles


# -- windows --------------------------------------------------------------------------------
@pytest.mark.parametrize("kind, now, start, end", [
    ("hourly", (2026, 3, 2, 9, 10), (2026, 3, 2, 9, 0), (2026, 3, 2, 10, 0)),
    ("daily", (2026, 3, 2, 9, 10), (2026, 3, 2, 8, 0), (2026, 3, 3, 8, 0)),
    ("daily", (2026, 3, 2, 7, 59), (2026, 3, 1, 8, 0), (2026, 3, 2, 8, 0)),
    ("weekly", (2026, 3, 4, 12, 0), (2026, 3, 2, 8, 0), (2026, 3, 9, 8, 0)),  # Wed → Mon
    # Across the change to summer time (29 March 2026 in Paris): still 08:00 local.
    ("daily", (2026, 3, 28, 9, 0), (2026, 3, 28, 8, 0), (2026, 3, 29, 8, 0)),
])
def test_windows_are_in_the_site_time_zone(settings, kind, now, start, end):
    got = holding.window(kind, dt.datetime(*now, tzinfo=PARIS), at=dt.time(8), weekday=0)
    assert got == (dt.datetime(*start, tzinfo=PARIS), dt.datetime(*end, tzinfo=PARIS))


# -- the daily digest, end to end over SMTP ----------------------------------------------------
def test_daily_digest_sends_one_message_per_recipient_next_morning(
        digest_template, readers, smtp_server, committed):
    with at(2026, 3, 2, 9, 30):
        publish(committed, "Alpha", "Beta")
    with at(2026, 3, 2, 18, 0):
        publish(committed, "Gamma")
        assert smtp_server.messages == []
        held = Delivery.objects.filter(status=Delivery.HELD)
        assert held.count() == 6
        assert {row.digest_key for row in held} == {
            f"{digest_template.pk}/email:r0@example.org",
            f"{digest_template.pk}/email:r1@example.org"}
        assert {row.digest_due for row in held} == {dt.datetime(2026, 3, 3, 8, tzinfo=PARIS)}
        call_command("vox_send_digests")  # not due yet
        assert smtp_server.messages == []
    with at(2026, 3, 3, 8, 0, 5):
        call_command("vox_send_digests")
    assert sorted(m["To"] for m in smtp_server.messages) == ["r0@example.org", "r1@example.org"]
    for message in smtp_server.messages:
        assert message["Subject"] == "New: Alpha (and 2 more)"
        text = parts(message)["text/plain"]
        assert text.index("Read Alpha") < text.index("Read Beta") < text.index("Read Gamma")
        assert text.startswith("3 notifications since")
        assert message["List-Unsubscribe"].strip().startswith(
            "<https://news.example.org/vox/unsubscribe/")
    digest_rows = Delivery.objects.filter(digest_items__isnull=False).distinct()
    assert digest_rows.count() == 2 and {r.status for r in digest_rows} == {Delivery.SENT}
    assert Delivery.objects.filter(status=Delivery.DIGESTED).count() == 6
    with at(2026, 3, 3, 9, 0):
        call_command("vox_send_digests")  # idempotent: nothing is left to send
    assert len(smtp_server.messages) == 2


def test_digest_template_written_by_the_editor(digest_template, readers, smtp_server, committed):
    digest_template.digest_subject = "{{ count }} articles for {{ recipient.name }}"
    digest_template.digest_content = ("{% for item in items %}<li>{{ item.object.title }}: "
                                      "{{ item.subject }}</li>{% endfor %}"
                                      "{{ window.name }} {{ window.end|date:'H:i' }}")
    digest_template.save()
    with at(2026, 3, 2, 9, 30):
        publish(committed, "Alpha", "Beta")
    with at(2026, 3, 3, 8, 1):
        digests.send_digests()
    message = next(m for m in smtp_server.messages if m["To"] == "r0@example.org")
    assert message["Subject"] == "2 articles for R0"
    html = parts(message)["text/html"]
    assert "<li>Alpha: New: Alpha</li><li>Beta: New: Beta</li>" in html
    assert "daily 08:00" in html


# -- immediately, then digest while busy ----------------------------------------------------
def test_busy_mode_sends_the_first_at_once_and_folds_the_rest(
        digest_template, readers, smtp_server, committed):
    digest_template.delivery_mode, digest_template.digest_window = Template.BUSY, Template.HOURLY
    digest_template.save()
    with at(2026, 3, 2, 9, 5):
        publish(committed, "One")
        assert len(smtp_server.messages) == 2  # the first of the window: at once
        publish(committed, "Two", "Three")
        assert len(smtp_server.messages) == 2
    with at(2026, 3, 2, 10, 0, 1):
        digests.send_digests()
        assert len(smtp_server.messages) == 4
        assert {m["Subject"] for m in smtp_server.messages[2:]} == {"New: Two (and 1 more)"}
    with at(2026, 3, 2, 10, 20):
        publish(committed, "Four")  # a new window: at once again
        assert len(smtp_server.messages) == 6


# -- throttling -------------------------------------------------------------------------------
@pytest.mark.parametrize("where", ["setting", "template"])
def test_messages_beyond_the_recipient_limit_are_folded_into_a_digest(
        where, settings, digest_template, readers, smtp_server, committed):
    digest_template.delivery_mode = Template.IMMEDIATELY
    if where == "setting":
        settings.DJANGO_VOX_RECIPIENT_LIMIT = "2/h"
    else:
        digest_template.recipient_limit = "2/h"
    digest_template.save()
    with at(2026, 3, 2, 9, 5):
        publish(committed, "A", "B", "C", "D", "E")
    to_r0 = [m for m in smtp_server.messages if m["To"] == "r0@example.org"]
    assert [m["Subject"] for m in to_r0] == ["New: A", "New: B"]
    held = Delivery.objects.filter(status=Delivery.HELD, contact_key="email:r0@example.org")
    assert held.count() == 3
    assert {row.digest_due for row in held} == {dt.datetime(2026, 3, 2, 10, tzinfo=PARIS)}
    with at(2026, 3, 2, 10, 0, 1):
        digests.send_digests()
    to_r0 = [m for m in smtp_server.messages if m["To"] == "r0@example.org"]
    assert to_r0[-1]["Subject"] == "New: C (and 2 more)" and len(to_r0) == 3


def test_a_bad_recipient_limit_is_a_check_error(settings):
    settings.DJANGO_VOX_RECIPIENT_LIMIT = "five an hour"
    errors = [m for m in checks.run_checks() if m.id == "django_vox.E030"]
    assert errors and "DJANGO_VOX_RECIPIENT_LIMIT" in errors[0].msg
    assert "'five an hour'" in errors[0].msg


def test_a_bad_template_recipient_limit_is_refused(digest_template):
    digest_template.recipient_limit = "lots"
    with pytest.raises(ValidationError, match="recipient_limit"):
        digest_template.full_clean()


# -- recipients' choices -------------------------------------------------------------------
def _choose(subscriber, notification, choice):
    matrix = PreferenceMatrix(Owner.of_instance(subscriber))
    return matrix.save([], choices={f"{notification.pk}:email": choice})


def test_recipient_chooses_a_weekly_digest_on_the_preferences_page(
        make_template, readers, smtp_server, committed):
    template = make_template(Article, "published", backend="email-html", recipients="c:subs",
                             subject="New: {{ object.title }}", content="<p>x</p>",
                             allow_digests=True, digest_weekday=4, digest_time=dt.time(17))
    notification = template.notification
    r0 = readers[0]
    page = Client().get(_preferences_url(r0)).content.decode()
    assert f'name="choice:{notification.pk}:email"' in page and "Weekly digest" in page
    assert _choose(r0, notification, "weekly") == 1
    assert Preference.objects.get().delivery == "weekly"
    with at(2026, 3, 2, 9, 0):  # a Monday
        publish(committed, "A", "B")
    assert [m["To"] for m in smtp_server.messages] == ["r1@example.org"] * 2
    with at(2026, 3, 6, 17, 0, 1):  # Friday 17:00
        digests.send_digests()
    assert smtp_server.messages[-1]["To"] == "r0@example.org"
    assert smtp_server.messages[-1]["Subject"] == "New: A (and 1 more)"


def _preferences_url(subscriber):
    return reverse("django_vox:preferences-signed",
                   args=[make_preferences_token(Owner.of_instance(subscriber))])


def test_switching_from_digest_to_immediately_mid_window_loses_nothing(
        digest_template, readers, smtp_server, committed):
    notification = digest_template.notification
    with at(2026, 3, 2, 9, 0):
        publish(committed, "Held")
    with at(2026, 3, 2, 12, 0):
        _choose(readers[0], notification, "immediately")
        publish(committed, "Now")
        assert [m["Subject"] for m in smtp_server.messages] == ["New: Now"]
    with at(2026, 3, 3, 8, 0, 1):
        digests.send_digests()
    to_r0 = [m["Subject"] for m in smtp_server.messages if m["To"] == "r0@example.org"]
    assert to_r0 == ["New: Now", "New: Held"]  # the held one in its digest, once
    to_r1 = [m["Subject"] for m in smtp_server.messages if m["To"] == "r1@example.org"]
    assert to_r1 == ["New: Held (and 1 more)"]


def test_turned_off_before_the_window_closes_sends_nothing(
        digest_template, readers, smtp_server, committed):
    with at(2026, 3, 2, 9, 0):
        publish(committed, "A", "B")
        _choose(readers[0], digest_template.notification, "off")
    with at(2026, 3, 3, 8, 0, 1):
        run = digests.send_digests()
    assert [m["To"] for m in smtp_server.messages] == ["r1@example.org"]
    assert (run.digests, run.items, run.suppressed) == (1, 4, 2)
    suppressed = Delivery.objects.filter(contact_key="email:r0@example.org")
    assert {row.status for row in suppressed} == {Delivery.SUPPRESSED}
    assert "turned this off" in suppressed[0].error


def test_the_unsubscribe_link_of_a_digest_turns_its_notification_off(
        digest_template, readers, smtp_server, committed):
    with at(2026, 3, 2, 9, 0):
        publish(committed, "A", "B")
    with at(2026, 3, 3, 8, 0, 1):
        digests.send_digests()
    message = next(m for m in smtp_server.messages if m["To"] == "r0@example.org")
    url = message["List-Unsubscribe"].strip()[1:-1].replace("https://news.example.org", "")
    assert Client().post(url, {"List-Unsubscribe": "One-Click"}).status_code == 200
    pref = Preference.objects.get()
    assert (pref.enabled, pref.notification, pref.protocol) == (
        False, digest_template.notification, "email")


# -- never lost, never twice -------------------------------------------------------------------
def test_two_schedulers_racing_send_each_digest_once(digest_template, readers, smtp_server,
                                                      committed, monkeypatch):
    with at(2026, 3, 2, 9, 0):
        publish(committed, "A", "B")
    real_claim = digests.claim_held
    second = []

    def claim_then_let_the_other_run(keys, now):
        taken = real_claim(keys, now)
        if not second:  # the other scheduler runs after this one has claimed
            second.append(None)
            second.append(digests.send_digests(now))
        return taken

    monkeypatch.setattr(digests, "claim_held", claim_then_let_the_other_run)
    with at(2026, 3, 3, 8, 0, 1):
        first = digests.send_digests()
    assert (first.digests, second[1].digests, second[1].items) == (2, 0, 0)
    assert sorted(m["To"] for m in smtp_server.messages) == ["r0@example.org", "r1@example.org"]


def test_a_crash_between_render_and_send_is_recovered_once(
        digest_template, readers, smtp_server, committed, monkeypatch):
    with at(2026, 3, 2, 9, 0):
        publish(committed, "A", "B")

    def killed(self, rows, messages):
        raise KeyboardInterrupt("worker killed")

    monkeypatch.setattr(BackendSession, "send", killed)
    with at(2026, 3, 3, 8, 0, 1), pytest.raises(KeyboardInterrupt):
        digests.send_digests()
    monkeypatch.undo()
    assert smtp_server.messages == []
    assert Delivery.objects.filter(status=Delivery.HELD).count() == 0
    queued = Delivery.objects.filter(status=Delivery.QUEUED)
    assert queued.count() == 2  # the rendered digests, logged before sending
    with at(2026, 3, 3, 8, 5):
        assert digests.send_digests().digests == 0  # their items are taken: never twice
    with at(2026, 3, 3, 8, 30):
        assert tasks.recover(in_background=False) == 2  # vox_recover sends them, once
        assert tasks.recover(in_background=False) == 0
    assert sorted(m["To"] for m in smtp_server.messages) == ["r0@example.org", "r1@example.org"]


def test_a_digest_that_fails_to_render_fails_its_items_not_the_run(
        digest_template, readers, smtp_server, committed, monkeypatch):
    # Issue 34: items no longer stay held run after run; they fail, resendable.
    with at(2026, 3, 2, 9, 0):
        publish(committed, "A")

    def broken(*args, **kwargs):
        raise RuntimeError("render failed")

    monkeypatch.setattr(digests, "_render", broken)
    with at(2026, 3, 3, 8, 0, 1):
        run = digests.send_digests()
    assert (run.digests, run.failed) == (0, 2)
    failed = Delivery.objects.filter(status=Delivery.FAILED)
    assert failed.count() == 2 and not Delivery.objects.filter(status=Delivery.HELD).exists()
    assert failed[0].error == "Its digest could not be made: RuntimeError: render failed"
    monkeypatch.undo()
    for row in failed:
        row.resend()
    assert sorted(m["To"] for m in smtp_server.messages) == ["r0@example.org", "r1@example.org"]


def test_items_held_long_ago_are_sent_in_the_next_digest(
        digest_template, readers, smtp_server, committed):
    with at(2026, 3, 2, 9, 0):
        publish(committed, "Old")
    with at(2026, 4, 20, 8, 0):  # the scheduler was down for seven weeks
        publish(committed, "New")
        run = digests.send_digests()
    assert (run.digests, run.items) == (2, 2)  # the old items; the new ones wait
    assert {m["Subject"] for m in smtp_server.messages} == {"New: Old"}
    with at(2026, 4, 21, 8, 0, 1):
        digests.send_digests()
    assert {m["Subject"] for m in smtp_server.messages[2:]} == {"New: New"}


def test_items_of_a_deleted_template_are_sent_on_their_own(
        digest_template, readers, smtp_server, committed):
    with at(2026, 3, 2, 9, 0):
        publish(committed, "A")
    digest_template.delete()
    with at(2026, 3, 3, 8, 0, 1):
        run = digests.send_digests()
    assert run.sent == 2 and {m["Subject"] for m in smtp_server.messages} == {"New: A"}


# -- scheduling ---------------------------------------------------------------------------------
def test_the_digest_task_reschedules_itself(settings, digest_template, readers, smtp_server,
                                            committed):
    framework = "django.tasks" if tasks.task.__module__.startswith("django.tasks") \
        else "django_tasks"
    settings.TASKS = {"default": {"BACKEND": f"{framework}.backends.dummy.DummyBackend"}}
    settings.DJANGO_VOX_DIGEST_INTERVAL = 600
    backend = tasks.task_backends["default"]
    backend.clear()
    with at(2026, 3, 2, 9, 0):
        publish(committed, "A")
    with at(2026, 3, 3, 8, 0, 1):
        first = tasks.start_digests()
        expected = dt.datetime(2026, 3, 3, 8, 10, 1, tzinfo=PARIS)
        assert expected <= first.task.run_after < expected + dt.timedelta(minutes=1)
        result = first.task.call(*first.args, **first.kwargs)
    assert result["sent"] == 2 and len(smtp_server.messages) == 2
    assert [r.task.name for r in backend.results] == ["send_digests_task"] * 2


def test_the_digest_task_needs_a_backend_that_can_defer(settings):
    framework = "django.tasks" if tasks.task.__module__.startswith("django.tasks") \
        else "django_tasks"
    settings.TASKS = {"default": {"BACKEND": f"{framework}.backends.immediate.ImmediateBackend"}}
    assert tasks.start_digests() is None  # it would run in a loop: cron does it instead


def test_windows_without_time_zone_support_are_naive_local_times(settings):
    settings.USE_TZ = False
    start, end = holding.window("daily", dt.datetime(2026, 3, 2, 9, 10), at=dt.time(8))
    assert (start, end) == (dt.datetime(2026, 3, 2, 8, 0), dt.datetime(2026, 3, 3, 8, 0))


def test_holding_costs_at_most_two_queries_per_batch(settings, digest_template, committed):
    settings.DJANGO_VOX_BATCH_SIZE = 50
    digest_template.digest_window = Template.HOURLY
    Subscriber.objects.bulk_create([Subscriber(name=f"S{i}", email=f"s{i}@example.org")
                                    for i in range(198)])  # 200 with the two readers

    def queries(mode, limit=""):
        digest_template.delivery_mode, digest_template.recipient_limit = mode, limit
        digest_template.save()
        article = Article.objects.create(author=_author(), title=mode)
        with CaptureQueriesContext(connection) as ctx, committed():
            ArticleRegistration.published.issue(article)
        return len(ctx.captured_queries)

    with at(2026, 3, 2, 9, 0):
        plain = queries(Template.IMMEDIATELY)  # nothing to decide: no query
    with at(2026, 3, 2, 10, 5):
        busy = queries(Template.BUSY, "1000/h")  # one query for busy, one for the limit
    assert Delivery.objects.filter(status=Delivery.SENT).count() == 400
    assert busy - plain == 2 * 4  # four batches of 50
    with at(2026, 3, 2, 10, 10):
        queries(Template.BUSY, "1000/h")  # busy now: held
    assert Delivery.objects.filter(status=Delivery.HELD).count() == 200


def test_items_held_longer_than_the_max_age_go_out_in_the_next_run(
        settings, digest_template, readers, smtp_server, committed):
    settings.DJANGO_VOX_DIGEST_MAX_AGE = 3600
    digest_template.digest_window = Template.WEEKLY
    digest_template.save()
    with at(2026, 3, 3, 9, 0):  # held until Monday 9 March
        publish(committed, "A")
    with at(2026, 3, 3, 9, 30):
        assert digests.send_digests().digests == 0  # half an hour old
    with at(2026, 3, 3, 10, 0, 1):
        assert digests.send_digests().digests == 2  # older than an hour: sent
    assert {m["Subject"] for m in smtp_server.messages} == {"New: A"}


def test_a_bad_digest_max_age_is_a_check_error(settings):
    settings.DJANGO_VOX_DIGEST_MAX_AGE = 0
    [error] = [m for m in checks.run_checks() if m.id == "django_vox.E031"]
    assert "DJANGO_VOX_DIGEST_MAX_AGE" in error.msg


def test_a_digest_template_gets_data_not_objects(digest_template, readers, smtp_server,
                                                  committed):
    author = _author()
    author.set_password("s3cret-pw")
    author.save()
    digest_template.digest_content = (
        "[{{ items.0.object.author.password }}][{{ items.0.object.title }}]"
        "[{{ items.0.notification.deliveries.all }}]")
    digest_template.save()
    with at(2026, 3, 2, 9, 0):
        publish(committed, "A")
    with at(2026, 3, 3, 8, 0, 1):
        digests.send_digests()
    html = parts(smtp_server.messages[0])["text/html"]
    assert "[][A][]" in html and "pbkdf2" not in html
