"""The activity backend: storage through the real issuing pipeline."""

import pytest
from django.contrib.auth import get_user_model

from django_vox.backends import DEFAULT_BACKENDS, backends
from django_vox.backends.activity import Backend
from django_vox.models import Activity, Delivery, InboxItem, Notification, SiteContact
from django_vox.registry import objects
from tests.support import as2
from tests.testapp.models import Article, Depot
from tests.testapp.registrations import ArticleRegistration

pytestmark = [pytest.mark.django_db, pytest.mark.article(title="Tea & <cake>", editors=["bob"])]
User = get_user_model()


def inbox_of(user):
    return list(InboxItem.objects.for_owner(user).select_related("activity"))


def test_backend_is_not_enabled_by_default():
    assert Backend.ID == "activity" and Backend.PROTOCOL == "activity"
    assert "django_vox.backends.activity.Backend" not in DEFAULT_BACKENDS


def test_backend_is_found_by_protocol(activity_settings):
    assert backends.by_protocol("activity") == [Backend]


def test_issue_stores_one_activity_and_an_inbox_item_per_recipient(
        activity_settings, make_template, committed, article, ann, bob):
    make_template(Article, "published", backend="activity", recipients="c:author,c:editors",
                  content="New: {{ object.title }}")
    with committed():
        ArticleRegistration.published.issue(article)

    activity = Activity.objects.get()
    assert activity.type == "Create"
    assert activity.summary == "New: Tea &amp; &lt;cake&gt;"  # AS2 summaries are HTML
    assert activity.object_iri == f"https://example.org/articles/{article.pk}/"
    assert activity.actor_iri == "https://example.org/"  # no actor: the site itself
    assert [item.activity for item in inbox_of(ann)] == [activity]
    assert [item.activity for item in inbox_of(bob)] == [activity]
    assert {item.owner_iri for item in InboxItem.objects.all()} == {
        "https://example.org/users/ann/", "https://example.org/users/bob/"}
    assert inbox_of(ann)[0].owner == ann and inbox_of(ann)[0].read_at is None
    deliveries = Delivery.objects.filter(backend="activity")
    assert sorted(d.to_addresses[0] for d in deliveries) == [
        "https://example.org/users/ann/", "https://example.org/users/bob/"]
    assert {d.status for d in deliveries} == {Delivery.SENT}

    document = as2.check_activity(activity.as_document())
    assert document["object"] == {"type": "Object", "id": activity.object_iri,
                                  "name": "Tea & <cake>"}
    assert document["actor"] == {"type": "Application", "id": "https://example.org/",
                                 "name": "example.org"}
    assert "target" not in document


def test_bulk_template_stores_one_activity_for_all(
        activity_settings, make_template, committed, article, ann, bob):
    make_template(Article, "published", backend="activity", recipients="c:author,c:editors",
                  content="New: {{ object.title }}", bulk=True)
    with committed():
        ArticleRegistration.published.issue(article)
    delivery = Delivery.objects.get(backend="activity")
    assert delivery.status == Delivery.SENT
    assert sorted(delivery.to_addresses) == [
        "https://example.org/users/ann/", "https://example.org/users/bob/"]
    activity = Activity.objects.get()
    assert sorted(i.owner_iri for i in activity.inbox_items.all()) == sorted(delivery.to_addresses)


def test_each_issue_is_its_own_activity(activity_settings, make_template, committed, article, ann):
    make_template(Article, "published", backend="activity", recipients="c:author", content="Hi")
    with committed():
        ArticleRegistration.published.issue(article)
    with committed():
        ArticleRegistration.published.issue(article)
    assert Activity.objects.count() == 2
    assert len(inbox_of(ann)) == 2


def test_summary_naming_the_recipient_makes_one_activity_each(
        activity_settings, make_template, committed, article, ann, bob):
    make_template(Article, "published", backend="activity", recipients="c:author,c:editors",
                  content="Hi {{ recipient.username }}")
    with committed():
        ArticleRegistration.published.issue(article)
    assert inbox_of(ann)[0].activity.summary == "Hi ann"
    assert inbox_of(bob)[0].activity.summary == "Hi bob"


def test_activity_type_actor_and_target(activity_settings, make_template, committed, article, bob):
    row = Notification.objects.get_for_model(Article, "moved")
    row.activity_type = "Move"
    row.save()
    depot = Depot.objects.create(name="North depot")
    make_template(Article, "moved", backend="activity", recipients="c:author",
                  content="{{ actor.username }} moved {{ object.title }} to {{ target.name }}")
    with committed():
        ArticleRegistration.moved.issue(article, actor=bob, target=depot)
    activity = Activity.objects.get()
    document = as2.check_activity(activity.as_document())
    assert document["type"] == "Move"
    assert document["actor"] == {"type": "Person", "id": "https://example.org/users/bob/",
                                 "name": "bob"}
    assert document["target"] == {"type": "Object", "name": "North depot"}
    assert activity.actor_iri == "https://example.org/users/bob/"
    assert activity.target_iri == ""


