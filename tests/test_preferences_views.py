"""The unsubscribe view (RFC 8058 one-click), tokens, the preferences page
and the admin."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import signing
from django.test import Client
from django.urls import reverse

from django_vox import preferences
from django_vox.backends import locmem
from django_vox.models import Delivery, Notification, Preference
from tests.testapp.models import Article, Profile, Subscriber
from tests.testapp.registrations import ArticleRegistration

pytestmark = pytest.mark.django_db
User = get_user_model()

ONE_CLICK = "List-Unsubscribe=One-Click"


@pytest.fixture
def sub(db):
    return Subscriber.objects.create(name="Sam", email="sam@example.org", phone="+15550001111")


def published():
    return Notification.objects.get_for_model(Article, "published")


def unsubscribe_path(owner, notification=None, protocol="email"):
    token = preferences.make_unsubscribe_token(owner, notification or published(), protocol)
    return reverse("django_vox:unsubscribe", args=[token])


def one_click(path):
    """POST exactly as RFC 8058 mail clients do: a form body, no cookies, no CSRF token."""
    client = Client(enforce_csrf_checks=True)
    return client.post(path, data=ONE_CLICK, content_type="application/x-www-form-urlencoded")


def tamper(token):
    """Change one character of the signed payload."""
    value, _sep, signature = token.rpartition(":")
    i = len(value) // 2
    return value[:i] + ("A" if value[i] != "A" else "B") + value[i + 1:] + ":" + signature


# -- tokens -------------------------------------------------------------------
def test_token_round_trip(sub):
    owner = preferences.Owner.of_instance(sub)
    token = preferences.make_unsubscribe_token(owner, published(), "sms")
    assert preferences.read_unsubscribe_token(token) == (owner, published(), "sms")
    assert preferences.read_preferences_token(preferences.make_preferences_token(owner)).instance == sub


def test_tampered_and_foreign_tokens_are_refused(sub):
    owner = preferences.Owner.of_instance(sub)
    token = preferences.make_unsubscribe_token(owner, published(), "email")
    with pytest.raises(preferences.BadToken, match="altered"):
        preferences.read_unsubscribe_token(tamper(token))
    with pytest.raises(preferences.BadToken):
        preferences.read_unsubscribe_token(token[:-2])
    # The preferences token has another salt: it cannot unsubscribe, and vice versa.
    with pytest.raises(preferences.BadToken):
        preferences.read_unsubscribe_token(preferences.make_preferences_token(owner))
    with pytest.raises(preferences.BadToken):
        preferences.read_preferences_token(token)
    # Signed with another key (e.g. forged without SECRET_KEY): refused.
    forged = signing.dumps({"o": owner.token_data(), "n": ["testapp", "article", "published"],
                            "p": "email"}, key="guess", salt=preferences.UNSUBSCRIBE_SALT)
    with pytest.raises(preferences.BadToken):
        preferences.read_unsubscribe_token(forged)


def test_expired_tokens_are_refused(sub, settings):
    token = preferences.make_unsubscribe_token(preferences.Owner.of_instance(sub), published(),
                                               "email")
    settings.DJANGO_VOX_UNSUBSCRIBE_MAX_AGE = -1
    with pytest.raises(preferences.BadToken, match="expired"):
        preferences.read_unsubscribe_token(token)


def test_token_for_a_deleted_notification_is_refused(sub):
    token = preferences.make_unsubscribe_token(preferences.Owner.of_instance(sub), published(),
                                               "email")
    published().delete()
    with pytest.raises(preferences.BadToken, match="no longer exists"):
        preferences.read_unsubscribe_token(token)


# -- the unsubscribe view -----------------------------------------------------
def test_get_shows_a_confirmation_form_and_changes_nothing(sub):
    response = Client().get(unsubscribe_path(preferences.Owner.of_instance(sub)))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Stop receiving “An article was published” (Email)?" in html
    assert re.search(r'<form method="post" action="">', html)
    assert 'name="List-Unsubscribe" value="One-Click"' in html
    assert "<script" not in html
    assert response["Referrer-Policy"] == "same-origin"
    assert "no-store" in response["Cache-Control"]
    assert not Preference.objects.exists()


def test_one_click_post_records_the_opt_out(sub):
    response = one_click(unsubscribe_path(preferences.Owner.of_instance(sub)))
    assert response.status_code == 200
    assert "You are unsubscribed" in response.content.decode()
    pref = Preference.objects.get()
    assert pref.get_owner() == sub
    assert (pref.notification, pref.protocol, pref.enabled, pref.address) == (
        published(), "email", False, "")
    # Clicking twice keeps one row.
    assert one_click(unsubscribe_path(preferences.Owner.of_instance(sub))).status_code == 200
    assert Preference.objects.count() == 1


def test_confirmation_form_posts_like_one_click(sub):
    path = unsubscribe_path(preferences.Owner.of_instance(sub))
    client = Client(enforce_csrf_checks=True)
    client.get(path)
    response = client.post(path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert Preference.objects.get().enabled is False


def test_one_click_turns_a_sign_on_back_off(sub):
    owner = preferences.Owner.of_instance(sub)
    preferences.set_preference(owner, published(), "email", True)
    one_click(unsubscribe_path(owner))
    assert preferences.is_enabled(owner, published(), "email") is False


@pytest.mark.parametrize("method", ["get", "post"])
def test_tampered_token_gets_400_and_records_nothing(sub, method):
    path = unsubscribe_path(preferences.Owner.of_instance(sub))
    token = path.rstrip("/").rsplit("/", 1)[1]
    bad = reverse("django_vox:unsubscribe", args=[tamper(token)])
    client = Client(enforce_csrf_checks=True)
    if method == "post":
        response = client.post(bad, data=ONE_CLICK,
                               content_type="application/x-www-form-urlencoded")
    else:
        response = client.get(bad)
    assert response.status_code == 400
    html = response.content.decode()
    assert "This link does not work" in html and "Nothing was changed" in html
    assert not Preference.objects.exists()


def test_garbage_token_gets_400(db):
    response = one_click(reverse("django_vox:unsubscribe", args=["not-a-token"]))
    assert response.status_code == 400
    assert not Preference.objects.exists()


def test_notification_made_required_later_cannot_be_unsubscribed(sub):
    path = unsubscribe_path(preferences.Owner.of_instance(sub))
    Notification.objects.filter(pk=published().pk).update(required=True)
    response = one_click(path)
    assert response.status_code == 200
    assert "cannot be turned off" in response.content.decode()
    assert not Preference.objects.exists()


def test_address_owner_unsubscribes(db):
    owner = preferences.Owner(protocol="email", address="desk@example.org")
    assert one_click(unsubscribe_path(owner)).status_code == 200
    pref = Preference.objects.get()
    assert (pref.owner_type, pref.owner_id, pref.protocol, pref.address, pref.enabled) == (
        None, "", "email", "desk@example.org", False)


def test_unsubscribe_link_from_a_message_stops_the_next_one(sub, make_template, committed,
                                                             settings):
    settings.SITE_DOMAIN = "news.example.org"
    user = User.objects.create(username="ann")
    article = Article.objects.create(author=user, title="Hello")
    make_template(Article, "published", recipients="c:subs", content="{{ unsubscribe_url }}")
    with committed():
        ArticleRegistration.published.issue(article)
    [message] = locmem.outbox
    path = message.body.removeprefix("https://news.example.org")
    assert one_click(path).status_code == 200
    locmem.outbox.clear()
    with committed():
        ArticleRegistration.published.issue(article)
    assert locmem.outbox == []
    assert Delivery.objects.filter(status=Delivery.SUPPRESSED).count() == 1


def test_templates_can_be_overridden(sub, settings, tmp_path):
    folder = tmp_path / "django_vox" / "preferences"
    folder.mkdir(parents=True)
    (folder / "unsubscribe.html").write_text("Our own page: {{ notification.codename }}")
    settings.TEMPLATES = [dict(settings.TEMPLATES[0], DIRS=[str(tmp_path)])]
    response = Client().get(unsubscribe_path(preferences.Owner.of_instance(sub)))
    assert response.content.decode() == "Our own page: published"


# -- the preferences page -----------------------------------------------------
@pytest.fixture
def reader(make_template):
    """A user reached as an article's author (email) and editor (email, SMS)."""
    user = User.objects.create(username="rita", email="rita@example.org")
    user.set_password("pw")
    user.save()
    Profile.objects.create(user=user, phone="+15550002222")
    make_template(Article, "published", recipients="c:author")
    make_template(Article, "edited", recipients="c:editors", backend="locmem-sms")
    make_template(Article, "urgent", recipients="c:author")
    make_template(Article, "published", recipients="c:subs", backend="locmem-sms")
    return user


