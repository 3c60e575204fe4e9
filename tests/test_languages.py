"""Recipients in their own language and time zone (issue 31): over real SMTP.

The recipients' languages come from ``DJANGO_VOX_RECIPIENT_LOCALE`` (this
module's :func:`locale_from_address`: ``fr-…@`` is French in Paris, ``de-…@``
German in Berlin, ``ja-…@`` Japanese in Tokyo, anyone else says nothing),
from contacts and from registrations.
"""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from django_vox import checks as vox_checks
from django_vox.backends import html_email
from django_vox.digests import closing as digests
from django_vox.issuing.recipients import template_contacts
from django_vox.models import Delivery, Notification, SiteContact, Template, TemplateTranslation
from django_vox.models.translations import source_hash
from django_vox.registry import Contact, locales
from tests.backends.email_helpers import parts, vox_email  # noqa: F401
from tests.testapp.models import Article, Subscriber
from tests.testapp.registrations import ArticleRegistration, SubscriberRegistration

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("vox_email")]

LANGUAGES = [("en", "English"), ("fr", "Français"), ("de", "Deutsch"), ("ja", "日本語")]
#: 12:00 UTC: 13:00 in Paris and Berlin, 21:00 in Tokyo.
NOON_UTC = dt.datetime(2026, 12, 7, 12, 0, tzinfo=ZoneInfo("UTC"))
WHERE = {"fr": ("fr-ca", "Europe/Paris"), "de": ("de", "Europe/Berlin"),
         "ja": ("ja", "Asia/Tokyo")}


def locale_from_address(contact):
    """The site-wide resolver these tests install: by the address, or by the
    owner's (a preferences page knows the owner, not the address)."""
    address = getattr(contact.obj, "email", "") or contact.address
    return WHERE.get(address.split("-")[0])


@pytest.fixture(autouse=True)
def _languages(settings):
    settings.LANGUAGES = LANGUAGES
    settings.LANGUAGE_CODE = "en"
    settings.TIME_ZONE = "UTC"
    settings.SITE_DOMAIN = "news.example.org"
    settings.DJANGO_VOX_RECIPIENT_LOCALE = "tests.test_languages.locale_from_address"


def subscribers(*prefixes, count=1):
    return [Subscriber.objects.create(name=f"{prefix} {i}", email=f"{prefix}-{i}@example.org")
            for prefix in prefixes for i in range(count)]


def publish(committed, title="Hello"):
    author = Article._meta.get_field("author").related_model.objects.get_or_create(
        username="author")[0]
    article = Article.objects.create(author=author, title=title)
    with committed():
        ArticleRegistration.published.issue(article)
    return article


def translate(template, language, **fields):
    return TemplateTranslation.objects.create(template=template, language=language,
                                              source_hash=source_hash(template), **fields)


@pytest.fixture
def dated_template(make_template):
    """An individual template saying when it was sent, in English, French and German."""
    template = make_template(
        Article, "published", backend="email-html", recipients="c:subs",
        subject="New: {{ object.title }}",
        content="<p>Published {% now 'DATE_FORMAT' %} at {% now 'H:i' %}</p>")
    translate(template, "fr", subject="Nouveau : {{ object.title }}",
              content="<p>Publié le {% now 'DATE_FORMAT' %} à {% now 'H:i' %}</p>")
    translate(template, "de", subject="Neu: {{ object.title }}",
              content="<p>Veröffentlicht am {% now 'DATE_FORMAT' %} um {% now 'H:i' %}</p>")
    return template


def by_recipient(smtp_server):
    return {message["To"]: message for message in smtp_server.messages}


# -- one issue, each recipient in their own language -------------------------------------
def test_french_and_german_recipients_get_their_own_text_and_dates(
        dated_template, smtp_server, committed):
    subscribers("fr", "de", "en")
    before = translation.get_language()
    with time_machine.travel(NOON_UTC, tick=False):
        publish(committed)
    got = by_recipient(smtp_server)
    assert got["fr-0@example.org"]["Subject"] == "Nouveau : Hello"
    assert "Publié le 7 décembre 2026 à 13:00" in parts(got["fr-0@example.org"])["text/html"]
    assert got["de-0@example.org"]["Subject"] == "Neu: Hello"
    assert "Veröffentlicht am 7. Dezember 2026 um 13:00" in parts(
        got["de-0@example.org"])["text/html"]
    assert got["en-0@example.org"]["Subject"] == "New: Hello"
    assert "Published Dec. 7, 2026 at 12:00" in parts(got["en-0@example.org"])["text/html"]
    # Rendering leaves the language and time zone of the issuing code alone.
    assert translation.get_language() == before


