"""The issuing pipeline, end to end with the in-memory backends."""

import logging

import pytest
from django.contrib.auth import get_user_model
from django.core import serializers
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

import django_vox
from django_vox.backends import locmem
from django_vox.issuing import IssueError
from django_vox.models import Delivery, FailedMessage, SiteContact, SiteContactSetting
from django_vox.models import Notification as NotificationRow
from tests.testapp.backends import FlakyBackend
from tests.testapp.models import Article, Comment, Depot, Profile, Subscriber, Ticket
from tests.testapp.registrations import ArticleRegistration, TicketRegistration

pytestmark = pytest.mark.django_db
User = get_user_model()

WITH_FLAKY = [
    "django_vox.backends.locmem.Backend",
    "django_vox.backends.locmem.SmsBackend",
    "tests.testapp.backends.FlakyBackend",
    "tests.testapp.backends.CrashingBackend",
]


def addresses():
    return sorted(a for m in locmem.outbox for a in m.to)


def test_individual_messages_have_recipient(article, subscribers, make_template, committed):
    make_template(Article, "published", recipients="c:subs", subject="{{ object.title }}",
                  content="Dear {{ recipient.name }} ({{ contact.address }})")
    with committed():
        ArticleRegistration.published.issue(article)
    assert len(locmem.outbox) == 3
    bodies = sorted(m.body for m in locmem.outbox)
    assert bodies == [f"Dear S{i} (s{i}@example.org)" for i in range(3)]
    assert all(m.from_address == "webmaster@localhost" for m in locmem.outbox)


def test_bulk_sends_one_message_to_everyone(article, subscribers, make_template, committed):
    make_template(Article, "published", recipients="c:subs,c:author", bulk=True,
                  content="To all: {{ object.title }}{{ recipient }}")
    with committed():
        django_vox.notify(article, "published")
    assert len(locmem.outbox) == 1
    assert sorted(locmem.outbox[0].to) == ["ann@example.org", "s0@example.org",
                                           "s1@example.org", "s2@example.org"]
    assert locmem.outbox[0].body == "To all: Hello"  # no recipient in bulk
    row = Delivery.objects.get()
    assert row.status == Delivery.SENT and len(row.to_addresses) == 4


def test_each_contact_once_even_through_several_channels(article, subscribers, make_template,
                                                         committed):
    article.readers.add(subscribers[0], subscribers[1])
    make_template(Article, "published", recipients="c:subs,c:readers,c:subs")
    with committed():
        ArticleRegistration.published.issue(article)
    assert addresses() == ["s0@example.org", "s1@example.org", "s2@example.org"]


def test_protocol_decides_which_contacts(article, subscribers, make_template, committed):
    make_template(Article, "published", backend="locmem-sms", recipients="c:subs",
                  content="SMS {{ object.title }}", from_address="+15559999999")
    with committed():
        ArticleRegistration.published.issue(article)
    assert addresses() == ["+15550000000", "+15550000001", "+15550000002"]
    assert {m.protocol for m in locmem.outbox} == {"sms"}
    assert {m.from_address for m in locmem.outbox} == {"+15559999999"}


def test_site_contacts_blacklist_and_whitelist(article, make_template, committed):
    notification = NotificationRow.objects.get_for_model(Article, "published")
    other = NotificationRow.objects.get_for_model(Article, "urgent")
    SiteContact.objects.create(name="Desk", protocol="email", address="desk@example.org")
    muted = SiteContact.objects.create(name="Muted", protocol="email", address="muted@example.org")
    SiteContactSetting.objects.create(site_contact=muted, notification=notification, enabled=False)
    SiteContact.objects.create(name="Picky", protocol="email", address="picky@example.org",
                               enable_filter=SiteContact.WHITELIST)
    chosen = SiteContact.objects.create(name="Chosen", protocol="email",
                                        address="chosen@example.org",
                                        enable_filter=SiteContact.WHITELIST)
    SiteContactSetting.objects.create(site_contact=chosen, notification=notification, enabled=True)
    SiteContactSetting.objects.create(site_contact=muted, notification=other, enabled=True)
    SiteContact.objects.create(name="Phone", protocol="sms", address="+15551112222")
    make_template(Article, "published", recipients="si", content="Hi {{ recipient.name }}")
    with committed():
        ArticleRegistration.published.issue(article)
    assert addresses() == ["chosen@example.org", "desk@example.org"]
    assert sorted(m.body for m in locmem.outbox) == ["Hi Chosen", "Hi Desk"]


