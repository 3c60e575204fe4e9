"""Translating templates in the admin (issue 31): the language page with its
tabs, saving with the same checks as the default, the preview in the
language, the notification list's overview; and the tabs in Chromium at 1280 px."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.urls import reverse

from django_vox.models import Notification, Template, TemplateTranslation
from django_vox.models.translations import source_hash
from tests.test_admin_browser import BACKENDS
from tests.testapp.models import Article, Subscriber

LANGUAGES = [("en", "English"), ("fr", "Français"), ("de", "Deutsch"), ("ja", "日本語")]


def locale_by_address(contact):
    address = getattr(contact.obj, "email", "") or contact.address
    return {"fr": ("fr", "Europe/Paris"), "de": ("de", "Europe/Berlin")}.get(
        address.split("-")[0])


@pytest.fixture(autouse=True)
def _languages(settings):
    settings.LANGUAGES = LANGUAGES
    settings.LANGUAGE_CODE = "en"
    settings.DJANGO_VOX_BACKENDS = BACKENDS
    settings.DJANGO_VOX_RECIPIENT_LOCALE = "tests.test_languages_admin.locale_by_address"


def make_translated(db_ready=True):
    """A template translated into German, out of date in French, missing in Japanese."""
    author = get_user_model().objects.create(username="ann", email="ann@example.org")
    Article.objects.create(author=author, title="Spring news")
    notification = Notification.objects.get_for_model(Article, "published")
    template = Template.objects.create(
        notification=notification, backend="locmem", recipients="c:subs",
        subject="News: {{ object.title }}", content="Read {{ object.title }}")
    TemplateTranslation.objects.create(template=template, language="de",
                                       subject="Neu: {{ object.title }}",
                                       content="Lies {{ object.title }}",
                                       source_hash=source_hash(template))
    TemplateTranslation.objects.create(template=template, language="fr",
                                       content="Lisez {{ object.title }}",
                                       source_hash="from-an-older-default")
    return template


def page_url(template, language):
    return reverse("admin:django_vox_template_translation",
                   args=[template.notification_id, template.pk, language])


@pytest.mark.django_db
def test_the_page_shows_each_languages_state(admin_client):
    template = make_translated()
    response = admin_client.get(page_url(template, "ja"))
    assert response.status_code == 200
    html = response.content.decode()
    states = dict(re.findall(r'data-language="(\w+)">[^<]*<span class="vox-language-state">'
                             r"([^<]+)</span>", html))
    assert states == {"en": "default text", "de": "translated", "fr": "out of date",
                      "ja": "missing"}
    assert 'aria-current="page" data-language="ja"' in html
    # A missing translation starts from the default text.
    assert response.context["form"].initial["content"] == "Read {{ object.title }}"
    assert "vox-out-of-date" not in html
    assert "vox-out-of-date" in admin_client.get(page_url(template, "fr")).content.decode()


@pytest.mark.django_db
def test_saving_a_translation_makes_it_current(admin_client):
    template = make_translated()
    response = admin_client.post(page_url(template, "fr"), {
        "subject": "Nouveau : {{ object.title }}", "content": "Lisez {{ object.title }}"})
    assert response.status_code == 302
    french = TemplateTranslation.objects.get(template=template, language="fr")
    assert french.subject == "Nouveau : {{ object.title }}"
    assert not french.is_out_of_date()
    template.content = "Read it: {{ object.title }}"
    template.save()
    french.refresh_from_db()
    assert french.is_out_of_date()


@pytest.mark.django_db
@pytest.mark.parametrize("content, expected", [
    ("Bonjour {{ object.title }", "is not closed"),
    ("Bonjour {% if object.title %}", "if"),
])
def test_save_checks_each_language_like_the_default(admin_client, content, expected):
    template = make_translated()
    response = admin_client.post(page_url(template, "ja"), {"content": content})
    assert response.status_code == 200
    assert expected in " ".join(response.context["form"].errors["content"])
    assert not TemplateTranslation.objects.filter(language="ja").exists()


@pytest.mark.django_db
def test_deleting_a_translation(admin_client):
    template = make_translated()
    admin_client.post(page_url(template, "de"), {"delete": "1"})
    assert not TemplateTranslation.objects.filter(language="de").exists()


@pytest.mark.django_db
def test_an_unoffered_language_or_a_viewer_gets_no_page(admin_client, client):
    template = make_translated()
    assert admin_client.get(page_url(template, "es")).status_code == 404
    viewer = get_user_model().objects.create_user("viewer", password="pw", is_staff=True)
    client.force_login(viewer)
    assert client.get(page_url(template, "de")).status_code in (302, 403)


@pytest.mark.django_db
def test_the_preview_renders_in_the_language_for_a_recipient_who_reads_it(admin_client):
    template = make_translated()
    for prefix in ("en", "de", "fr"):
        Subscriber.objects.create(name=f"{prefix} reader", email=f"{prefix}-0@example.org")
    url = reverse("admin:django_vox_template_translation_preview",
                  args=[template.notification_id, template.pk, "fr"])
    with time_machine.travel(dt.datetime(2026, 12, 7, 12, tzinfo=ZoneInfo("UTC")), tick=False):
        answer = admin_client.post(url, {
            "backend": "locmem", "subject": "Nouveau", "recipients": "c:subs",
            "content": "Lisez {{ object.title }}, le {% now 'DATE_FORMAT' %} à {% now 'H:i' %}"})
    result = answer.json()
    assert "le 7 décembre 2026 à 13:00" in result["html"], result
    assert result["sample"]["recipient"]["id"] == "fr-0@example.org"


@pytest.mark.django_db
def test_the_notification_list_and_the_templates_say_what_is_left(admin_client):
    template = make_translated()
    changelist = admin_client.get(reverse("admin:django_vox_notification_changelist"))
    html = changelist.content.decode()
    assert "Français out of date (1), 日本語 missing (1)" in html
    change = admin_client.get(reverse("admin:django_vox_notification_change",
                                      args=[template.notification_id]))
    links = change.content.decode()
    assert f'href="{page_url(template, "ja")}">日本語: missing</a>' in links
    assert f'href="{page_url(template, "de")}">Deutsch: translated</a>' in links


@pytest.mark.django_db
def test_a_single_language_site_shows_nothing_of_translations(admin_client, settings):
    settings.USE_I18N = False
    template = make_translated()
    html = admin_client.get(reverse("admin:django_vox_notification_changelist")).content.decode()
    assert "translations to do" not in html
    assert admin_client.get(page_url(template, "de")).status_code == 404


@pytest.mark.django_db
def test_site_contacts_have_a_language_and_a_checked_time_zone(admin_client):
    from django_vox.models import SiteContact

    url = reverse("admin:django_vox_sitecontact_add")
    form = admin_client.get(url).context["adminform"].form
    assert ("fr", "Français") in form.fields["language"].choices
    fields = {"name": "Équipe", "protocol": "email", "address": "team@example.org",
              "enable_filter": "blacklist", "language": "fr", "timezone": "Mars/Olympus",
              "settings-TOTAL_FORMS": "0", "settings-INITIAL_FORMS": "0"}
    response = admin_client.post(url, fields)
    assert "is not a time zone name" in " ".join(
        response.context["adminform"].form.errors["timezone"])
    admin_client.post(url, {**fields, "timezone": "Europe/Paris"})
    contact = SiteContact.objects.get()
    assert (contact.language, contact.timezone) == ("fr", "Europe/Paris")


# -- Chromium --------------------------------------------------------------------------------
@pytest.mark.browser
def test_the_language_tabs_at_1280_px(page, transactional_db, tmp_path):
    from playwright.sync_api import expect

    from tests.test_admin_editor_browser import log_in, screenshot_dir

    get_user_model().objects.create_superuser("boss", "boss@example.org", "pw")
    template = make_translated()
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page)
    page.goto(page_url(template, "fr"))
    tabs = page.locator(".vox-language-tab")
    expect(tabs).to_have_count(4)
    expect(page.locator(".vox-language-tab.vox-current")).to_have_text(re.compile("Français"))
    expect(page.locator(".vox-state-out-of-date")).to_contain_text("out of date")
    expect(page.locator(".vox-state-missing")).to_contain_text("日本語")
    tops = {round(tabs.nth(i).bounding_box()["y"]) for i in range(4)}
    assert len(tops) == 1  # one row of tabs at 1280 px
    # The same editor: toolbar, picker and a preview rendered in French.
    content = page.locator("textarea[data-vox-field=content]")
    expect(page.locator(".vox-picker").first).to_be_visible()
    content.fill("Lisez {{ object.title }} — {% now 'F' %}")
    frame = page.frame_locator(".vox-preview-frame").first
    months = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
              "septembre", "octobre", "novembre", "décembre"]
    expect(frame.locator("body")).to_contain_text(re.compile("|".join(months)))
    page.screenshot(path=str(screenshot_dir(tmp_path) / "translation-tabs-1280.png"))
    page.locator("input[name=save]").click()
    expect(page.locator(".vox-language-tab.vox-current")).to_contain_text("translated")
    page.locator(".vox-language-tab[data-language=ja]").click()
    expect(page.locator(".vox-missing-note")).to_be_visible()


@pytest.mark.browser
def test_the_preferences_page_in_french(page, transactional_db, settings):
    from playwright.sync_api import expect

    from django_vox.preferences import Owner, make_preferences_token

    settings.SITE_DOMAIN = "news.example.org"
    subscriber = Subscriber.objects.create(name="Élise", email="fr-0@example.org")
    token = make_preferences_token(Owner.of_instance(subscriber))
    response = page.goto(f"/vox/preferences/{token}/")
    assert response.headers["content-language"] == "fr"
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    # The same link made for a German reader opens in German.
    german = make_preferences_token(Owner.of_instance(subscriber), language="de")
    page.goto(f"/vox/preferences/{german}/")
    expect(page.locator("html")).to_have_attribute("lang", "de")