def test_a_missing_translation_falls_back_to_the_default_text_in_the_recipients_formats(
        dated_template, smtp_server, committed):
    subscribers("ja")
    with time_machine.travel(NOON_UTC, tick=False):
        publish(committed)
    [message] = smtp_server.messages
    assert message["Subject"] == "New: Hello"
    assert "Published 2026年12月7日 at 21:00" in parts(message)["text/html"]
    [warning] = [w for w in vox_checks.check_translations(databases=["default"])
                 if w.obj == dated_template]
    assert warning.id == "django_vox.W040"
    assert "no translation for ja" in warning.msg


def test_the_translations_check_reports_out_of_date_ones_and_can_be_turned_off(
        dated_template, settings):
    dated_template.content = "<p>Changed</p>"
    dated_template.save()
    [warning] = vox_checks.check_translations(databases=["default"])
    assert "no translation for ja and an out-of-date translation for fr, de" in warning.msg
    settings.DJANGO_VOX_WARN_MISSING_TRANSLATIONS = False
    assert vox_checks.check_translations(databases=["default"]) == []


def test_a_blank_field_of_a_translation_uses_the_default_and_from_names_translate(
        make_template, smtp_server, committed):
    template = make_template(Article, "published", backend="email-html", recipients="c:subs",
                             subject="Hi", content="<p>Hello</p>",
                             from_address="News <news@example.org>")
    translate(template, "fr", content="<p>Bonjour</p>",
              from_address="Nouvelles <news@example.org>")
    subscribers("fr")
    publish(committed)
    [message] = smtp_server.messages
    assert message["Subject"] == "Hi"
    assert message["From"] == "Nouvelles <news@example.org>"
    assert "Bonjour" in parts(message)["text/html"]


# -- bulk: one message per language --------------------------------------------------------
@pytest.fixture
def render_counter(monkeypatch):
    calls = []
    original = html_email.Backend.build_message

    def counting(self, *args, **kwargs):
        calls.append(translation.get_language())
        return original(self, *args, **kwargs)

    monkeypatch.setattr(html_email.Backend, "build_message", counting)
    return calls


def _bulk_queries(committed, prefixes, count):
    """The queries one issue takes, to ``count`` subscribers of each language prefix."""
    Subscriber.objects.all().delete()
    subscribers(*prefixes, count=count)
    author = Article._meta.get_field("author").related_model.objects.get_or_create(
        username="author")[0]
    article = Article.objects.create(author=author, title=f"Bulk {count}")
    with CaptureQueriesContext(connection) as queries, committed():
        ArticleRegistration.published.issue(article)
    return [query["sql"] for query in queries]


def test_bulk_to_1000_recipients_in_3_languages_renders_3_times_in_constant_queries(
        make_template, smtp_server, committed, render_counter, settings):
    settings.DJANGO_VOX_BATCH_SIZE = 2000  # one batch either way
    template = make_template(Article, "published", backend="email-html", recipients="c:subs",
                             subject="News", content="<p>{{ object.title }}</p>", bulk=True)
    translate(template, "fr", subject="Nouvelles")
    translate(template, "de", subject="Neuigkeiten")
    small = _bulk_queries(committed, ["en"], 30)
    assert render_counter == ["en"]
    smtp_server.reset()
    render_counter.clear()
    large = _bulk_queries(committed, ["fr", "de", "en"], 334)  # 1,002
    assert sorted(render_counter) == ["de", "en", "fr"]
    assert len(large) == len(small), '\n'.join(q[:120] for q in large)
    subjects = {message["Subject"]: len(envelope.rcpt_tos) for message, envelope
                in zip(smtp_server.messages, smtp_server.envelopes, strict=True)}
    assert subjects == {"Nouvelles": 334, "Neuigkeiten": 334, "News": 334}
    assert Delivery.objects.filter(status=Delivery.SENT).count() == 1 + 3