def test_actor_and_target_channels(article, make_template, committed):
    editor = User.objects.create(username="ed", email="ed@example.org")
    depot = Depot.objects.create(name="North", email="north@example.org")
    make_template(Article, "moved", recipients="se,re,c:author",
                  content="{{ actor.username }} moved {{ object }} to {{ target.name }}")
    with committed():
        ArticleRegistration.moved.issue(article, actor=editor, target=depot)
    assert addresses() == ["ann@example.org", "ed@example.org", "north@example.org"]
    assert {m.body for m in locmem.outbox} == {"ed moved Hello to North"}


def test_actor_channel_key(article, make_template, committed):
    editor = User.objects.create(username="ed", email="ed@example.org")
    Profile.objects.create(user=editor, phone="+15553334444")
    make_template(Article, "edited", backend="locmem-sms", recipients="se:profile",
                  content="{{ source.username }}")
    with committed():
        ArticleRegistration.edited.issue(article, actor=editor)
    # The profile channel reaches the Profile; its registration has no sms contacts.
    assert locmem.outbox == []


@pytest.mark.parametrize("codename,kwargs,message", [
    ("published", {"actor": "user"}, "declares no actor"),
    ("edited", {}, "needs a actor of type auth.user"),
    ("moved", {"actor": "user"}, "needs a target of type testapp.depot"),
    ("moved", {"actor": "user", "target": "article"}, "not testapp.article"),
])
def test_actor_target_errors_name_the_notification(article, codename, kwargs, message):
    values = {"user": article.author, "article": article}
    kwargs = {k: values[v] for k, v in kwargs.items()}
    with pytest.raises(IssueError, match=message) as info:
        django_vox.notify(article, codename, **kwargs)
    assert f"'{codename}'" in str(info.value)


def test_unknown_codename(article):
    with pytest.raises(LookupError, match="nope"):
        django_vox.notify(article, "nope")


def test_required_without_template_raises(article):
    with pytest.raises(RuntimeError, match="urgent"):
        ArticleRegistration.urgent.issue(article)


def test_required_without_contact_raises_even_inside_atomic(article, make_template):
    make_template(Article, "urgent", recipients="c:subs")  # no subscribers exist
    with pytest.raises(RuntimeError, match="urgent"):
        with transaction.atomic():
            ArticleRegistration.urgent.issue(article)


def test_required_with_contact_sends(article, subscribers, make_template, committed):
    make_template(Article, "urgent", recipients="c:subs")
    with committed():
        ArticleRegistration.urgent.issue(article)
    assert len(locmem.outbox) == 3


def test_from_address_template_and_default(article, make_template, committed):
    make_template(Article, "published", recipients="c:author",
                  from_address="{{ object.title|lower }}@news.example.org")
    make_template(Article, "published", recipients="c:author", from_address="")
    with committed():
        ArticleRegistration.published.issue(article)
    assert sorted(m.from_address for m in locmem.outbox) == [
        "hello@news.example.org", "webmaster@localhost"]


def test_attachments_resolved_from_keys(article, make_template, committed):
    make_template(Article, "published", recipients="c:author",
                  attachments=["object.summary", "object.cover"])
    with committed():
        ArticleRegistration.published.issue(article)
    (sent,) = locmem.outbox
    assert [(a.filename, a.mimetype, a.content) for a in sent.attachments] == [
        ("summary.txt", "text/plain", b"Summary of Hello"),
        ("cover", "text/x-card", b"BEGIN:CARD Hello END:CARD"),
    ]
    assert Delivery.objects.get().get_message().attachments == sent.attachments


def test_non_integer_primary_key(make_template, committed):
    sub = Subscriber.objects.create(name="Sue", email="sue@example.org")
    ticket = Ticket.objects.create(title="Help", owner=sub)
    make_template(Ticket, "opened", recipients="c:owner", content="{{ object.title }}")
    with committed():
        TicketRegistration.opened.issue(ticket)
    assert addresses() == ["sue@example.org"]
    assert Delivery.objects.get().object_id == str(ticket.pk)


@override_settings(DJANGO_VOX_BACKENDS=WITH_FLAKY)
def test_failure_is_recorded_then_resent(article, subscribers, make_template, committed):
    FlakyBackend.failing = {"s1@example.org"}
    try:
        make_template(Article, "published", backend="flaky", recipients="c:subs",
                      subject="News", content="Hi {{ recipient.name }}")
        with committed():
            ArticleRegistration.published.issue(article)
        assert addresses() == ["s0@example.org", "s2@example.org"]
        failed = FailedMessage.objects.get()
        assert failed.to_addresses == ["s1@example.org"]
        assert "refused s1@example.org" in failed.error and failed.attempts == 1
        assert failed.backend == "flaky"
        assert Delivery.objects.filter(status=Delivery.SENT).count() == 2
        # Still failing: resend raises the error (as in 4.x) and keeps the record.
        with pytest.raises(Exception, match="refused s1@example.org"):
            failed.resend()
        failed.refresh_from_db()
        assert failed.attempts == 2 and failed.status == Delivery.FAILED
        FlakyBackend.failing = set()
        locmem.outbox.clear()
        assert failed.resend() is True
        assert [(m.to, m.body, m.subject) for m in locmem.outbox] == [
            (["s1@example.org"], "Hi S1", "News")]
        assert not FailedMessage.objects.exists()
        # A sent delivery is never sent again.
        assert Delivery.objects.get(pk=failed.pk).resend() is True
        assert len(locmem.outbox) == 1
    finally:
        FlakyBackend.failing = set()


