"""Digests never stick or leak (issue 34, item 6): one digest's failure (a
template over its budget, an X post over 280 characters) fails its own items
and holds back nothing else; every item reaches a digest; a digest records
its recipient; the default content renders for ``key: value`` backends;
hourly windows are one real hour across summer-time changes.  Real peers:
the SMTP fixture and pytest-httpserver on 127.0.0.1 (the X API stand-in of
tests/backends/test_twitter.py among them); the clock is driven by
time-machine."""

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from django_vox.backends.twitter import weighted_length
from django_vox.digests import closing as digests
from django_vox.digests import holding
from django_vox.models import Delivery, SiteContact, Template
from django_vox.preferences import Owner
from tests.backends.email_helpers import vox_email  # noqa: F401
from tests.backends.test_twitter import ANY_JSON, JACK, SENT_DM, x_api  # noqa: F401
from tests.test_digests import at, digest_template, publish, readers  # noqa: F401
from tests.test_durable import set_preference
from tests.testapp.models import Article, Subscriber

pytestmark = [pytest.mark.django_db]
UTC = dt.timezone.utc


@pytest.fixture(autouse=True)
def _site(settings):
    settings.TIME_ZONE = "Europe/Paris"
    settings.DJANGO_VOX_THROW_EXCEPTIONS = False


@pytest.mark.usefixtures("vox_email", "readers")
def test_one_failing_digest_fails_its_items_and_holds_back_no_other(
        settings, digest_template, smtp_server, committed):  # noqa: F811
    # r0 inflated their own name: their digest goes over the output budget.
    Subscriber.objects.filter(email="r0@example.org").update(name="x" * 100)
    settings.DJANGO_VOX_TEMPLATE_LIMITS = {"output": 80}
    digest_template.digest_content = "<p>Dear {{ contact.name }}: {{ count }} new</p>"
    digest_template.save()
    with at(2026, 3, 2, 9, 0):
        publish(committed, "A", "B")
    out = io.StringIO()
    with at(2026, 3, 3, 8, 0, 1):
        call_command("vox_send_digests", stdout=out)
    assert [m["To"] for m in smtp_server.messages] == ["r1@example.org"]
    assert "4 failed" not in out.getvalue() and "2 failed" in out.getvalue()
    failed = Delivery.objects.filter(status=Delivery.FAILED, to_addresses=["r0@example.org"])
    assert failed.count() == 2 and "longer than 80 characters" in failed[0].error
    assert not Delivery.objects.filter(status=Delivery.HELD).exists()
    # Resendable: each item as it was rendered.
    failed[0].resend()
    assert smtp_server.messages[-1]["Subject"] in ("New: A", "New: B")
    assert len(smtp_server.messages) == 2



