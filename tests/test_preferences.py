"""Preferences in the issuing pipeline: who is dropped, what is logged, the
unsubscribe links and headers given to the others."""

from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sites.models import Site
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import resolve

from django_vox import issuing, preferences
from django_vox.backends import locmem
from django_vox.models import Delivery, Notification, Preference, SiteContact
from django_vox.registry import objects
from tests.testapp.models import Article, Subscriber
from tests.testapp.registrations import ArticleRegistration, SubscriberRegistration

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture(autouse=True)
def _site_domain(settings):
    settings.SITE_DOMAIN = "news.example.org"
    settings.SITE_SSL = True


@pytest.fixture
def subs(subscribers):
    return subscribers


def row(codename):
    return Notification.objects.get_for_model(Article, codename)


def opt(owner, codename, protocol, enabled=False):
    notification = row(codename) if codename else None
    return preferences.set_preference(preferences.Owner.of_instance(owner), notification,
                                      protocol, enabled)


def sent(backend="locmem"):
    return sorted(m.to[0] for m in locmem.outbox if m.backend == backend)


def test_opt_out_is_per_notification(article, subs, ann, make_template, committed):
    make_template(Article, "published", recipients="c:subs")
    make_template(Article, "edited", recipients="c:subs")
    opt(subs[0], "published", "email")
    with committed():
        ArticleRegistration.published.issue(article)
    assert sent() == ["s1@example.org", "s2@example.org"]
    locmem.outbox.clear()
    with committed():
        ArticleRegistration.edited.issue(article, actor=ann)
    assert sent() == ["s0@example.org", "s1@example.org", "s2@example.org"]


def test_opt_out_is_per_protocol(article, subs, make_template, committed):
    make_template(Article, "published", recipients="c:subs")
    make_template(Article, "published", recipients="c:subs", backend="locmem-sms")
    opt(subs[1], "published", "sms")
    with committed():
        ArticleRegistration.published.issue(article)
    assert sent() == ["s0@example.org", "s1@example.org", "s2@example.org"]
    assert sent("locmem-sms") == ["+15550000000", "+15550000002"]


def test_most_specific_preference_wins(article, subs, make_template, committed):
    make_template(Article, "published", recipients="c:subs")
    make_template(Article, "published", recipients="c:subs", backend="locmem-sms")
    opt(subs[0], None, "")                       # nothing at all...
    opt(subs[0], "published", "email", True)     # ...except this
    opt(subs[1], None, "sms")                    # no SMS...
    opt(subs[1], "published", "", True)          # ...but "published" on every protocol
    opt(subs[2], "published", "", False)         # not "published"...
    opt(subs[2], None, "sms", True)              # (less specific than the row above)
    with committed():
        ArticleRegistration.published.issue(article)
    assert sent() == ["s0@example.org", "s1@example.org"]
    assert sent("locmem-sms") == ["+15550000001"]


def test_required_notifications_bypass_preferences(article, subs, make_template, committed):
    make_template(Article, "urgent", recipients="c:subs", content="[{{ unsubscribe_url }}]")
    for sub in subs:
        opt(sub, None, "")
    with committed():
        ArticleRegistration.urgent.issue(article)
    assert sent() == ["s0@example.org", "s1@example.org", "s2@example.org"]
    # An unsubscribe link would not work for it, so there is none.
    assert {m.body for m in locmem.outbox} == {"[]"}
    assert all(m.message.headers == {} for m in locmem.outbox)
    assert not Delivery.objects.filter(status=Delivery.SUPPRESSED).exists()


def test_default_enabled_false_makes_it_opt_in(article, subs, make_template, committed):
    Notification.objects.filter(pk=row("published").pk).update(default_enabled=False)
    make_template(Article, "published", recipients="c:subs")
    opt(subs[2], "published", "email", True)
    with committed():
        ArticleRegistration.published.issue(article)
    assert sent() == ["s2@example.org"]
    suppressed = Delivery.objects.filter(status=Delivery.SUPPRESSED).order_by("to_addresses")
    assert [d.to_addresses for d in suppressed] == [["s0@example.org"], ["s1@example.org"]]
    assert {d.error for d in suppressed} == {
        "Suppressed: off by default for this recipient (no preference set)."}


def test_default_enabled_keyword_reaches_the_row(db):
    from django_vox.registry import Notification as Declaration

    assert Declaration("x", default_enabled=False).default_enabled is False
    assert row("published").default_enabled is True