@override_settings(DJANGO_VOX_BACKENDS=WITH_FLAKY, DJANGO_VOX_THROW_EXCEPTIONS=True)
def test_throw_exceptions_tries_every_template_then_raises_first(article, make_template,
                                                                 committed):
    make_template(Article, "published", backend="crashing", recipients="c:author")
    make_template(Article, "published", backend="locmem", recipients="c:author")
    with pytest.raises(ZeroDivisionError):
        with committed():
            ArticleRegistration.published.issue(article)
    assert addresses() == ["ann@example.org"]
    failed = FailedMessage.objects.get()
    assert failed.error == "ZeroDivisionError: boom"


@override_settings(DJANGO_VOX_BACKENDS=WITH_FLAKY, DJANGO_VOX_THROW_EXCEPTIONS=False)
def test_errors_logged_not_raised_when_not_throwing(article, make_template, committed, caplog):
    make_template(Article, "published", backend="crashing", recipients="c:author")
    with caplog.at_level(logging.WARNING, logger="django_vox"):
        with committed():
            ArticleRegistration.published.issue(article)
    assert FailedMessage.objects.count() == 1
    assert "failed" in caplog.text


def test_template_error_is_reported(article, make_template, committed, settings):
    settings.DJANGO_VOX_THROW_EXCEPTIONS = True
    make_template(Article, "published", recipients="c:author", content="{% if %}")
    from django_vox.exceptions import TemplateRenderError

    with pytest.raises(TemplateRenderError, match="syntax"):
        with committed():
            ArticleRegistration.published.issue(article)


def test_template_of_disabled_backend_is_skipped_with_warning(article, make_template, committed,
                                                              caplog):
    make_template(Article, "published", backend="gone-backend", recipients="c:author")
    make_template(Article, "published", recipients="c:author")
    with caplog.at_level(logging.WARNING, logger="django_vox"):
        with committed():
            ArticleRegistration.published.issue(article)
    assert len(locmem.outbox) == 1
    assert "gone-backend" in caplog.text


def test_disabled_template_not_used(article, make_template, committed):
    make_template(Article, "published", recipients="c:author", enabled=False)
    with committed():
        ArticleRegistration.published.issue(article)
    assert locmem.outbox == []


@pytest.mark.django_db(transaction=True)
def test_delivery_waits_for_commit_and_rollback_sends_nothing(make_template):
    ann = User.objects.create(username="ann", email="ann@example.org")
    article = Article.objects.create(author=ann, title="T")
    make_template(Article, "published", recipients="c:author")
    with transaction.atomic():
        ArticleRegistration.published.issue(article)
        assert locmem.outbox == []
    assert addresses() == ["ann@example.org"]
    locmem.outbox.clear()
    try:
        with transaction.atomic():
            ArticleRegistration.published.issue(article)
            raise ValueError("roll back")
    except ValueError:
        pass
    assert locmem.outbox == []
    assert Delivery.objects.count() == 1


def test_one_backend_open_per_issue(article, subscribers, make_template, committed):
    make_template(Article, "published", recipients="c:subs")
    make_template(Article, "published", recipients="c:author")
    before = locmem.Backend.opened
    with committed():
        ArticleRegistration.published.issue(article)
    assert locmem.Backend.opened - before == 1
    assert len(locmem.outbox) == 4


def _queries_for(article, n, make_template, committed):
    Subscriber.objects.all().delete()
    Subscriber.objects.bulk_create(
        Subscriber(name=f"N{i}", email=f"n{i}@example.org") for i in range(n))
    locmem.outbox.clear()
    with CaptureQueriesContext(connection) as ctx:
        with committed():
            ArticleRegistration.published.issue(article)
    assert len(locmem.outbox) == n
    return len(ctx.captured_queries)


