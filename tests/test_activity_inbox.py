"""The inbox HTTP surface: listing, limits, read marking and who may see what."""

import json
from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.utils import timezone

from django_vox.activities.inbox import inbox_limit
from django_vox.backends.activity import Backend
from django_vox.models import Activity, InboxItem
from django_vox.registry import objects
from tests.support import as2
from tests.testapp.models import Article

pytestmark = pytest.mark.django_db

AS = "application/activity+json"
LD = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
MIDDLEWARE = "django_vox.activities.inbox.ActivityInboxMiddleware"


def deliver(summary, *users):
    """Store one activity in the users' inboxes through the backend."""
    backend = Backend()
    message = backend.build_message("", summary, {})
    backend.send_message("", [f"https://example.org/users/{u.username}/" for u in users], message)
    return Activity.objects.get(summary=summary)


def get_inbox(client, username="ann", prefix="/vox/", accept=AS, query=""):
    return client.get(f"{prefix}users/{username}/inbox{query}", HTTP_ACCEPT=accept)


def post_read(client, objects_, username="ann", prefix="/vox/", content_type=AS, **extra):
    body = {"@context": as2.AS_CONTEXT, "type": "Read", "object": objects_}
    return client.post(f"{prefix}users/{username}/outbox", data=json.dumps(body),
                       content_type=content_type, **extra)


@pytest.fixture
def setup(activity_settings, user_inboxes, ann, bob):
    return ann, bob


def test_owner_reads_the_inbox_newest_first(client, setup, ann, bob):
    first = deliver("First", ann)
    second = deliver("Second", ann, bob)
    deliver("For bob only", bob)
    client.force_login(ann)
    response = get_inbox(client)
    assert response.status_code == 200
    assert response["Content-Type"] == AS
    assert "Accept" in response["Vary"] and "no-store" in response["Cache-Control"]
    document = as2.check_ordered_collection(json.loads(response.content))
    assert document["id"] == "http://testserver/vox/users/ann/inbox"
    assert [item["id"] for item in document["orderedItems"]] == [
        second.get_iri(), first.get_iri()]
    assert document["orderedItems"][0] == second.as_document(context=False)
    assert document["totalItems"] == 2


def test_ld_json_with_the_profile_is_accepted(client, setup, ann):
    deliver("Hi", ann)
    client.force_login(ann)
    response = get_inbox(client, accept=LD)
    assert response.status_code == 200
    assert len(json.loads(response.content)["orderedItems"]) == 1


def test_other_media_types_are_not_acceptable(client, setup, ann):
    client.force_login(ann)
    assert get_inbox(client, accept="text/html").status_code == 406
    assert get_inbox(client, accept="*/*").status_code == 406


def test_the_limit_keeps_the_newest(client, setup, ann, settings):
    settings.DJANGO_VOX_INBOX_LIMIT = 3
    for n in range(5):
        deliver(f"Post {n}", ann)
    client.force_login(ann)
    document = as2.check_ordered_collection(json.loads(get_inbox(client).content))
    assert [item["summary"] for item in document["orderedItems"]] == ["Post 4", "Post 3", "Post 2"]


def test_the_default_limit_is_500(client, setup, ann):
    assert inbox_limit() == 500
    activities = Activity.objects.bulk_create(Activity(summary=f"n{n}") for n in range(501))
    start = timezone.now()
    owner = InboxItem(owner_iri="https://example.org/users/ann/", activity=activities[0])
    owner.owner = ann
    InboxItem.objects.bulk_create(
        InboxItem(owner_type=owner.owner_type, owner_id=owner.owner_id, owner_iri=owner.owner_iri,
                  activity=activity, created_at=start + timedelta(seconds=n))
        for n, activity in enumerate(Activity.objects.order_by("pk")))
    client.force_login(ann)
    items = json.loads(get_inbox(client).content)["orderedItems"]
    assert len(items) == 500
    assert items[0]["summary"] == "n500" and items[-1]["summary"] == "n1"


@pytest.mark.parametrize("value", [0, -1, "10", None, True])
def test_a_bad_limit_names_the_setting(settings, value):
    settings.DJANGO_VOX_INBOX_LIMIT = value
    with pytest.raises(ImproperlyConfigured, match="DJANGO_VOX_INBOX_LIMIT"):
        inbox_limit()


