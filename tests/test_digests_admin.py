"""Digests in the admin and on the preferences page (issue 23)."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.urls import reverse

from django_vox.digests import closing as digests
from django_vox.models import Delivery, Notification, Preference, Template
from django_vox.preferences import Owner, make_preferences_token
from django_vox.templating import visibility
from tests.test_admin_helpers import inline_post, make_user
from tests.testapp.models import Article, Subscriber
from tests.testapp.registrations import ArticleRegistration

pytestmark = pytest.mark.django_db


@pytest.fixture
def published():
    return Notification.objects.get_for_model(Article, "published")


@pytest.fixture
def editor(client, django_user_model):
    client.force_login(make_user(django_user_model, "ed", "django_vox.view_notification",
                                 "django_vox.change_notification", "django_vox.add_template",
                                 "django_vox.change_template", "django_vox.view_template",
                                 "django_vox.delete_template"))
    return client


def change_url(notification):
    return reverse("admin:django_vox_notification_change", args=[notification.pk])


def test_editor_switches_a_template_to_a_daily_digest(editor, published):
    template = Template.objects.create(notification=published, backend="locmem",
                                       recipients="c:author", subject="New: {{ object }}",
                                       content="Hello")
    page = editor.get(change_url(published)).content.decode()
    assert 'name="templates-0-delivery_mode"' in page
    assert 'name="templates-0-digest_content"' in page
    # A blank digest starts from the one generated from the individual template.
    # It reads as words: the items' loop is behind a named tag.
    assert "{% digest_items %}" in page and "{% digest_subject %}" in page
    assert "{% for" not in page.split('name="templates-0-digest_content"')[1].split("</textarea>")[0]
    response = editor.post(change_url(published), inline_post([{
        "id": str(template.pk), "notification": str(published.pk), "backend": "locmem",
        "recipients": ["c:author"], "subject": "New: {{ object }}", "content": "Hello",
        "enabled": True, "delivery_mode": "digest", "digest_window": "daily",
        "digest_time": "07:30", "digest_weekday": "0",
        "digest_subject": "{{ count }} new", "digest_content": "{% for i in items %}x{% endfor %}",
        "recipient_limit": "5/h"}], initial=1))
    assert response.status_code == 302
    template.refresh_from_db()
    assert (template.delivery_mode, template.digest_window, template.digest_time) == (
        "digest", "daily", dt.time(7, 30))
    assert (template.digest_subject, template.recipient_limit) == ("{{ count }} new", "5/h")


@pytest.mark.parametrize("field, value, expected", [
    ("digest_content", "{% for i in items %}", "This template has an error"),
    ("recipient_limit", "lots", "5/h"),
])
def test_bad_digest_options_are_refused_with_the_reason(editor, published, field, value,
                                                         expected):
    response = editor.post(change_url(published), inline_post([{
        "backend": "locmem", "recipients": ["c:author"], "content": "Hi", "enabled": True,
        "delivery_mode": "digest", field: value}]))
    assert response.status_code == 200
    assert expected in response.content.decode()
    assert not Template.objects.exists()


def test_the_delivery_log_shows_held_messages(client, django_user_model, published, ann,
                                              committed):
    Template.objects.create(notification=published, backend="locmem", recipients="c:author",
                            content="Hi", delivery_mode="digest", digest_window="hourly")
    article = Article.objects.create(author=ann, title="T")
    with committed():
        ArticleRegistration.published.issue(article)
    row = Delivery.objects.get()
    assert row.status == Delivery.HELD
    client.force_login(make_user(django_user_model, "viewer", "django_vox.view_delivery"))
    listing = client.get(reverse("admin:django_vox_delivery_changelist") + "?status=held")
    assert "held for a digest" in listing.content.decode()
    detail = client.get(reverse("admin:django_vox_delivery_change", args=[row.pk]))
    html = detail.content.decode()
    assert "held for a digest" in listing.content.decode()
    assert "Email to ann@example.org" in html  # the digest key in words
    assert row.digest_key not in html


def test_the_preferences_page_saves_a_digest_choice(client, make_template):
    template = make_template(Article, "published", recipients="c:subs", allow_digests=True)
    reader = Subscriber.objects.create(name="R", email="r@example.org")
    url = reverse("django_vox:preferences-signed",
                  args=[make_preferences_token(Owner.of_instance(reader))])
    name = f"choice:{template.notification.pk}:email"
    assert client.post(url, {name: "daily"}).status_code == 302
    pref = Preference.objects.get()
    assert (pref.enabled, pref.delivery) == (True, "daily")
    page = client.get(url).content.decode()
    assert '<option value="daily" selected>' in page
    client.post(url, {name: "off"})
    pref.refresh_from_db()
    assert (pref.enabled, pref.delivery) == (False, "daily")
    client.post(url, {name: "bogus"})  # an unknown choice changes nothing
    pref.refresh_from_db()
    assert pref.enabled is False


def test_a_template_that_allows_no_digests_keeps_the_checkbox(client, make_template):
    template = make_template(Article, "published", recipients="c:subs")
    reader = Subscriber.objects.create(name="R", email="r@example.org")
    url = reverse("django_vox:preferences-signed",
                  args=[make_preferences_token(Owner.of_instance(reader))])
    page = client.get(url).content.decode()
    assert f'name="choice:{template.notification.pk}:email"' not in page
    assert f'value="{template.notification.pk}:email"' in page
    # A digest choice posted anyway (a forged form) is ignored.
    client.post(url, {f"choice:{template.notification.pk}:email": "weekly",
                      "on": [f"{template.notification.pk}:email"]})
    assert not Preference.objects.filter(delivery="weekly").exists()


def test_default_digest_for_the_template_email_backend_names_its_blocks():
    subject, content = digests.default_digest(Template(backend="email", subject=""))
    assert subject == "" and "{% block subject %}" in content and "{% block text_body %}" in content


def test_purging_the_log_keeps_held_messages(published, ann, committed):
    Template.objects.create(notification=published, backend="locmem", recipients="c:author",
                            content="Hi", delivery_mode="digest",
                            digest_window="weekly")
    with committed():
        ArticleRegistration.published.issue(Article.objects.create(author=ann, title="T"))
    Delivery.objects.update(created_at=dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc))
    call_command("vox_purge", "--older-than", "1")
    assert Delivery.objects.get().status == Delivery.HELD
    call_command("vox_purge", "--older-than", "1", "--include-queued")
    assert not Delivery.objects.exists()


def test_the_admin_previews_a_digest(editor, published, ann):
    Article.objects.create(author=ann, title="Sample <b>")
    url = reverse("admin:django_vox_notification_preview", args=[published.pk])
    response = editor.post(url, {
        "backend": "locmem", "digest": "1", "digest_subject": "", "digest_content": "",
        "subject": "New: {{ object.title }}", "content": "Read {{ object.title }}"})
    answer = response.json()
    html = answer["html"]
    # This editor may not view articles: the items show a made-up sample (issue 17).
    assert "Sample &lt;b&gt;" not in html
    assert answer["header"]["subject"] == "New: Sample title (and 2 more)"
    assert html.count("Read Sample title") == 3 and "3 notifications since" in html
    written = editor.post(url, {"backend": "locmem", "digest": "1",
                                "digest_subject": "{{ count }} new",
                                "digest_content": "{% for i in items %}[{{ i.subject }}]{% endfor %}",
                                "subject": "S", "content": "x"}).json()
    assert written["header"]["subject"] == "3 new" and "[S][S][S]" in written["html"]
    bad = editor.post(url, {"backend": "locmem", "digest": "1", "digest_content": "x",
                            "content": "{% load static %}"})
    assert bad.status_code == 400 and "load" in bad.json()["error"]


def _paths(description):
    return {field["path"]: field for group in description["groups"] for field in group["fields"]}


def test_the_digest_picker_describes_the_digest_context(editor, published):
    paths = _paths(visibility.describe_digest_context(published))
    for path in ("items", "count", "window.start", "window.end", "window.name", "item.subject",
                 "item.text", "item.html", "item.created_at", "item.object.title",
                 "notification.codename", "contact.address", "unsubscribe_url"):
        assert path in paths, path
    assert paths["items"]["type"] == "list" and "item.subject" in paths["items"]["loop"]
    # What a digest does not have: the object of one message at the top level.
    assert "object" not in paths and "object.title" not in paths
    # The editor page sends it to editor.js, beside the individual template's variables.
    page = editor.get(change_url(published))
    data = page.context["vox_editor"]
    assert _paths(data["digest_variables"]).keys() == paths.keys()
    assert "object.title" in _paths(data["variables"])


def test_the_digest_picker_variables_render_in_the_digest_preview(editor, published, ann):
    """The paths the picker offers are what the digest context gives."""
    url = reverse("admin:django_vox_notification_preview", args=[published.pk])
    content = ("count={{ count }};{% for item in items %}{% if forloop.first %}"
               "title={{ item.object.title }};subject={{ item.subject }};"
               "text={{ item.text }};{% endif %}{% endfor %}"
               "code={{ notification.codename }};unsub={{ unsubscribe_url }};"
               "window={% if window.start < window.end %}ok{% endif %}")
    for path in ("count", "item.object.title", "item.subject", "item.text",
                 "notification.codename", "unsubscribe_url", "window.start", "window.end"):
        assert path in _paths(visibility.describe_digest_context(published))
    html = editor.post(url, {"backend": "locmem", "digest": "1", "digest_content": content,
                             "subject": "S {{ object.title }}",
                             "content": "T"}).json()["html"]
    assert ("count=3;title=Sample title;subject=S Sample title;text=T;code=published;"
            "unsub=https://example.org/unsubscribe/sample-token/;window=ok") in html


def test_digest_preview_errors_name_the_digest_field(editor, published):
    url = reverse("admin:django_vox_notification_preview", args=[published.pk])
    bad = editor.post(url, {"backend": "locmem", "digest": "1", "digest_content": "{% if %}",
                            "content": "x"}).json()["error"]
    assert bad.startswith("Digest content:")
    own = editor.post(url, {"backend": "locmem", "digest": "1", "digest_content": "x",
                            "content": "{% for %}"}).json()["error"]
    assert own.startswith("Content:")


def _save_digest(client, notification, digest_content, mode="digest"):
    response = client.post(change_url(notification), inline_post([{
        "backend": "locmem", "recipients": ["c:author"], "subject": "S", "content": "Hi",
        "enabled": True, "delivery_mode": mode, "digest_window": "daily",
        "digest_time": "07:30", "digest_weekday": "0", "digest_subject": "{{ count }} new",
        "digest_content": digest_content}]), follow=True)
    assert response.status_code == 200
    return [str(message) for message in response.context["messages"]]


def test_saving_warns_of_digest_variables_the_picker_does_not_offer(editor, published):
    warned = _save_digest(editor, published, "{% for item in items %}{{ item.object.titel }}"
                          "{{ item.subject }}{% endfor %}{{ object.title }} {{ window.end }}")
    text = " ".join(warned)
    assert "Digest content, line 1: item.object.titel" in text
    assert "object.title" in text.replace("item.object.titel", "")
    assert "item.subject" not in text and "window.end" not in text
    assert Template.objects.count() == 1  # a warning, not an error


def test_the_default_digest_and_immediate_templates_save_without_digest_warnings(editor,
                                                                                 published):
    assert not [text for text in _save_digest(editor, published, digests.DEFAULT_CONTENT)
                if "variable" in text]
    # Sent immediately, the digest content is not checked.
    assert not [text for text in _save_digest(editor, published, "{{ nothing }}",
                                              mode="immediately") if "variable" in text]