def test_individual_messages_take_as_many_queries_in_three_languages_as_in_one(
        dated_template, smtp_server, committed):
    one = _bulk_queries(committed, ["en"], 30)
    smtp_server.reset()
    three = _bulk_queries(committed, ["fr", "de", "en"], 10)
    assert len(smtp_server.messages) == 30
    assert {m["Subject"] for m in smtp_server.messages} == {
        "New: Bulk 10", "Nouveau : Bulk 10", "Neu: Bulk 10"}
    assert len(three) == len(one), '\n'.join(q[:120] for q in three)


# -- digests ------------------------------------------------------------------------------------
def test_a_digest_is_written_in_its_recipients_language(make_template, smtp_server, committed):
    template = make_template(
        Article, "published", backend="email-html", recipients="c:subs",
        subject="New: {{ object.title }}", content="<p>{{ object.title }}</p>",
        delivery_mode=Template.DIGEST, digest_window=Template.DAILY, digest_time=dt.time(8),
        digest_subject="{{ count }} new articles",
        digest_content="<p>Since {{ window.start|date:'DATE_FORMAT' }}</p>")
    translate(template, "fr", subject="Nouveau : {{ object.title }}",
              digest_subject="{{ count }} nouveaux articles",
              digest_content="<p>Depuis le {{ window.start|date:'DATE_FORMAT' }}</p>")
    subscribers("fr", "en")
    with time_machine.travel(NOON_UTC, tick=True):
        publish(committed, "Alpha")
        publish(committed, "Beta")
    assert smtp_server.messages == []
    with time_machine.travel(NOON_UTC + dt.timedelta(days=1), tick=True):
        assert digests.send_digests().digests == 2
    got = by_recipient(smtp_server)
    assert got["fr-0@example.org"]["Subject"] == "2 nouveaux articles"
    assert "Depuis le 7 décembre 2026" in parts(got["fr-0@example.org"])["text/html"]
    assert got["en-0@example.org"]["Subject"] == "2 new articles"
    assert "Since Dec. 7, 2026" in parts(got["en-0@example.org"])["text/html"]


# -- the unsubscribe landing and the preferences page --------------------------------------------
def test_links_open_pages_in_the_recipients_language(dated_template, smtp_server, committed):
    subscribers("fr")
    publish(committed)
    [message] = smtp_server.messages
    url = message["List-Unsubscribe"].strip()[1:-1]
    page = Client().get(url.replace("https://news.example.org", ""))
    assert page.status_code == 200
    assert page["Content-Language"] == "fr"
    assert '<html lang="fr">' in page.content.decode()
    link = re.search(r"https://news\.example\.org(/vox/preferences/[^\"<\s]+)",
                     parts(message)["text/html"] + " ")
    if link is not None:  # the template does not print it; make one like the message's
        page = Client().get(link.group(1))
        assert page["Content-Language"] == "fr"


def test_the_preferences_page_follows_the_owner_without_a_language_in_the_link(
        settings, monkeypatch):
    from django_vox.preferences import Owner, make_preferences_token

    [subscriber] = subscribers("de")
    token = make_preferences_token(Owner.of_instance(subscriber))  # a link made before 31
    page = Client().get(f"/vox/preferences/{token}/")
    assert page["Content-Language"] == "de"
    assert '<html lang="de">' in page.content.decode()


# -- where a language comes from ------------------------------------------------------------------
def test_the_contact_wins_then_the_registration_then_the_resolver(monkeypatch):
    [subscriber] = subscribers("fr")
    resolver = locales.LocaleResolver()
    assert resolver(Contact("", "email", subscriber.email, subscriber)) == locales.Locale(
        "fr", "Europe/Paris")  # fr-ca is not offered: its base language
    monkeypatch.setattr(SubscriberRegistration, "get_locale",
                        lambda self, instance: ("de", ""), raising=False)
    resolver = locales.LocaleResolver()
    assert resolver(Contact("", "email", subscriber.email, subscriber)) == locales.Locale(
        "de", "Europe/Paris")  # the time zone still comes from the resolver
    contact = Contact("", "email", subscriber.email, subscriber, language="ja",
                      timezone="Asia/Tokyo")
    assert resolver(contact) == locales.Locale("ja", "Asia/Tokyo")