class QuietSmsRegistration(SubscriberRegistration):
    """Per-owner default: SMS only for subscribers whose name starts with "Loud"."""

    def get_default_preference(self, instance, notification, protocol):
        if protocol == "sms":
            return instance.name.startswith("Loud")
        return super().get_default_preference(instance, notification, protocol)


@pytest.fixture
def quiet_sms():
    objects.add(Subscriber, QuietSmsRegistration, regex=None)
    yield
    objects.add(Subscriber, SubscriberRegistration, regex=None)


@pytest.mark.usefixtures("quiet_sms")
def test_registration_hook_sets_the_default_per_owner(article, subs, make_template, committed):
    Subscriber.objects.filter(pk=subs[1].pk).update(name="Loud one")
    make_template(Article, "published", recipients="c:subs", backend="locmem-sms")
    make_template(Article, "published", recipients="c:subs")
    opt(subs[2], "published", "sms", True)       # an explicit choice beats the hook
    with committed():
        ArticleRegistration.published.issue(article)
    assert sent("locmem-sms") == ["+15550000001", "+15550000002"]
    assert sent() == ["s0@example.org", "s1@example.org", "s2@example.org"]


def test_suppressed_contacts_are_logged_and_never_resent(article, subs, make_template,
                                                         committed):
    template = make_template(Article, "published", recipients="c:subs")
    pref = opt(subs[0], "published", "email")
    with committed():
        ArticleRegistration.published.issue(article)
    suppressed = Delivery.objects.get(status=Delivery.SUPPRESSED)
    assert suppressed.to_addresses == ["s0@example.org"]
    assert suppressed.template == template
    assert suppressed.notification == row("published")
    assert suppressed.protocol == "email" and suppressed.backend == "locmem"
    assert suppressed.error == (f"Suppressed: the recipient turned this off (preference "
                                f"{pref.pk}: this notification by email).")
    assert Delivery.objects.filter(status=Delivery.SENT).count() == 2
    locmem.outbox.clear()
    assert suppressed.resend() is False
    assert issuing.send_deliveries([suppressed]) == {suppressed.pk: False}
    assert locmem.outbox == []
    suppressed.refresh_from_db()
    assert suppressed.status == Delivery.SUPPRESSED and suppressed.attempts == 0


def test_bulk_messages_leave_out_those_who_opted_out(article, subs, make_template, committed):
    make_template(Article, "published", recipients="c:subs", bulk=True,
                  content="[{{ unsubscribe_url }}]")
    opt(subs[1], "published", "")
    with committed():
        ArticleRegistration.published.issue(article)
    [message] = locmem.outbox
    assert message.to == ["s0@example.org", "s2@example.org"]
    assert message.body == "[]"  # one message for many: no personal link
    assert message.message.headers == {}
    assert Delivery.objects.get(status=Delivery.SUPPRESSED).to_addresses == ["s1@example.org"]


def test_contacts_without_a_model_are_owned_by_their_address(article, make_template,
                                                              committed):
    SiteContact.objects.create(name="Desk", protocol="email", address="desk@example.org")
    SiteContact.objects.create(name="Ops", protocol="email", address="ops@example.org")
    make_template(Article, "published", recipients="si", content="{{ unsubscribe_url }}")
    preferences.set_preference(preferences.Owner(protocol="email", address="desk@example.org"),
                               row("published"), "email", False)
    with committed():
        ArticleRegistration.published.issue(article)
    [message] = locmem.outbox
    assert message.to == ["ops@example.org"]
    token = resolve(urlsplit(message.body).path).kwargs["token"]
    owner, _notification, _protocol = preferences.read_unsubscribe_token(token)
    assert owner == preferences.Owner(protocol="email", address="ops@example.org")


def test_owners_of_a_batch_share_one_type_lookup(subs):
    from django_vox.registry import Contact

    contacts = [Contact(s.name, "email", s.email, s) for s in subs] + [
        Contact("Desk", "email", "desk@example.org"),                 # no object
        Contact("Site", "email", "site@example.org", Site.objects.get_current()),  # unregistered
        Contact("New", "email", "new@example.org", Subscriber(name="New")),  # unsaved
    ]
    type_ids = {}
    owners = [preferences.Owner.of_contact(c, type_ids) for c in contacts]
    assert owners == [preferences.Owner.of_contact(c) for c in contacts]
    assert [o.instance for o in owners[:3]] == subs
    assert owners[3:] == [preferences.Owner(protocol="email", address=a) for a in
                          ("desk@example.org", "site@example.org", "new@example.org")]
    assert list(type_ids) == [Subscriber]