def test_an_x_digest_over_280_characters_fails_its_items_not_the_dm(
        settings, x_api, make_template, committed, caplog):  # noqa: F811
    """The generated digest lists every item: for the account's own post it
    goes over X's 280 characters, and its items fail with that reason,
    resendable one by one; the same digest to a handle is a direct message
    (up to 10,000 characters) and is sent."""
    settings.DJANGO_VOX_BACKENDS = ["django_vox.backends.twitter"]
    SiteContact.objects.create(name="Our account", protocol="twitter", address="")
    SiteContact.objects.create(name="Jack", protocol="twitter", address="jack")
    make_template(Article, "published", backend="twitter", recipients="si",
                  content="New: {{ object.title }}", delivery_mode=Template.DIGEST,
                  digest_window=Template.DAILY, digest_time=dt.time(8, 0))
    titles = [f"Article {n}, " + "long words " * 8 for n in range(3)]
    with at(2026, 3, 2, 9, 0):
        publish(committed, *titles)
    assert Delivery.objects.filter(status=Delivery.HELD).count() == 6
    x_api.expect("GET", "/2/users/by/username/jack", answer=JACK)
    x_api.expect("POST", "/2/dm_conversations/with/12/messages", body=ANY_JSON,
                 answer=SENT_DM, status=201)
    out = io.StringIO()
    with at(2026, 3, 3, 8, 0, 1), caplog.at_level("WARNING", logger="django_vox"):
        call_command("vox_send_digests", stdout=out)
    assert out.getvalue() == ("Sent 1 of 1 digest(s) holding 6 message(s); 3 failed, "
                              "0 suppressed (turned off since).\n")
    # The post has no address: the operator's log names the contact.
    assert [r.getMessage().split(";")[0] for r in caplog.records
            if r.getMessage().startswith("Digest of")] == [
        f"Digest of 'Our account' (template {Template.objects.get().pk}) failed"]
    x_api.server.check_assertions()
    direct = x_api.server.log[-1][0].get_json()["text"]
    assert len(direct) > 280 and all(f"New: {title}" in direct for title in titles)
    sent = Delivery.objects.get(status=Delivery.SENT, to_addresses=["jack"])
    assert Delivery.objects.filter(digest=sent).count() == 3
    failed = Delivery.objects.filter(status=Delivery.FAILED).order_by("created_at")
    assert [row.to_addresses for row in failed] == [[""]] * 3
    assert not Delivery.objects.filter(status=Delivery.HELD).exists()
    # The post would have said what the direct message says (same items, same content).
    assert {row.error for row in failed} == {
        f"Its digest could not be made: The post is {weighted_length(direct)} characters long "
        f"as X counts them (every link counts 23, CJK characters and emoji 2); X allows at most "
        f"280."}
    # Resendable: each item as it was rendered, a post of its own.
    for row, title in zip(failed, titles):
        x_api.expect("POST", "/2/tweets", body={"text": f"New: {title}"},
                     answer={"data": {"id": "1"}}, status=201)
        row.resend()
    x_api.server.check_assertions()
    assert set(Delivery.objects.filter(to_addresses=[""]).values_list("status", flat=True)) == {
        Delivery.SENT}

@pytest.mark.usefixtures("vox_email", "readers")
def test_every_item_reaches_a_digest_past_a_thousand(digest_template, smtp_server,  # noqa: F811
                                                      committed):
    with at(2026, 3, 2, 9, 0):
        publish(committed, "A")
    held = Delivery.objects.get(status=Delivery.HELD, to_addresses=["r0@example.org"])
    copies = []
    for _ in range(1199):
        held.pk = None
        held._state.adding = True
        copies.append(Delivery(**{f.attname: getattr(held, f.attname)
                                  for f in Delivery._meta.concrete_fields if not f.primary_key}))
    Delivery.objects.bulk_create(copies)
    with at(2026, 3, 3, 8, 0, 1):
        run = digests.send_digests()
    assert run.items == 1201 and run.sent == run.digests == 4
    to_r0 = [m for m in smtp_server.messages if m["To"] == "r0@example.org"]
    assert sorted(m["Subject"] for m in to_r0) == [
        "New: A (and 199 more)", "New: A (and 499 more)", "New: A (and 499 more)"]
    assert not Delivery.objects.filter(status=Delivery.HELD).exists()
    total = sum(m.get_body(("plain",)).get_content().count("Read A") for m in to_r0)
    assert total == 1200


@pytest.mark.usefixtures("vox_email")
def test_a_digest_records_its_recipient_so_a_resend_honours_an_opt_out(
        digest_template, readers, smtp_server, committed):  # noqa: F811
    with at(2026, 3, 2, 9, 0):
        publish(committed, "A", "B")
    with at(2026, 3, 3, 8, 0, 1):
        digests.send_digests()
    digest = Delivery.objects.get(status=Delivery.SENT, to_addresses=["r0@example.org"])
    item = Delivery.objects.filter(digest=digest).first()
    assert (digest.recipient_type_id, digest.recipient_id) == (item.recipient_type_id,
                                                               item.recipient_id)
    assert digest.recipient_id == str(readers[0].pk)
    set_preference(Owner.of_instance(readers[0]), digest_template.notification, "email", False)
    Delivery.objects.filter(pk=digest.pk).update(status=Delivery.FAILED)
    digest.refresh_from_db()
    digest.resend()
    digest.refresh_from_db()
    assert digest.status == Delivery.SUPPRESSED
    assert len(smtp_server.messages) == 2