@pytest.mark.parametrize("given, expected", [
    ("fr", "fr"), ("FR", "fr"), ("pt-br", "en"), ("de_AT", "de"), ("xx", "en"), ("", "en")])
def test_languages_outside_the_site_fall_back(given, expected):
    assert locales.normalize_language(given) == expected


def test_brazilian_portuguese_falls_back_to_portuguese(settings):
    settings.LANGUAGES = [("en", "English"), ("pt", "Português")]
    assert locales.normalize_language("pt-BR") == "pt"


def test_an_unknown_time_zone_falls_back_to_the_sites(caplog):
    resolver = locales.LocaleResolver()
    assert resolver(Contact("", "email", "x@example.org", None, "fr", "Mars/Olympus")) == \
        locales.Locale("fr", "UTC")
    assert "Mars/Olympus" in caplog.text


def test_a_site_without_translation_renders_everybody_in_language_code(settings):
    settings.USE_I18N = False
    resolver = locales.LocaleResolver()
    assert not resolver.multilingual
    assert resolver(Contact("", "email", "fr-0@example.org")).language == "en"


def test_a_resolver_that_raises_is_logged_and_the_message_goes_out(
        settings, dated_template, smtp_server, committed, caplog):
    settings.DJANGO_VOX_RECIPIENT_LOCALE = lambda contact: 1 / 0
    subscribers("fr")
    publish(committed)
    [message] = smtp_server.messages
    assert message["Subject"] == "New: Hello"
    assert "Finding the language of fr-0@example.org failed" in caplog.text


@pytest.mark.parametrize("value, words", [
    ("tests.test_languages.nothing_here", "could not be imported"),
    ("tests.test_languages.LANGUAGES", "is not a function"),
    (42, "must be the dotted path of a function"),
])
def test_a_bad_resolver_setting_is_a_check_error_naming_it(settings, value, words):
    settings.DJANGO_VOX_RECIPIENT_LOCALE = value
    [error] = [e for e in vox_checks.check_settings() if e.id == "django_vox.E018"]
    assert error.msg.startswith("DJANGO_VOX_RECIPIENT_LOCALE") and words in error.msg
    with pytest.raises(ImproperlyConfigured, match="DJANGO_VOX_RECIPIENT_LOCALE"):
        locales.LocaleResolver()


def test_a_resolver_answering_nonsense_names_the_setting(settings):
    settings.DJANGO_VOX_RECIPIENT_LOCALE = lambda contact: "fr"
    with pytest.raises(ImproperlyConfigured, match="DJANGO_VOX_RECIPIENT_LOCALE must return"):
        locales.LocaleResolver()(Contact("", "email", "a@example.org"))


def test_site_contacts_carry_their_language(make_template):
    SiteContact.objects.create(name="Équipe", protocol="email", address="team@example.org",
                               language="fr", timezone="Europe/Paris")
    template = make_template(Article, "published", backend="email-html", recipients="si")
    [contact] = template_contacts(template, template.notification, "email", {})
    assert (contact.language, contact.timezone) == ("fr", "Europe/Paris")


def test_a_template_copy_in_a_language_cannot_be_saved(dated_template):
    french = Template.objects.get(pk=dated_template.pk).for_language("fr")
    assert french.subject == "Nouveau : {{ object.title }}"
    with pytest.raises(ValueError, match="save the template itself"):
        french.save()
    assert Notification.objects.get(pk=dated_template.notification_id)  # unchanged


def test_background_chunks_keep_the_languages_contacts_give():
    from django_vox.background import chunks
    from django_vox.issuing.recipients import RecipientRefs

    entry = chunks._entry(Contact("A", "email", "a@example.org", None, "fr", "Europe/Paris"),
                          RecipientRefs())
    assert entry == ["A", "a@example.org", None, "fr", "Europe/Paris"]
    [contact] = chunks._contacts([entry, ], "email")
    assert (contact.language, contact.timezone) == ("fr", "Europe/Paris")
    assert chunks._entry(Contact("B", "email", "b@example.org"), RecipientRefs()) == [
        "B", "b@example.org", None]