def test_query_count_independent_of_recipient_count(article, make_template, committed):
    make_template(Article, "published", recipients="c:subs,si",
                  content="{{ recipient.name }} {{ object.title }}")
    _queries_for(article, 1, make_template, committed)  # warm per-process caches (sites)
    small = _queries_for(article, 10, make_template, committed)
    large = _queries_for(article, 200, make_template, committed)
    assert small == large


def test_custom_issue_method_gets_4x_arguments(article, settings):
    calls = []
    settings.DJANGO_VOX_ISSUE_METHOD = "tests.test_issuing.recording_issue_method"
    RECORDED.clear()
    editor = User.objects.create(username="ed")
    ArticleRegistration.edited.issue(article, actor=editor)
    calls = RECORDED
    assert calls == [("edited", article, editor, None)]


RECORDED = []


def recording_issue_method(notification, obj, actor=None, target=None):
    RECORDED.append((notification.codename, obj, actor, target))


def test_bad_issue_method_setting_is_named(article, settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.DJANGO_VOX_ISSUE_METHOD = "tests.nowhere.issue"
    with pytest.raises(ImproperlyConfigured, match="tests.nowhere.issue"):
        ArticleRegistration.published.issue(article)


def test_signal_registration_created_updated_deleted(make_template, committed):
    for codename in ("created", "updated", "deleted"):
        make_template(Subscriber, codename, recipients="c", content=codename + " {{ object.name }}")
    with committed():
        sub = Subscriber.objects.create(name="Sue", email="sue@example.org")
    with committed():
        sub.name = "Susan"
        sub.save()
    with committed():
        sub.delete()
    assert [m.body for m in locmem.outbox] == ["created Sue", "updated Susan", "deleted Susan"]


def test_signal_registration_ignores_raw_fixture_loads(make_template, committed):
    make_template(Subscriber, "created", recipients="c")
    data = serializers.serialize("json", [Subscriber(pk=99, name="Raw", email="raw@example.org")])
    with committed():
        for obj in serializers.deserialize("json", data):
            obj.save()
    assert Subscriber.objects.filter(pk=99).exists()
    assert locmem.outbox == []


def test_comment_channel_via_reverse_fk(article, make_template, committed):
    Comment.objects.create(article=article, name="C1", email="c1@example.org", text="x")
    Comment.objects.create(article=article, name="C2", email="", text="y")
    make_template(Article, "published", recipients="c:comments")
    with committed():
        ArticleRegistration.published.issue(article)
    assert addresses() == ["c1@example.org"]


@override_settings(DJANGO_VOX_BACKENDS=WITH_FLAKY)
def test_resend_from_stale_instance_does_not_send_twice(article, make_template, committed):
    FlakyBackend.failing = {"ann@example.org"}
    try:
        make_template(Article, "published", backend="flaky", recipients="c:author")
        with committed():
            ArticleRegistration.published.issue(article)
        first = FailedMessage.objects.get()
        stale = FailedMessage.objects.get()
        FlakyBackend.failing = set()
        assert first.resend() is True
        assert stale.status == Delivery.FAILED  # the stale copy still says failed
        assert stale.resend() is True
        assert len(locmem.outbox) == 1
    finally:
        FlakyBackend.failing = set()


@override_settings(DJANGO_VOX_BACKENDS=WITH_FLAKY)
def test_sent_and_failed_signals(article, subscribers, make_template, committed):
    from django_vox.signals import message_failed, message_sent

    events = []

    def on_sent(sender, delivery, backend, **kwargs):
        # A real Delivery, as saved: receivers may use the model's fields and methods.
        assert isinstance(delivery, Delivery) and not delivery._state.adding
        assert Delivery.objects.get(pk=delivery.pk).status == Delivery.SENT
        assert delivery.notification.codename == "published"
        assert delivery.get_message().to_dict() == delivery.message
        events.append(("sent", backend, delivery.to_addresses[0], delivery.status))

    def on_failed(sender, delivery, backend, error, **kwargs):
        assert isinstance(delivery, Delivery)
        assert Delivery.objects.get(pk=delivery.pk).error == delivery.error
        events.append(("failed", backend, delivery.to_addresses[0], str(error)))

    message_sent.connect(on_sent)
    message_failed.connect(on_failed)
    FlakyBackend.failing = {"s1@example.org"}
    try:
        make_template(Article, "published", backend="flaky", recipients="c:subs")
        with committed():
            ArticleRegistration.published.issue(article)
    finally:
        FlakyBackend.failing = set()
        message_sent.disconnect(on_sent)
        message_failed.disconnect(on_failed)
    assert sorted(events) == [
        ("failed", "flaky", "s1@example.org", "refused s1@example.org; status 550"),
        ("sent", "flaky", "s0@example.org", "sent"),
        ("sent", "flaky", "s2@example.org", "sent"),
    ]