def test_read_marks_the_item_and_unread_filters(client, setup, ann, bob):
    first = deliver("First", ann, bob)
    second = deliver("Second", ann)
    client.force_login(ann)
    response = post_read(client, first.get_iri())
    assert response.status_code == 204
    item = InboxItem.objects.for_owner(ann).get(activity=first)
    assert item.read_at is not None
    assert InboxItem.objects.for_owner(bob).get(activity=first).read_at is None  # bob's own copy
    assert InboxItem.objects.for_owner(ann).get(activity=second).read_at is None
    unread = json.loads(get_inbox(client, query="?unread").content)["orderedItems"]
    assert [a["id"] for a in unread] == [second.get_iri()]
    everything = json.loads(get_inbox(client).content)["orderedItems"]
    assert len(everything) == 2

    # Reading again keeps the first time; lists and embedded objects work.
    read_at = item.read_at
    response = post_read(client, [{"type": "Create", "id": first.get_iri()},
                                  f"urn:uuid:{second.key}"])
    assert response.status_code == 204
    item.refresh_from_db()
    assert item.read_at == read_at
    assert not InboxItem.objects.for_owner(ann).unread().exists()


def test_read_of_someone_elses_activity_is_404_and_changes_nothing(client, setup, ann, bob):
    mine = deliver("Mine", ann)
    theirs = deliver("Theirs", bob)
    client.force_login(ann)
    assert post_read(client, [mine.get_iri(), theirs.get_iri()]).status_code == 404
    assert not InboxItem.objects.filter(read_at__isnull=False).exists()


@pytest.mark.parametrize("body, content_type, status", [
    ("not json", AS, 400),
    ("[" * 200_000, AS, 400),  # too deep for the parser: RecursionError, once a 500
    (json.dumps({"type": "Like", "object": "urn:uuid:0f8fad5b-d9cb-469f-a165-70867728950e"}),
     AS, 400),
    (json.dumps({"type": "Read", "object": "https://example.org/articles/1/"}), AS, 400),
    (json.dumps({"type": "Read"}), AS, 400),
    (json.dumps({"type": "Read", "object": "urn:uuid:0f8fad5b-d9cb-469f-a165-70867728950e"}),
     "application/json", 415),
])
def test_bad_read_requests(client, setup, ann, body, content_type, status):
    client.force_login(ann)
    response = client.post("/vox/users/ann/outbox", data=body, content_type=content_type)
    assert response.status_code == status
    assert "error" in json.loads(response.content)


@pytest.mark.parametrize("prefix", ["/vox/", "/"])
def test_outbox_needs_a_csrf_token_with_session_auth(setup, ann, settings, prefix):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, MIDDLEWARE]  # serves prefix "/"
    activity = deliver("Hi", ann)
    client = Client(enforce_csrf_checks=True)
    client.force_login(ann)
    response = post_read(client, activity.get_iri(), prefix=prefix)
    assert response.status_code == 403
    assert b"CSRF" in response.content
    assert InboxItem.objects.get().read_at is None
    client.get("/admin/login/")  # any page with a form sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    assert post_read(client, activity.get_iri(), prefix=prefix,
                     HTTP_X_CSRFTOKEN=token).status_code == 204
    assert InboxItem.objects.get().read_at is not None


def test_outbox_only_takes_post(client, setup, ann):
    client.force_login(ann)
    response = client.get("/vox/users/ann/outbox", HTTP_ACCEPT=AS)
    assert response.status_code == 405 and response["Allow"] == "POST"
    response = client.post("/vox/users/ann/inbox", data="{}", content_type=AS)
    assert response.status_code == 405 and response["Allow"] == "GET, HEAD"


# -- access rules -----------------------------------------------------------------------
def test_anonymous_gets_403_whether_or_not_the_inbox_exists(client, setup, ann):
    activity = deliver("Hi", ann)
    assert get_inbox(client).status_code == 403
    assert get_inbox(client, username="nobody").status_code == 403
    assert post_read(client, activity.get_iri()).status_code == 403
    assert client.get(f"/vox/activities/{activity.key}/").status_code == 403
    assert InboxItem.objects.get().read_at is None


def test_another_user_gets_404(client, setup, ann, bob):
    activity = deliver("For ann", ann)
    client.force_login(bob)
    response = get_inbox(client, username="ann")
    assert response.status_code == 404
    assert b"For ann" not in response.content
    assert post_read(client, activity.get_iri(), username="ann").status_code == 404
    assert client.get(f"/vox/activities/{activity.key}/").status_code == 404
    assert InboxItem.objects.get().read_at is None
    assert get_inbox(client, username="nobody").status_code == 404