def test_model_activity_and_registration_overrides(
        activity_settings, make_template, committed, article, monkeypatch):
    monkeypatch.setattr(Article, "__activity__", lambda self: {
        "type": "Article", "name": self.title, "content": self.body or "(empty)"}, raising=False)
    original = objects[Depot]

    class DepotRegistration(type(original.registration)):
        def get_activity_object(self, instance):
            return {"type": "Place", "id": f"https://maps.example.org/{instance.pk}",
                    "name": instance.name}

    objects.add(Depot, DepotRegistration, regex=None)
    try:
        depot = Depot.objects.create(name="North")
        make_template(Article, "moved", backend="activity", recipients="c:author", content="x")
        with committed():
            ArticleRegistration.moved.issue(article, actor=article.author, target=depot)
    finally:
        objects.add(Depot, type(original.registration), regex=original.regex)
    document = as2.check_activity(Activity.objects.get().as_document())
    assert document["object"] == {"type": "Article", "name": article.title, "content": "(empty)",
                                  "id": f"https://example.org/articles/{article.pk}/"}
    assert document["target"] == {"type": "Place", "id": f"https://maps.example.org/{depot.pk}",
                                  "name": "North"}


def test_get_activity_object_must_return_a_dict(activity_settings, article, monkeypatch):
    from django_vox.activities import get_activity_object

    monkeypatch.setattr(Article, "__activity__", lambda self: "nope", raising=False)
    with pytest.raises(TypeError, match="Article"):
        get_activity_object(article)


def test_unknown_recipient_iris_are_recorded_failures(
        activity_settings, make_template, committed, article, ann):
    for address in ("https://example.org/users/ghost/", "https://elsewhere.org/users/ann/",
                    "ann"):
        SiteContact.objects.create(name=address, protocol="activity", address=address)
    make_template(Article, "published", backend="activity", recipients="c:author,si",
                  content="Hi")
    with committed():
        issue = ArticleRegistration.published.issue(article)
    assert issue.sent == 1 and issue.failed == 3
    failed = Delivery.objects.filter(status=Delivery.FAILED).order_by("pk")
    for delivery in failed:
        assert delivery.to_addresses[0] in delivery.error
        assert "not the IRI of a registered object" in delivery.error
    assert len(failed) == 3
    assert [item.activity for item in inbox_of(ann)] == [Activity.objects.get()]


def test_bulk_with_an_unknown_iri_delivers_the_rest_and_resends_safely(
        activity_settings, make_template, committed, article, ann):
    SiteContact.objects.create(protocol="activity", address="https://example.org/users/cat/")
    make_template(Article, "published", backend="activity", recipients="c:author,si",
                  content="Hi", bulk=True)
    with committed():
        ArticleRegistration.published.issue(article)
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.FAILED
    assert "https://example.org/users/cat/" in delivery.error
    assert len(inbox_of(ann)) == 1

    cat = User.objects.create(username="cat")
    assert delivery.resend() is True
    delivery.refresh_from_db()
    assert delivery.status == Delivery.SENT
    assert Activity.objects.count() == 1            # the same activity, not a copy
    assert len(inbox_of(ann)) == 1                  # not delivered twice
    assert [item.activity for item in inbox_of(cat)] == [Activity.objects.get()]


def test_an_unknown_activity_type_is_a_recorded_failure(
        activity_settings, make_template, committed, article):
    row = Notification.objects.get_for_model(Article, "published")
    row.activity_type = "Shout"
    row.save()
    make_template(Article, "published", backend="activity", recipients="c:author", content="x")
    with committed():
        ArticleRegistration.published.issue(article)
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.FAILED
    assert "'Shout' is not an Activity Streams activity type" in delivery.error
    assert not Activity.objects.exists()


def test_building_and_preview_write_nothing(activity_settings, article):
    backend = Backend()
    message = backend.build_message("", "Hi {{ object.title }}", {"object": article})
    assert message.text == "Hi Tea &amp; &lt;cake&gt;"
    assert message.data["activity"]["type"] == "Create"
    row = Notification.objects.get_for_model(Article, "published")
    html = row.preview("activity", "About {{ object.title }}")
    assert "&quot;@context&quot;: &quot;https://www.w3.org/ns/activitystreams&quot;" in html
    assert not Activity.objects.exists() and not InboxItem.objects.exists()


def test_a_message_without_object_carries_a_note(activity_settings, ann):
    backend = Backend()
    message = backend.build_message("", "Maintenance tonight", {})
    backend.send("https://example.org/users/ann/", message)
    document = as2.check_activity(Activity.objects.get().as_document())
    assert document["object"] == {"type": "Note", "content": "Maintenance tonight"}


def test_sending_twice_is_idempotent(activity_settings, ann, bob):
    backend = Backend()
    message = backend.build_message("", "Hello", {})
    backend.send_message("", ["https://example.org/users/ann/"], message)
    backend.send_message("", ["https://example.org/users/ann/", "https://example.org/users/bob/"],
                         message)
    assert Activity.objects.count() == 1
    assert InboxItem.objects.count() == 2


def test_a_message_from_another_backend_is_refused(activity_settings, ann):
    from django_vox.exceptions import PermanentSendError
    from django_vox.messages import Message

    with pytest.raises(PermanentSendError, match="holds no activity"):
        Backend().send("https://example.org/users/ann/", Message(text="hi"))


def test_one_time_messages_from_the_admin_share_one_note(activity_settings, ann, bob):
    from django_vox.issuing.manual import send_one_time

    result = send_one_time([ann, bob], "activity", "", "Maintenance at {{ '8pm' }}")
    assert (result.sent, result.failed) == (2, 0)
    activity = Activity.objects.get()
    document = as2.check_activity(activity.as_document())
    assert document["object"] == {"type": "Note", "content": "Maintenance at 8pm"}
    assert sorted(i.owner_iri for i in activity.inbox_items.all()) == [
        "https://example.org/users/ann/", "https://example.org/users/bob/"]