def checkboxes(html):
    return {m.group(1): bool(m.group(2)) for m in re.finditer(
        r'<input type="checkbox" name="on" value="([^"]+)"[^>]*?( checked)?>', html)}


def test_page_needs_a_login_or_a_signed_link(reader):
    response = Client().get(reverse("django_vox:preferences"))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/vox/preferences/")


def test_logged_in_user_sees_and_saves_their_choices(reader):
    client = Client()
    client.force_login(reader)
    url = reverse("django_vox:preferences")
    html = client.get(url).content.decode()
    p, e = published().pk, Notification.objects.get_for_model(Article, "edited").pk
    # Notifications that reach users × protocols this user has contacts for.
    assert checkboxes(html) == {f"{p}:email": True, f"{p}:sms": True,
                                f"{e}:email": True, f"{e}:sms": True}
    assert "Always sent" in html and "Urgent news" in html
    assert "<script" not in html
    response = client.post(url, {"on": [f"{p}:sms", f"{e}:email", f"{e}:sms"]})
    assert response.status_code == 302 and response["Location"] == url + "?saved=1"
    owner = preferences.Owner.of_instance(reader)
    assert list(Preference.objects.values_list("notification", "protocol", "enabled")) == [
        (p, "email", False)]
    assert preferences.is_enabled(owner, published(), "email") is False
    html = client.get(url + "?saved=1").content.decode()
    assert "Your preferences were saved." in html
    assert checkboxes(html)[f"{p}:email"] is False
    # Checking it again turns it back on; cells not on the page are ignored.
    client.post(url, {"on": [f"{p}:email", f"{p}:sms", f"{e}:email", f"{e}:sms", "999:email"]})
    assert list(Preference.objects.values_list("notification", "protocol", "enabled")) == [
        (p, "email", True)]