def test_staff_are_not_the_owner_either(client, setup, ann, bob):
    deliver("For ann", ann)
    bob.is_staff = bob.is_superuser = True
    bob.save()
    client.force_login(bob)
    assert get_inbox(client, username="ann").status_code == 404


def test_registration_without_endpoint_is_404(client, activity_settings, ann):
    # No user_inboxes fixture: the test app's user registration keeps the default.
    activity = deliver("Hi", ann)
    client.force_login(ann)
    assert get_inbox(client).status_code == 404
    assert post_read(client, activity.get_iri()).status_code == 404
    assert client.get(f"/vox/activities/{activity.key}/").status_code == 404
    assert InboxItem.objects.get().read_at is None


def test_an_inbox_is_only_for_the_user_who_is_the_actor(client, setup, ann):
    """Even with an endpoint, an article's inbox is nobody's to read over HTTP."""
    article = Article.objects.create(author=ann, title="Hi")
    original = objects[Article]

    class ArticleWithInbox(type(original.registration)):
        def has_activity_endpoint(self, instance):
            return True

    objects.add(Article, ArticleWithInbox, regex=original.regex)
    try:
        backend = Backend()
        backend.send(f"https://example.org/articles/{article.pk}/",
                     backend.build_message("", "To the article", {}))
        assert InboxItem.objects.for_owner(article).count() == 1
        client.force_login(ann)
        response = client.get(f"/vox/articles/{article.pk}/inbox", HTTP_ACCEPT=AS)
        assert response.status_code == 404
    finally:
        objects.add(Article, type(original.registration), regex=original.regex)


def test_activity_document_for_its_recipient(client, setup, ann):
    activity = deliver("Hi", ann)
    client.force_login(ann)
    response = client.get(f"/vox/activities/{activity.key}/")
    assert response.status_code == 200
    document = as2.check_activity(json.loads(response.content))
    assert document == activity.as_document()
    assert document["id"] == f"https://example.org/vox/activities/{activity.key}/"


# -- the middleware ------------------------------------------------------------------------
@pytest.fixture
def middleware(settings):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, MIDDLEWARE]
    return settings


def test_middleware_serves_the_inbox_beside_the_actor(client, setup, middleware, ann, bob):
    activity = deliver("Hi", ann)
    client.force_login(ann)
    response = get_inbox(client, prefix="/")
    assert response.status_code == 200
    document = as2.check_ordered_collection(json.loads(response.content))
    assert document["id"] == "http://testserver/users/ann/inbox"
    assert [a["id"] for a in document["orderedItems"]] == [activity.get_iri()]
    assert post_read(client, activity.get_iri(), prefix="/").status_code == 204
    assert InboxItem.objects.get().read_at is not None
    client.force_login(bob)
    assert get_inbox(client, prefix="/").status_code == 404
    client.logout()
    assert get_inbox(client, prefix="/").status_code == 403


def test_middleware_lets_other_requests_through(client, setup, middleware, ann):
    client.force_login(ann)
    # The project has no page at /users/ann/inbox: Django's own 404, not the inbox.
    response = get_inbox(client, prefix="/", accept="text/html")
    assert response.status_code == 404
    assert response.get("Content-Type", "").startswith("text/html")
    # Activity Streams requests to paths no registration regex fits are not ours.
    response = client.get("/blog/posts/inbox", HTTP_ACCEPT=AS)
    assert response.status_code == 404
    assert response.get("Content-Type", "").startswith("text/html")
    response = client.post("/users/ann/outbox", data="a=b",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 404 and "error" not in response.content.decode()


def test_middleware_regex_setting(client, setup, middleware, ann):
    middleware.DJANGO_VOX_ACTIVITY_REGEX = r"^(?P<path>.+/)(?P<box>inbox|outbox)\.json$"
    deliver("Hi", ann)
    client.force_login(ann)
    assert client.get("/users/ann/inbox.json", HTTP_ACCEPT=AS).status_code == 200
    assert client.get("/users/ann/inbox", HTTP_ACCEPT=AS).status_code == 404


def test_middleware_regex_without_groups_names_the_setting(client, setup, middleware, ann):
    middleware.DJANGO_VOX_ACTIVITY_REGEX = r"^(?P<path>.+/)inbox$"
    client.force_login(ann)
    with pytest.raises(ImproperlyConfigured, match="DJANGO_VOX_ACTIVITY_REGEX"):
        get_inbox(client, prefix="/")