def test_address_preference_must_be_for_its_protocol(db):
    with pytest.raises(ValueError, match="'email'"):
        preferences.set_preference(preferences.Owner(protocol="email", address="a@example.org"),
                                   None, "sms", False)


def test_individual_email_gets_unsubscribe_url_and_headers(article, subs, make_template,
                                                           committed):
    make_template(Article, "published", recipients="c:subs",
                  content="Stop: {{ unsubscribe_url }} More: {{ preferences_url }}")
    with committed():
        ArticleRegistration.published.issue(article)
    by_to = {m.to[0]: m for m in locmem.outbox}
    message = by_to["s1@example.org"]
    unsubscribe = message.body.split()[1]
    assert unsubscribe.startswith("https://news.example.org/vox/unsubscribe/")
    assert message.message.headers == {
        "List-Unsubscribe": f"<{unsubscribe}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    owner, notification, protocol = preferences.read_unsubscribe_token(
        resolve(urlsplit(unsubscribe).path).kwargs["token"])
    assert owner == preferences.Owner.of_instance(subs[1])
    assert (notification, protocol) == (row("published"), "email")
    manage = message.body.split()[3]
    assert manage.startswith("https://news.example.org/vox/preferences/")
    token = resolve(urlsplit(manage).path).kwargs["token"]
    assert preferences.read_preferences_token(token).instance == subs[1]
    # Each recipient has a link of their own.
    assert len({m.message.headers["List-Unsubscribe"] for m in locmem.outbox}) == 3


def test_sms_gets_the_link_in_the_context_but_no_headers(article, subs, make_template,
                                                         committed):
    make_template(Article, "published", recipients="c:subs", backend="locmem-sms",
                  content="{{ unsubscribe_url }}")
    with committed():
        ArticleRegistration.published.issue(article)
    assert all(m.body.startswith("https://news.example.org/vox/unsubscribe/")
               for m in locmem.outbox)
    assert all(m.message.headers == {} for m in locmem.outbox)


def test_plain_http_site_gets_no_one_click_header(article, subs, make_template, committed,
                                                  settings):
    settings.SITE_SSL = False
    make_template(Article, "published", recipients="c:subs", content="{{ unsubscribe_url }}")
    with committed():
        ArticleRegistration.published.issue(article)
    headers = locmem.outbox[0].message.headers
    assert headers["List-Unsubscribe"].startswith("<http://news.example.org/vox/unsubscribe/")
    assert "List-Unsubscribe-Post" not in headers  # RFC 8058 one-click needs HTTPS


def test_domain_from_the_sites_framework(article, subs, make_template, committed, settings):
    settings.SITE_DOMAIN = None
    Site.objects.filter(pk=settings.SITE_ID).update(domain="sites.example.net")
    Site.objects.clear_cache()
    try:
        make_template(Article, "published", recipients="c:subs", content="{{ unsubscribe_url }}")
        with committed():
            ArticleRegistration.published.issue(article)
    finally:
        Site.objects.clear_cache()
    assert locmem.outbox[0].body.startswith("https://sites.example.net/vox/unsubscribe/")


def test_site_domain_written_with_its_scheme_gives_working_links(article, subs, make_template,
                                                                committed, settings):
    settings.SITE_DOMAIN, settings.SITE_SSL = "https://news.example.org/", False
    make_template(Article, "published", recipients="c:subs", content="{{ unsubscribe_url }}")
    with committed():
        ArticleRegistration.published.issue(article)
    url = locmem.outbox[0].body
    assert url.startswith("https://news.example.org/vox/unsubscribe/")
    assert resolve(urlsplit(url).path).url_name == "unsubscribe"


def test_no_domain_means_no_links_but_delivery_goes_on(article, subs, make_template,
                                                       committed, settings):
    settings.SITE_DOMAIN = None
    settings.INSTALLED_APPS = [app for app in settings.INSTALLED_APPS
                               if app != "django.contrib.sites"]
    make_template(Article, "published", recipients="c:subs", content="[{{ unsubscribe_url }}]")
    with committed():
        ArticleRegistration.published.issue(article)
    assert [m.body for m in locmem.outbox] == ["[]"] * 3
    assert all(m.message.headers == {} for m in locmem.outbox)