def test_the_default_digest_renders_for_a_json_webhook(settings, httpserver, make_template,
                                                       committed):
    settings.DJANGO_VOX_BACKENDS = ["django_vox.backends.json_webhook"]
    SiteContact.objects.create(name="hook", protocol="json-webhook",
                               address=httpserver.url_for("/hook"))
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    make_template(Article, "published", backend="json-webhook", recipients="si",
                  content="title: {{ object.title }}", delivery_mode=Template.DIGEST,
                  digest_window=Template.DAILY, digest_time=dt.time(8, 0))
    with at(2026, 3, 2, 9, 0):
        publish(committed, "A", "B")
    with at(2026, 3, 3, 8, 0, 1):
        run = digests.send_digests()
    assert (run.sent, run.failed) == (1, 0)
    [(request, _response)] = httpserver.log
    data = request.get_json()
    assert data["count"] == "2" and data["window_end"] == "2026-03-03T08:00:00+01:00"
    assert '{"title": "A"}' in data["items"] and '{"title": "B"}' in data["items"]



def test_a_slack_digest_escapes_its_items_once(settings, httpserver, make_template, committed):
    """A Slack item's text is already escaped for mrkdwn when it is held: the
    digest prints it as it is (``&amp;`` once, ``*bold*`` kept), and escapes
    only what it adds itself."""
    settings.DJANGO_VOX_BACKENDS = ["django_vox.backends.slack"]
    SiteContact.objects.create(name="team", protocol="slack-webhook",
                               address=httpserver.url_for("/slack"))
    httpserver.expect_request("/slack", method="POST").respond_with_data("ok")
    make_template(Article, "published", backend="slack-webhook", recipients="si",
                  content="New: *{{ object.title }}*", delivery_mode=Template.DIGEST,
                  digest_window=Template.DAILY, digest_time=dt.time(8, 0))
    with at(2026, 3, 2, 9, 0):
        publish(committed, "Tom & Jerry <3", "B")
    with at(2026, 3, 3, 8, 0, 1):
        run = digests.send_digests()
    assert (run.sent, run.failed) == (1, 0)
    [(request, _response)] = httpserver.log
    text = request.get_json()["text"]
    assert "New: *Tom &amp; Jerry &lt;3*\n\n---\n\nNew: *B*" in text
    assert "&amp;amp;" not in text


BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize("instant, start, end", [
    # End of summer time (25 October 2026): 02:00-03:00 happens twice.
    (dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC), (0, 0), (1, 0)),  # 02:30 CEST
    (dt.datetime(2026, 10, 25, 1, 30, tzinfo=UTC), (1, 0), (2, 0)),  # 02:30 CET
    # Start of summer time (29 March 2026): 02:00-03:00 does not happen.
    (dt.datetime(2026, 3, 29, 0, 30, tzinfo=UTC), (0, 0), (1, 0)),  # 01:30 CET
    (dt.datetime(2026, 3, 29, 1, 30, tzinfo=UTC), (1, 0), (2, 0)),  # 03:30 CEST
])
def test_an_hourly_window_is_one_real_hour_across_summer_time(settings, instant, start, end):
    settings.TIME_ZONE = "Europe/Berlin"
    begins, ends = (moment.astimezone(UTC) for moment in holding.window(Template.HOURLY,
                                                                         instant))
    day = instant.date()
    assert begins == dt.datetime(day.year, day.month, day.day, *start, tzinfo=UTC)
    assert ends == dt.datetime(day.year, day.month, day.day, *end, tzinfo=UTC)
    assert ends - begins == dt.timedelta(hours=1)


@pytest.mark.usefixtures("vox_email")
def test_an_hourly_digest_closes_one_real_hour_after_it_opened(
        settings, digest_template, readers, smtp_server, committed):  # noqa: F811
    settings.TIME_ZONE = "Europe/Berlin"
    digest_template.digest_window = Template.HOURLY
    digest_template.save()
    with time_machine.travel(dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC), tick=True):
        publish(committed, "A")  # 02:30 CEST, the first of the two
    due = {row.digest_due for row in Delivery.objects.filter(status=Delivery.HELD)}
    assert due == {dt.datetime(2026, 10, 25, 1, 0, tzinfo=UTC)}
    with time_machine.travel(dt.datetime(2026, 10, 25, 1, 0, 1, tzinfo=UTC)):
        assert digests.send_digests().sent == 2