def test_user_without_sms_sees_only_email(reader):
    reader.profile.delete()
    reader = User.objects.get(pk=reader.pk)
    client = Client()
    client.force_login(reader)
    html = client.get(reverse("django_vox:preferences")).content.decode()
    assert {name.split(":")[1] for name in checkboxes(html)} == {"email"}


def test_signed_link_manages_any_owner_without_login(reader, sub):
    token = preferences.make_preferences_token(preferences.Owner.of_instance(sub))
    url = reverse("django_vox:preferences-signed", args=[token])
    client = Client()
    html = client.get(url).content.decode()
    p = published().pk
    # Subscribers are reached by "published" on SMS only (c:subs) but have email too.
    assert checkboxes(html) == {f"{p}:email": True, f"{p}:sms": True}
    assert client.post(url, {"on": [f"{p}:email"]}).status_code == 302
    pref = Preference.objects.get()
    assert (pref.get_owner(), pref.protocol, pref.enabled) == (sub, "sms", False)


def test_signed_page_keeps_csrf_protection(reader, sub):
    token = preferences.make_preferences_token(preferences.Owner.of_instance(sub))
    response = Client(enforce_csrf_checks=True).post(
        reverse("django_vox:preferences-signed", args=[token]), {"on": []})
    assert response.status_code == 403
    assert not Preference.objects.exists()


def test_tampered_preferences_link_gets_400(reader, sub):
    token = preferences.make_preferences_token(preferences.Owner.of_instance(sub))
    url = reverse("django_vox:preferences-signed", args=[tamper(token)])
    assert Client().get(url).status_code == 400
    assert Client().post(url, {"on": []}).status_code == 400
    assert not Preference.objects.exists()


def test_preferences_link_for_a_deleted_owner_gets_400(reader, sub):
    token = preferences.make_preferences_token(preferences.Owner.of_instance(sub))
    sub.delete()
    response = Client().get(reverse("django_vox:preferences-signed", args=[token]))
    assert response.status_code == 400
    assert "no longer exists" in response.content.decode()


# -- admin ----------------------------------------------------------------------
def test_admin_lists_and_filters_preferences(admin_client, sub):
    owner = preferences.Owner.of_instance(sub)
    preferences.set_preference(owner, published(), "email", False)
    preferences.set_preference(preferences.Owner(protocol="sms", address="+15550009999"),
                               None, "sms", True)
    url = reverse("admin:django_vox_preference_changelist")
    html = admin_client.get(url).content.decode()
    assert "Subscriber: Sam" in html and "Text message (SMS): +15550009999" in html
    html = admin_client.get(url + "?enabled__exact=0").content.decode()
    assert "Subscriber: Sam" in html and "+15550009999" not in html
    html = admin_client.get(url + "?owner_kind=address").content.decode()
    assert "+15550009999" in html and "Subscriber: Sam" not in html
    pref = Preference.objects.get(address="")
    html = admin_client.get(reverse("admin:django_vox_preference_change", args=[pref.pk])
                            ).content.decode()
    assert "Sam" in html  # the owner object


def test_admin_delivery_log_shows_suppressed(admin_client, sub, make_template, committed):
    user = User.objects.create(username="ann")
    article = Article.objects.create(author=user, title="Hello")
    make_template(Article, "published", recipients="c:subs")
    preferences.set_preference(preferences.Owner.of_instance(sub), published(), "", False)
    with committed():
        ArticleRegistration.published.issue(article)
    url = reverse("admin:django_vox_delivery_changelist") + "?status__exact=suppressed"
    html = admin_client.get(url).content.decode()
    assert "sam@example.org" in html
    row = Delivery.objects.get(status=Delivery.SUPPRESSED)
    html = admin_client.get(reverse("admin:django_vox_delivery_change", args=[row.pk])
                            ).content.decode()
    assert "the recipient turned this off" in html


def test_signed_link_for_an_address_owner(make_template):
    from django_vox.models import SiteContact

    SiteContact.objects.create(name="Desk", protocol="email", address="desk@example.org")
    make_template(Article, "published", recipients="si")
    make_template(Article, "edited", recipients="si", backend="locmem-sms")  # not their protocol
    owner = preferences.Owner(protocol="email", address="desk@example.org")
    url = reverse("django_vox:preferences-signed", args=[preferences.make_preferences_token(owner)])
    client = Client()
    html = client.get(url).content.decode()
    assert checkboxes(html) == {f"{published().pk}:email": True}
    assert "desk@example.org" not in html  # the page never shows whose it is
    client.post(url, {"on": []})
    pref = Preference.objects.get()
    assert (pref.owner_type, pref.address, pref.protocol, pref.notification, pref.enabled) == (
        None, "desk@example.org", "email", published(), False)