def _issue_queries(article, count, make_template, committed, opted_out_every=3):
    Subscriber.objects.all().delete()
    Preference.objects.all().delete()
    Delivery.objects.all().delete()
    Subscriber.objects.bulk_create(
        Subscriber(name=f"N{i}", email=f"n{i}@example.org") for i in range(count))
    people = list(Subscriber.objects.order_by("pk"))
    Preference.objects.bulk_create(
        Preference(owner_type_id=preferences.Owner.of_instance(sub).content_type_id,
                   owner_id=str(sub.pk), notification=row("published"), protocol="email",
                   enabled=False)
        for sub in people[::opted_out_every])
    locmem.outbox.clear()
    with CaptureQueriesContext(connection) as ctx:
        with committed():
            ArticleRegistration.published.issue(article)
    assert len(locmem.outbox) == count - len(people[::opted_out_every])
    assert (Delivery.objects.filter(status=Delivery.SUPPRESSED).count()
            == len(people[::opted_out_every]))
    return [q["sql"] for q in ctx.captured_queries]


def test_query_count_does_not_grow_with_recipients(article, make_template, committed):
    make_template(Article, "published", recipients="c:subs",
                  content="{{ recipient.name }} {{ unsubscribe_url }}")
    _issue_queries(article, 2, make_template, committed)  # warm per-process caches
    small = _issue_queries(article, 6, make_template, committed)
    large = _issue_queries(article, 150, make_template, committed)
    assert len(small) == len(large)
    assert sum("django_vox_preference" in sql for sql in large) == 1


def test_preferences_are_loaded_once_per_issue(article, make_template, committed, settings):
    settings.DJANGO_VOX_BATCH_SIZE = 10
    make_template(Article, "published", recipients="c:subs")
    queries = _issue_queries(article, 35, make_template, committed)
    assert sum("django_vox_preference" in sql for sql in queries) == 1


def test_too_many_preferences_are_loaded_per_batch(article, make_template, committed, settings,
                                                   monkeypatch):
    # 12 rows apply, more than the limit: the first query gives up on holding
    # them all, then each of the 4 batches loads its own recipients' rows.
    monkeypatch.setattr(preferences.PreferenceFilter, "PRELOAD_LIMIT", 11)
    settings.DJANGO_VOX_BATCH_SIZE = 10
    make_template(Article, "published", recipients="c:subs")
    queries = _issue_queries(article, 35, make_template, committed)
    assert sum("django_vox_preference" in sql for sql in queries) == 1 + 4


def test_one_row_per_owner_notification_and_protocol_even_for_all(subs):
    from django.db import IntegrityError, transaction

    owner = preferences.Owner.of_instance(subs[0])
    first = preferences.set_preference(owner, None, "", False)
    assert preferences.set_preference(owner, None, "", True).pk == first.pk
    # "All notifications" is NULL, and NULLs are distinct in SQL: the
    # constraint still refuses a second row.
    with pytest.raises(IntegrityError), transaction.atomic():
        Preference.objects.create(owner_type_id=owner.content_type_id, owner_id=owner.object_id,
                                  notification=None, protocol="", enabled=False)
    address = preferences.Owner(protocol="email", address="desk@example.org")
    preferences.set_preference(address, None, "email", False)
    with pytest.raises(IntegrityError), transaction.atomic():
        Preference.objects.create(address="desk@example.org", protocol="email", enabled=True)


def test_a_preference_has_an_object_or_an_address_not_both(subs):
    from django.core.exceptions import ValidationError
    from django.db import IntegrityError, transaction

    ct = preferences.Owner.of_instance(subs[0]).content_type_id
    with pytest.raises(IntegrityError), transaction.atomic():
        Preference.objects.create(owner_type_id=ct, owner_id=str(subs[0].pk),
                                  address="x@example.org", protocol="email", enabled=False)
    with pytest.raises(IntegrityError), transaction.atomic():
        Preference.objects.create(address="x@example.org", protocol="", enabled=False)
    with pytest.raises(ValidationError, match="not both"):
        Preference(address="x@example.org", protocol="", enabled=False).full_clean()
