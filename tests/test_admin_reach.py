"""What an editor may reach (issue 34, item 1): the preview, the issue page, the
one-time message and the digest preview choose objects through the model's
admin queryset with its view permission, and a preview renders related objects
of models the editor may not view as nothing, with a note.

A site of its own with per-tenant admins: a tenant is a group; an editor sees
the articles written, and the users, in their groups.
"""

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.urls import path, reverse

from django_vox.admin import NotificationAdmin, notify
from django_vox.backends import locmem
from django_vox.models import Delivery, Notification
from tests import factories
from tests.test_admin_helpers import make_user
from tests.testapp.models import Article, Subscriber

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

User = get_user_model()
site = admin.AdminSite(name="tenant")


@admin.register(Article, site=site)
class TenantArticleAdmin(admin.ModelAdmin):
    actions = [notify]
    search_fields = ["title"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(
            author__groups__in=request.user.groups.all()).distinct()


@admin.register(User, site=site)
class TenantUserAdmin(UserAdmin):
    search_fields = ()  # the choosers then search the text fields, still of this queryset

    def get_queryset(self, request):
        return super().get_queryset(request).filter(
            groups__in=request.user.groups.all()).distinct()


site.register(Notification, NotificationAdmin)
urlpatterns = [path("admin/", site.urls)]

EDITOR_PERMS = ("django_vox.view_notification", "django_vox.change_notification",
                "django_vox.view_template", "django_vox.change_template")
TENANT_PERMS = (*EDITOR_PERMS, "testapp.view_article", "testapp.change_article",
                "auth.view_user", "django_vox.add_delivery")


def url(name, *args):
    return reverse(f"tenant:django_vox_notification_{name}", args=args)


@pytest.fixture
def tenants(django_user_model):
    """Two tenants, each with an author and an article; ``red``'s editor."""
    red, blue = Group.objects.create(name="red"), Group.objects.create(name="blue")
    rita = factories.make_user("rita", last_name="Red")
    editor = make_user(django_user_model, "redactor", *TENANT_PERMS)
    bert = factories.make_user("bert", last_name="Blue", first_name="Bert")  # the newest
    rita.groups.add(red)
    bert.groups.add(blue)
    ours = Article.objects.create(author=rita, title="Red news")
    theirs = Article.objects.create(author=bert, title="Blue secrets")  # the newest
    editor.groups.add(red)
    return {"ours": ours, "theirs": theirs, "rita": rita, "bert": bert, "editor": editor}


@pytest.fixture
def red(client, tenants):
    client.force_login(tenants["editor"])
    return client


def preview(client, notification, **data):
    return client.post(url("preview", notification.pk), {"backend": "locmem", **data})


# -- through the admin queryset --------------------------------------------------------

def test_preview_chooses_samples_in_the_editors_tenant_only(red, tenants):
    published = Notification.objects.get_for_model(Article, "published")
    answer = preview(red, published, content="[{{ object.title }}]").json()
    assert "[Red news]" in answer["html"]  # the newest the editor may reach
    response = preview(red, published, content="[{{ object.title }}]",
                       object=str(tenants["theirs"].pk))
    assert response.status_code == 400
    assert "Blue secrets" not in response.content.decode()
    assert "among those you may view" in response.json()["error"]
    for bad in ("abc", "99999999999999999999999"):
        assert preview(red, published, content="x", object=bad).status_code == 400


def test_preview_actor_and_recipients_come_from_the_tenant(red, tenants):
    edited = Notification.objects.get_for_model(Article, "edited")
    answer = preview(red, edited, content="{{ actor.username }}/{{ recipient.email }}",
                     recipients="c:author").json()
    assert "bert" not in answer["html"]  # the newest user is another tenant's
    assert "redactor/rita@example.org" in answer["html"]
    # The recipients offered for a sample are only those the editor may reach.
    tenants["ours"].editors.add(tenants["bert"], tenants["rita"])
    answer = preview(red, edited, content="{{ recipient.email }}", recipients="c:editors").json()
    assert [r["id"] for r in answer["sample"]["recipients"]] == ["rita@example.org"]
    answer = preview(red, edited, content="{{ recipient.email }}", recipients="c:editors",
                     recipient="bert@example.org").json()
    assert "bert@example.org" not in str(answer)


def test_search_offers_only_the_tenants_objects(red, tenants):
    edited = Notification.objects.get_for_model(Article, "edited")
    found = red.get(url("search", edited.pk, "actor"), {"term": "b"}).json()["results"]
    assert "bert" not in {row["text"] for row in found}
    found = red.get(url("search", edited.pk, "object")).json()["results"]
    assert [row["text"] for row in found] == ["Red news"]


def test_issue_refuses_another_tenants_objects_and_actor(red, tenants, make_template,
                                                         django_capture_on_commit_callbacks):
    make_template(Article, "edited", recipients="se", content="{{ object.title }}")
    edited = Notification.objects.get_for_model(Article, "edited")
    response = red.post(url("issue", edited.pk), {"objects": [str(tenants["theirs"].pk)],
                                                  "actor": str(tenants["rita"].pk)})
    assert response.status_code == 200 and "objects" in response.context["form"].errors
    assert "Blue secrets" not in response.content.decode()
    response = red.post(url("issue", edited.pk), {"objects": [str(tenants["ours"].pk)],
                                                  "actor": str(tenants["bert"].pk)})
    assert "actor" in response.context["form"].errors
    html = response.content.decode()
    assert "bert" not in html and "Blue" not in html  # the re-displayed form names nobody
    assert not locmem.outbox and not Delivery.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        red.post(url("issue", edited.pk), {"objects": [str(tenants["ours"].pk)],
                                           "actor": str(tenants["rita"].pk)})
    assert [m.to for m in locmem.outbox] == [["rita@example.org"]]


def test_actor_without_view_permission_is_a_form_error(client, django_user_model, tenants,
                                                       make_template):
    make_template(Article, "edited", recipients="se", content="{{ object.title }}")
    edited = Notification.objects.get_for_model(Article, "edited")
    editor = make_user(django_user_model, "noviews", *EDITOR_PERMS, "testapp.view_article")
    editor.groups.add(*Group.objects.all())
    client.force_login(editor)
    superuser = User.objects.create_superuser("root", "root@example.org", "pw")
    superuser.groups.add(*Group.objects.all())
    response = client.post(url("issue", edited.pk), {"objects": [str(tenants["ours"].pk)],
                                                     "actor": str(superuser.pk)})
    assert response.status_code == 200
    assert "You may not view users" in str(response.context["form"].errors["actor"])
    assert "root" not in response.content.decode()
    assert not locmem.outbox


def one_time(client, model, ids, **data):
    content_type = data.pop("content_type", ContentType.objects.get_for_model(model).pk)
    return client.post(reverse("tenant:django_vox_one_time_preview"), {
        "backend": "locmem", "content": "{{ object }}", "content_type": content_type,
        "ids": ids, **data})


def test_one_time_preview_refuses_another_tenants_object(red, tenants):
    response = one_time(red, Article, [str(tenants["theirs"].pk)])
    assert response.status_code == 400 and "Blue secrets" not in response.content.decode()
    response = one_time(red, Article, [str(tenants["ours"].pk), str(tenants["theirs"].pk)],
                        object=str(tenants["theirs"].pk))
    assert response.status_code == 400 and "Blue secrets" not in response.content.decode()
    assert "Red news" in one_time(red, Article, [str(tenants["ours"].pk)]).json()["html"]


@pytest.mark.parametrize("content_type, ids", [
    ("abc", ["1"]), ("99999999999999999999999", ["1"]), ("", ["1"]), ("-1", ["1"]),
    (None, ["abc"]), (None, ["99999999999999999999999"]), (None, ["1.5"]),
])
def test_one_time_preview_answers_bad_ids_with_404(red, tenants, content_type, ids):
    data = {} if content_type is None else {"content_type": content_type}
    assert one_time(red, Article, ids, **data).status_code == 404


# -- related objects in a preview --------------------------------------------------------

RELATED = ("[{{ object.title }}|{{ object.author.email }}|{{ object.author.last_name }}|"
           "{{ object.author.last_login }}|{% for e in object.editors %}{{ e.email }}{% endfor %}|"
           "{% for r in object.readers %}{{ r.email }}{% endfor %}]")


@pytest.fixture
def article_with_people(db):
    ann = factories.make_user("ann", last_name="Smith")
    article = Article.objects.create(author=ann, title="Spring news")
    article.editors.add(factories.make_user("ed", last_name="Itor"))
    article.readers.add(Subscriber.objects.create(name="Rea Der", email="rea@example.org"))
    return article


@pytest.mark.urls("tests.urls")
def test_related_objects_the_editor_may_not_view_render_empty_with_a_note(
        client, django_user_model, article_with_people, make_template,
        django_capture_on_commit_callbacks):
    published = Notification.objects.get_for_model(Article, "published")
    client.force_login(make_user(django_user_model, "viewer", *EDITOR_PERMS,
                                 "testapp.view_article"))
    preview_url = reverse("admin:django_vox_notification_preview", args=[published.pk])
    answer = client.post(preview_url, {"backend": "locmem-sms", "content": RELATED}).json()
    assert "[Spring news|||||]" in answer["html"]
    for secret in ("ann@example.org", "Smith", "ed@example.org", "rea@example.org"):
        assert secret not in str(answer)
    assert "hidden: you may not view users" in answer["warnings"]
    assert "hidden: you may not view subscribers" in answer["warnings"]
    # The digest preview follows the same rule.
    answer = client.post(preview_url, {"backend": "locmem", "digest": "1",
                                       "digest_content": "", "content": RELATED}).json()
    assert "ann@example.org" not in str(answer) and "rea@example.org" not in str(answer)
    assert "hidden: you may not view users" in answer["warnings"]
    # With view_user the user fields show, the subscribers stay hidden.
    client.force_login(make_user(django_user_model, "more", *EDITOR_PERMS,
                                 "testapp.view_article", "auth.view_user"))
    answer = client.post(preview_url, {"backend": "locmem-sms", "content": RELATED}).json()
    assert "ann@example.org|Smith|" in answer["html"] and "ed@example.org" in answer["html"]
    assert answer["warnings"] == ["hidden: you may not view subscribers"]
    # Sending to recipients is unaffected.
    make_template(Article, "published", recipients="c:readers", content=RELATED)
    with django_capture_on_commit_callbacks(execute=True):
        published.issue_now(article_with_people)
    assert "ann@example.org|Smith|" in locmem.outbox[0].body
    assert "rea@example.org" in locmem.outbox[0].body


@pytest.mark.urls("tests.urls")
def test_one_time_preview_hides_related_objects_too(client, django_user_model,
                                                    article_with_people):
    client.force_login(make_user(django_user_model, "sender", "testapp.view_article",
                                 "testapp.change_article", "django_vox.add_delivery"))
    response = client.post(reverse("admin:django_vox_one_time_preview"), {
        "backend": "locmem", "content": RELATED, "ids": [str(article_with_people.pk)],
        "content_type": ContentType.objects.get_for_model(Article).pk})
    answer = response.json()
    assert "[Spring news|||||]" in answer["html"]
    assert "hidden: you may not view users" in answer["warnings"]
