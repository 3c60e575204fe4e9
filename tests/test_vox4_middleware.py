"""django_vox.middleware.activity_inbox_middleware (activities.rst of 4.x) and
django_vox.extra.background_tasks.issue."""

import json
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model

from django_vox.backends import locmem
from django_vox.backends.activity import Backend as ActivityBackend
from django_vox.background import tasks
from django_vox.exceptions import RemovedInDjangoVox6Warning
from django_vox.models import Activity, InboxItem
from tests.support import as2
from tests.test_tasks import DUMMY, run
from tests.testapp.models import Article, Subscriber
from tests.testapp.registrations import ArticleRegistration
from tests.vox4app.models import User as MemberUser

pytestmark = pytest.mark.django_db

AS = "application/activity+json"
MIDDLEWARE = "django_vox.middleware.activity_inbox_middleware"


def use_4x_middleware(settings, client):
    """Add the 4.x middleware and load it (Django imports it: a warning naming
    the replacement)."""
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, MIDDLEWARE]
    with pytest.warns(RemovedInDjangoVox6Warning,
                      match=r"^django_vox\.middleware\.activity_inbox_middleware is deprecated "
                            r"and removed in django-vox 6\.0; use django_vox\.activities\.inbox\."
                            r"ActivityInboxMiddleware in MIDDLEWARE"):
        client.handler.load_middleware()


@pytest.fixture
def middleware(settings, activity_settings, user_inboxes, client):
    use_4x_middleware(settings, client)
    return settings


def deliver(summary, *users):
    backend = ActivityBackend()
    message = backend.build_message("", summary, {})
    backend.send_message("", [f"https://example.org/users/{u.username}/" for u in users], message)
    return Activity.objects.get(summary=summary)


def test_the_actor_document_links_every_endpoint(client, middleware, ann):
    response = client.get("/users/ann/", HTTP_ACCEPT=AS)
    assert response.status_code == 200
    assert response["Content-Type"] == AS
    document = json.loads(response.content)
    assert document["type"] == "Person" and document["id"] == "https://example.org/users/ann/"
    assert {name: document[name] for name in ("inbox", "outbox", "followers", "following",
                                              "liked")} == {
        name: f"https://example.org/users/ann/{name}"
        for name in ("inbox", "outbox", "followers", "following", "liked")}
    assert document["@context"] == as2.AS_CONTEXT


@pytest.mark.parametrize("endpoint", ["followers", "following", "liked"])
def test_social_collections_are_empty(client, middleware, ann, endpoint):
    response = client.get(f"/users/ann/{endpoint}", HTTP_ACCEPT=AS)
    assert response.status_code == 200
    document = json.loads(response.content)
    assert (document["type"], document["totalItems"]) == ("Collection", 0)
    assert "items" not in document
    assert client.post(f"/users/ann/{endpoint}", HTTP_ACCEPT=AS).status_code == 405


def test_actors_without_an_endpoint_are_not_found(client, settings, activity_settings, ann):
    use_4x_middleware(settings, client)  # no user_inboxes opt-in
    for path in ("/users/ann/", "/users/ann/followers"):
        assert client.get(path, HTTP_ACCEPT=AS).status_code == 404


def test_unknown_actor_is_404(client, middleware):
    response = client.get("/users/nobody/", HTTP_ACCEPT=AS)
    assert response.status_code == 404
    assert response["Content-Type"] == AS


def test_inbox_and_outbox_beside_the_actor(client, middleware, ann, bob):
    first = deliver("First", ann)
    deliver("For bob", bob)
    client.force_login(ann)
    response = client.get("/users/ann/inbox", HTTP_ACCEPT=AS)
    assert response.status_code == 200
    document = as2.check_ordered_collection(json.loads(response.content))
    assert [item["id"] for item in document["orderedItems"]] == [first.get_iri()]
    assert client.get("/users/bob/inbox", HTTP_ACCEPT=AS).status_code == 404
    assert client.get("/users/ann/outbox", HTTP_ACCEPT=AS).status_code == 405
    body = json.dumps({"@context": as2.AS_CONTEXT, "type": "Read", "object": first.get_iri()})
    response = client.post("/users/ann/outbox", data=body, content_type=AS, HTTP_ACCEPT=AS)
    assert response.status_code == 204
    assert InboxItem.objects.for_owner(ann).get(activity=first).read_at is not None


