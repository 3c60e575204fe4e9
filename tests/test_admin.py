"""The notification admin: list, change page with templates, preview, issue page."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from django_vox.backends import locmem
from django_vox.models import Delivery, Notification, Template
from tests.test_admin_helpers import inline_post, make_user
from tests.testapp.models import Article, Comment, Subscriber

pytestmark = [pytest.mark.django_db, pytest.mark.article(title="Spring news")]

CHANGE_PERMS = ("django_vox.view_notification", "django_vox.change_notification",
                "django_vox.add_template", "django_vox.change_template",
                "django_vox.delete_template", "django_vox.view_template")


@pytest.fixture
def published():
    return Notification.objects.get_for_model(Article, "published")


@pytest.fixture
def editor(client, django_user_model):
    client.force_login(make_user(django_user_model, "editor", *CHANGE_PERMS))
    return client


def change_url(notification):
    return reverse("admin:django_vox_notification_change", args=[notification.pk])


def preview_url(notification):
    return reverse("admin:django_vox_notification_preview", args=[notification.pk])


def issue_url(notification):
    return reverse("admin:django_vox_notification_issue", args=[notification.pk])


# -- list -------------------------------------------------------------------------

def test_changelist_shows_columns_and_template_count(admin_client, published, make_template):
    make_template(Article, "published")
    make_template(Article, "published", backend="locmem-sms")
    response = admin_client.get(reverse("admin:django_vox_notification_changelist"))
    assert response.status_code == 200
    html = response.content.decode()
    for header in ("Notification", "About", "Recipients may turn it off", "Templates",
                   "Last updated"):
        assert header in html
    assert "No, always sent" in html  # the required "urgent", in words
    row = next(r for r in response.context["cl"].result_list if r.pk == published.pk)
    assert row.template_count == 2
    assert "An article was published" in html


def test_changelist_filters_by_object_type(admin_client, published):
    comment_ct = Notification.objects.get_for_model(Comment, "posted").object_type
    url = reverse("admin:django_vox_notification_changelist")
    response = admin_client.get(url, {"object_type__id__exact": comment_ct.pk})
    codenames = {n.codename for n in response.context["cl"].result_list}
    assert "posted" in codenames and "published" not in codenames
    assert "object_type__id__exact" in response.content.decode()  # the filter is offered


# -- change page ----------------------------------------------------------------------

def test_code_fields_are_read_only_for_notifications_from_code(admin_client, published):
    response = admin_client.get(change_url(published))
    form = response.context["adminform"].form
    for name in ("codename", "object_type", "actor_type", "target_type"):
        assert name not in form.fields
    admin_client.post(change_url(published), inline_post([], codename="hacked"))
    published.refresh_from_db()
    assert published.codename == "published"


def test_hand_made_notification_is_editable(admin_client):
    from django.contrib.contenttypes.models import ContentType

    ct = ContentType.objects.get_for_model(Article)
    manual = Notification.objects.create(codename="manual", object_type=ct, description="x")
    response = admin_client.post(change_url(manual), inline_post(
        [], codename="renamed", object_type=str(ct.pk), description="By hand"))
    assert response.status_code == 302, response.context["adminform"].form.errors
    manual.refresh_from_db()
    assert (manual.codename, manual.description) == ("renamed", "By hand")


def test_change_page_offers_recipients_in_words_and_editor_data(editor, published):
    response = editor.get(change_url(Notification.objects.get_for_model(Article, "moved")))
    html = response.content.decode()
    assert response.status_code == 200
    for key, words in (("c", "The article"), ("c:author", "Author of the article"),
                       ("c:subs", "All active subscribers of the article"),
                       ("se", "The actor (user)"), ("re", "The target (depot)"),
                       ("si", "Site contacts")):
        assert f'value="{key}"' in html
        assert words in html
    data = response.context["vox_editor"]
    assert data["backends"]["locmem"]["use_subject"] is True
    assert data["backends"]["locmem-slack-webhook"]["use_from_address"] is False
    paths = {f["path"] for g in data["variables"]["groups"] for f in g["fields"]}
    assert {"object.title", "object.author.username", "actor.email", "target.name"} <= paths
    assert "object.author.password" not in paths
    assert data["variables"]["recipients"]["c:subs"] == "testapp.subscriber"
    assert 'id="vox-editor-data"' in html and "django_vox/admin/editor.js" in html


def test_saving_a_template_stores_recipients_and_attachments(editor, published):
    response = editor.post(change_url(published), inline_post([{
        "backend": "locmem", "recipients": ["c:author", "si"], "subject": "New: {{ object }}",
        "content": "Hello {{ recipient.first_name }}", "attachments": ["object.summary"],
        "from_address": "", "bulk": False, "enabled": True}]))
    assert response.status_code == 302
    template = Template.objects.get(notification=published)
    assert template.recipients == "c:author,si"
    assert [a.key for a in template.attachments.all()] == ["object.summary"]
    # Unticking the attachment removes it.
    editor.post(change_url(published), inline_post([{
        "id": str(template.pk), "notification": str(published.pk), "backend": "locmem",
        "recipients": ["c:author"], "content": "Hi", "enabled": True}], initial=1))
    template.refresh_from_db()
    assert template.recipients == "c:author"
    assert not template.attachments.exists()


@pytest.mark.parametrize("field,source,expected", [
    ("content", "Hi {% if %}", "This template has an error"),
    ("content", "{{ object|no_such_filter }}", "no_such_filter"),
    ("subject", "{% no_such_tag %}", "no_such_tag"),
    ("content", "{% load static %}", "load"),
    ("content", "{% include 'admin/base.html' %}", "include"),
    ("from_address", "{{ object.author.email }}{% endif %}", "endif"),
])
def test_template_errors_are_form_errors_not_500(editor, published, field, source, expected):
    fields = {"backend": "locmem", "recipients": ["c"], "content": "ok", "enabled": True}
    fields[field] = source
    response = editor.post(change_url(published), inline_post([fields]))
    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][0].formset.forms[0].errors
    assert expected in " ".join(errors[field])
    assert expected in response.content.decode().replace("&#x27;", "'")
    assert not Template.objects.filter(notification=published).exists()


def test_fields_hidden_for_the_backend_are_not_checked(editor, published):
    # The slack backend has no subject or from address: the editor cannot see
    # those fields, so leftovers there must not block saving.
    response = editor.post(change_url(published), inline_post([{
        "backend": "locmem-slack-webhook", "recipients": ["si"], "subject": "{% if %}",
        "from_address": "{{ x|nope }}", "content": "Posted: {{ object.title }}",
        "enabled": True}]))
    assert response.status_code == 302
    assert Template.objects.get(notification=published).subject == "{% if %}"


def test_change_page_needs_permission(client, django_user_model, published):
    client.force_login(make_user(django_user_model, "nobody"))
    assert client.get(change_url(published)).status_code == 403
    client.force_login(make_user(django_user_model, "outsider", "django_vox.change_notification",
                                 staff=False))
    response = client.get(change_url(published))
    assert response.status_code == 302 and "/login/" in response.url


# -- preview -----------------------------------------------------------------------------

def test_preview_renders_unsaved_content_with_a_real_row(client, django_user_model, published,
                                                         article):
    # Real rows only for an editor who may view the models (issue 17, item 5).
    client.force_login(make_user(django_user_model, "editor", *CHANGE_PERMS,
                                 "testapp.view_article", "auth.view_user"))
    response = client.post(preview_url(published), {
        "backend": "locmem", "subject": "New: {{ object.title }}", "recipients": "c:author",
        "content": "Dear {{ recipient.first_name }}, {{ object.title }} by "
                   "{{ object.author.first_name }} <b>"})
    assert response.status_code == 200
    answer = response.json()
    assert "Dear Ann, Spring news by Ann &lt;b&gt;" in answer["html"]  # text shown as text
    assert answer["header"] == {"from": "webmaster@localhost", "to": "Ann <ann@example.org>",
                                "subject": "New: Spring news"}
    assert answer["sample"]["object"] == {"id": str(article.pk), "text": "Spring news",
                                          "made_up": False}
    assert answer["sample"]["recipients"] == [{"id": "ann@example.org",
                                               "text": "Ann <ann@example.org>"}]


def test_preview_shows_real_recipients_only_to_who_may_view_them(client, django_user_model,
                                                                 published, article):
    client.force_login(make_user(django_user_model, "editor", *CHANGE_PERMS,
                                 "testapp.view_article"))
    answer = client.post(preview_url(published), {
        "backend": "locmem", "recipients": "c:author",
        "content": "Dear {{ recipient.email }}"}).json()
    assert "ann@example.org" not in str(answer)
    assert "may not view the people" in answer["sample"]["note"]


def test_preview_without_view_permission_uses_a_made_up_sample(editor, published, article):
    response = editor.post(preview_url(published), {
        "backend": "locmem", "recipients": "c:author", "content": "[{{ object.title }}]"})
    answer = response.json()
    assert "Spring news" not in answer["html"] and "[Sample title]" in answer["html"]
    assert answer["sample"]["object"]["made_up"] is True
    assert "made-up article" in answer["sample"]["object"]["text"]
    assert answer["sample"]["note"] == "The recipient is made up too."
    assert "ann@example.org" not in str(answer)  # the real author is not shown


def test_preview_lets_the_editor_choose_object_and_recipient(admin_client, published, article):
    other = Article.objects.create(author=article.author, title="Older news")
    ada = Subscriber.objects.create(name="Ada", email="ada@example.org")
    Subscriber.objects.create(name="Bob", email="bob@example.org")
    data = {"backend": "locmem", "recipients": ["c:subs", "c:author"],
            "content": "Hi {{ recipient.name }}: {{ object.title }}"}
    answer = admin_client.post(preview_url(published), data).json()
    assert answer["sample"]["object"]["text"] == "Older news"  # the newest
    assert [r["text"] for r in answer["sample"]["recipients"]] == [
        "Ada <ada@example.org>", "Bob <bob@example.org>"]  # the first group ticked
    answer = admin_client.post(preview_url(published), dict(
        data, object=str(article.pk), recipient="bob@example.org")).json()
    assert "Hi Bob: Spring news" in answer["html"]
    assert answer["header"]["to"] == "Bob <bob@example.org>"
    assert ada.pk and other.pk


def test_preview_of_a_bulk_template_has_no_single_recipient(admin_client, published, article):
    answer = admin_client.post(preview_url(published), {
        "backend": "locmem", "recipients": "c:author", "bulk": "1",
        "content": "[{{ recipient }}]"}).json()
    assert "[]" in answer["html"]
    assert answer["sample"]["recipients"] == []
    assert "one message goes to all recipients" in answer["sample"]["note"]


def test_preview_uses_a_labelled_made_up_instance_without_rows(editor):
    notification = Notification.objects.get_for_model(Comment, "posted")
    response = editor.post(preview_url(notification), {
        "backend": "locmem-sms", "content": "[{{ object.name }}] {{ object.text|default:'empty' }}"})
    assert response.status_code == 200
    assert "[Sample name] Sample text" in response.json()["html"]
    assert not Comment.objects.exists()


def test_preview_reports_template_errors_as_json(editor, published):
    response = editor.post(preview_url(published), {"backend": "locmem", "content": "{% if %}"})
    assert response.status_code == 400
    assert "Content" in response.json()["error"]
    response = editor.post(preview_url(published), {"backend": "nope", "content": "x"})
    assert response.status_code == 400 and "backend" in response.json()["error"]


def test_preview_is_post_only_and_needs_change_permission(client, django_user_model, published):
    viewer = make_user(django_user_model, "viewer", "django_vox.view_notification")
    client.force_login(viewer)
    assert client.post(preview_url(published), {"backend": "locmem", "content": "x"}).status_code == 403
    client.force_login(make_user(django_user_model, "ed", *CHANGE_PERMS))
    assert client.get(preview_url(published)).status_code == 405
    anonymous = Client()
    response = anonymous.post(preview_url(published), {"backend": "locmem", "content": "x"})
    assert response.status_code == 302 and "/login/" in response.url


def test_preview_enforces_csrf(django_user_model, published):
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user(django_user_model, "ed", *CHANGE_PERMS))
    response = client.post(preview_url(published), {"backend": "locmem", "content": "x"})
    assert response.status_code == 403
    client.get(change_url(published))
    token = client.cookies["csrftoken"].value
    response = client.post(preview_url(published), {"backend": "locmem", "content": "x"},
                           headers={"X-CSRFToken": token})
    assert response.status_code == 200


# -- issue page -------------------------------------------------------------------------------

ISSUE_PERMS = CHANGE_PERMS + ("testapp.view_article",)


@pytest.mark.django_db(transaction=True)
def test_issue_page_sends_to_chosen_objects(client, django_user_model, published, article,
                                            make_template):
    make_template(Article, "published", recipients="c:author", subject="{{ object.title }}",
                  content="Read {{ object.title }}")
    other = Article.objects.create(author=article.author, title="Other")
    client.force_login(make_user(django_user_model, "issuer", *ISSUE_PERMS))
    page = client.get(change_url(published))
    assert issue_url(published) in page.content.decode()
    response = client.get(issue_url(published))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Author of the article" in html and "c:author" not in html  # templates in words
    assert "admin-autocomplete" in html  # a search box, not a list of the newest rows
    response = client.post(issue_url(published), {"objects": [str(article.pk)]}, follow=True)
    assert [m.subject for m in locmem.outbox] == ["Spring news"]
    assert locmem.outbox[0].to == ["ann@example.org"]
    text = " ".join(str(m) for m in response.context["messages"])
    assert "Issued for 1 object: 1 message(s) sent, 0 failed" in text
    assert Delivery.objects.get().object_id == str(article.pk)
    assert other.pk not in {int(d.object_id) for d in Delivery.objects.all()}


def test_issue_page_reports_required_notification_sending_nothing(admin_client, article):
    urgent = Notification.objects.get_for_model(Article, "urgent")
    response = admin_client.post(issue_url(urgent), {"objects": [str(article.pk)]}, follow=True)
    text = " ".join(str(m) for m in response.context["messages"])
    assert "would send nothing" in text
    assert not locmem.outbox


@pytest.mark.django_db(transaction=True)
def test_issue_page_asks_for_the_actor_of_notifications_that_need_one(admin_client, article,
                                                                     make_template):
    edited = Notification.objects.get_for_model(Article, "edited")
    make_template(Article, "edited", recipients="c:author", subject="{{ actor.username }}")
    assert issue_url(edited) in admin_client.get(change_url(edited)).content.decode()
    page = admin_client.get(issue_url(edited))
    html = page.content.decode()
    assert "also needs who did it (the actor: a user)" in html
    assert set(page.context["form"].fields) == {"objects", "actor"}
    # Without an actor, the form says so; with one, it is issued with it.
    response = admin_client.post(issue_url(edited), {"objects": [str(article.pk)]})
    assert response.status_code == 200 and "actor" in response.context["form"].errors
    admin_client.post(issue_url(edited), {"objects": [str(article.pk)],
                                          "actor": str(article.author.pk)})
    assert [m.subject for m in locmem.outbox] == ["ann"]


@pytest.mark.django_db(transaction=True)
def test_issue_page_permissions_and_csrf(client, django_user_model, published, article,
                                         make_template):
    make_template(Article, "published", recipients="c:author")
    # Change permission on notifications but not view on the objects.
    client.force_login(make_user(django_user_model, "half", *CHANGE_PERMS))
    assert client.get(issue_url(published)).status_code == 403
    assert client.post(issue_url(published), {"objects": [str(article.pk)]}).status_code == 403
    client.force_login(make_user(django_user_model, "viewer", "django_vox.view_notification",
                                 "testapp.view_article"))
    assert client.post(issue_url(published), {"objects": [str(article.pk)]}).status_code == 403
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(make_user(django_user_model, "issuer", *ISSUE_PERMS))
    assert strict.post(issue_url(published), {"objects": [str(article.pk)]}).status_code == 403
    assert not locmem.outbox
    page = strict.get(issue_url(published))
    token = page.context["csrf_token"]
    strict.post(issue_url(published), {"objects": [str(article.pk)],
                                       "csrfmiddlewaretoken": str(token)})
    assert len(locmem.outbox) == 1



def test_view_only_user_sees_templates_read_only(client, django_user_model, published,
                                                make_template):
    make_template(Article, "published", recipients="c:author,si", attachments=["object.summary"])
    client.force_login(make_user(django_user_model, "reader", "django_vox.view_notification",
                                 "django_vox.view_template"))
    response = client.get(change_url(published))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="templates-0-content"' not in html
    shown = re.sub(r"<script.*?</script>", "", html, flags=re.S)  # not the editor's data
    assert "Author of the article, Site contacts" in shown and "c:author" not in shown
    assert "In-memory (tests)" in html and "Summary, from the article" in html
    response = client.post(change_url(published), inline_post([]))
    assert response.status_code == 403


def test_add_page_for_a_hand_made_notification(admin_client):
    response = admin_client.get(reverse("admin:django_vox_notification_add"))
    assert response.status_code == 200
    assert 'name="codename"' in response.content.decode()


def test_issue_search_finds_any_object_the_editor_may_view(client, django_user_model,
                                                           published, article):
    for number in range(30):
        Article.objects.create(author=article.author, title=f"Filler {number}")
    url = reverse("admin:django_vox_notification_search", args=[published.pk, "object"])
    client.force_login(make_user(django_user_model, "issuer", *ISSUE_PERMS))
    answer = client.get(url, {"term": "spring"}).json()
    assert answer == {"results": [{"id": str(article.pk), "text": "Spring news"}],
                      "pagination": {"more": False}}
    first = client.get(url).json()
    assert len(first["results"]) == 20 and first["pagination"]["more"] is True
    assert client.get(url, {"page": "2"}).json()["results"][-1]["text"] == "Spring news"
    # Searching by a secret field is never offered (the user's password hash).
    users = reverse("admin:django_vox_notification_search", args=[
        Notification.objects.get_for_model(Article, "edited").pk, "actor"])
    client.force_login(make_user(django_user_model, "boss", *ISSUE_PERMS, "auth.view_user"))
    assert client.get(users, {"term": "pbkdf2"}).json()["results"] == []
    assert client.get(users, {"term": "ann"}).json()["results"][0]["text"] == "ann"
    # Without view permission on the model: refused.
    client.force_login(make_user(django_user_model, "half", *CHANGE_PERMS))
    assert client.get(url, {"term": "spring"}).status_code == 403
    assert client.get(reverse("admin:django_vox_notification_search",
                              args=[published.pk, "nothing"])).status_code == 404


@pytest.mark.parametrize("typed", ["Hello\n{{ object.title }}\n", "Hello\r\n{{ object.title }}\r\n"])
def test_an_untouched_template_keeps_its_bytes(editor, published, typed):
    """A browser sends a text area's lines with CRLF: saving the notification
    must not rewrite an unchanged template (line ends, final newline)."""
    stored = "Hello\n{{ object.title }}\n"
    template = Template.objects.create(notification=published, backend="locmem",
                                       recipients="c:author", content=stored,
                                       digest_content="Digest\n")
    response = editor.post(change_url(published), inline_post([{
        "id": str(template.pk), "notification": str(published.pk), "backend": "locmem",
        "recipients": ["c:author"], "content": typed, "digest_content": "Digest\r\n",
        "enabled": True}], initial=1))
    assert response.status_code == 302
    template.refresh_from_db()
    assert (template.content, template.digest_content) == (stored, "Digest\n")
    # An edit is stored with \n line ends and its final newline.
    editor.post(change_url(published), inline_post([{
        "id": str(template.pk), "notification": str(published.pk), "backend": "locmem",
        "recipients": ["c:author"], "content": "Hi\r\nthere\r\n", "enabled": True}],
        initial=1))
    template.refresh_from_db()
    assert template.content == "Hi\nthere\n"