def test_anonymous_inbox_is_refused(client, middleware, ann):
    assert client.get("/users/ann/inbox", HTTP_ACCEPT=AS).status_code == 403


def test_other_requests_pass_through(client, middleware, ann):
    assert client.get("/users/ann/", HTTP_ACCEPT="text/html").status_code == 404
    response = client.get("/admin/login/", HTTP_ACCEPT=AS)
    assert response.status_code == 200 and "html" in response["Content-Type"]


def test_4x_registration_members_are_public_actors(client, settings, activity_settings):
    use_4x_middleware(settings, client)
    MemberUser.objects.create(username="carla", email="carla@example.org")
    response = client.get("/members/carla/", HTTP_ACCEPT=AS)
    assert response.status_code == 200
    document = json.loads(response.content)
    assert document["id"] == "https://example.org/members/carla/"
    assert document["inbox"] == "https://example.org/members/carla/inbox"


# -- django_vox.extra.background_tasks ---------------------------------------------------
def test_the_4x_background_issue_method_enqueues_a_task(settings, make_template, committed):
    author = get_user_model().objects.create(username="ann", email="ann@example.org")
    article = Article.objects.create(author=author, title="Hello")
    Subscriber.objects.create(name="S", email="s@example.org")
    settings.DJANGO_VOX_ISSUE_METHOD = "django_vox.extra.background_tasks.issue"
    settings.TASKS = DUMMY
    tasks.task_backends["default"].clear()
    make_template(Article, "published", recipients="c:subs", content="New: {{ object.title }}")
    with committed(), pytest.warns(RemovedInDjangoVox6Warning, match="'django_vox.tasks.issue'"):
        ArticleRegistration.published.issue(article)
    (result,) = tasks.task_backends["default"].results
    assert result.task.name == "deliver" and locmem.outbox == []
    assert run(result)["sent"] == 1
    assert [(m.to, m.body) for m in locmem.outbox] == [(["s@example.org"], "New: Hello")]


def test_the_4x_activity_regex_leaves_the_default_inbox_paths(client, settings,
                                                               activity_settings, user_inboxes,
                                                               ann):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "django_vox.activities.inbox.ActivityInboxMiddleware"]
    settings.DJANGO_VOX_ACTIVITY_REGEX = r"activity/(?P<id>[0-9a-z\-]+)/$"  # 4.x default
    first = deliver("First", ann)
    client.force_login(ann)
    with pytest.warns(RemovedInDjangoVox6Warning,
                      match=r"^A DJANGO_VOX_ACTIVITY_REGEX of the 4\.x form \(a pattern of "
                            r"activity ids\), ignored, is deprecated and removed in django-vox "
                            r"6\.0; remove the setting"):
        response = client.get("/users/ann/inbox", HTTP_ACCEPT=AS)
    assert response.status_code == 200
    assert [i["id"] for i in json.loads(response.content)["orderedItems"]] == [first.get_iri()]


def test_activities_without_time_zones(settings, activity_settings, user_inboxes, ann, client):
    settings.USE_TZ = False
    settings.TIME_ZONE = "Europe/Paris"
    activity = deliver("Naive", ann)
    activity.refresh_from_db()
    assert activity.published.tzinfo is None
    document = activity.as_document()
    utc = activity.published.replace(tzinfo=ZoneInfo("Europe/Paris")).astimezone(ZoneInfo("UTC"))
    assert document["published"] == utc.replace(microsecond=0).isoformat().replace("+00:00", "Z")
    use_4x_middleware(settings, client)
    client.force_login(ann)
    response = client.get("/users/ann/inbox", HTTP_ACCEPT=AS)
    assert [i["summary"] for i in json.loads(response.content)["orderedItems"]] == ["Naive"]
