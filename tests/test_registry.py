"""Registrations: declarations, inheritance, channels of every relation type."""

import pytest
from django.contrib.auth import get_user_model

from django_vox.registry import (
    Attachment,
    Channel,
    Contact,
    Notification,
    Registration,
    objects,
    provides_contacts,
)
from tests.testapp.models import Article, Comment, Profile, Subscriber, Ticket
from tests.testapp.registrations import (
    ArticleRegistration,
    CommentRegistration,
    SpecialCommentRegistration,
)

pytestmark = pytest.mark.django_db
User = get_user_model()


def test_codename_defaults_to_attribute_name():
    assert ArticleRegistration.published.codename == "published"
    assert [n.codename for n in objects[Article].registration.get_notifications()] == [
        "published", "edited", "moved", "urgent"]


def test_unknown_notification_keyword_is_named():
    with pytest.raises(TypeError, match="colour"):
        Notification("x", colour="red")


def test_attachment_needs_exactly_one_mime_source():
    with pytest.raises(ValueError, match="exactly one"):
        Attachment(attr="x")
    with pytest.raises(ValueError, match="exactly one"):
        Attachment(attr="x", mime_string="a/b", mime_attr="y")


def test_regex_keyword_is_required():
    with pytest.raises(TypeError, match="regex"):
        objects.add(Depot := type("X", (), {}), Registration)  # noqa: F841


def test_unregistered_model_gets_bare_registration():
    from django.contrib.auth.models import Group

    entry = objects[Group]
    assert type(entry.registration) is Registration
    assert entry.registration.get_notifications() == []
    assert list(entry.registration.get_channels()) == [""]


def test_subclass_inherits_and_child_contact_method_wins():
    registration = SpecialCommentRegistration(Comment)
    assert {n.codename for n in registration.get_notifications()} == {"posted", "flagged"}
    article = Article(title="T")
    comment = Comment(article=article, name="Bo", email="bo@example.org", text="hi")
    contacts = list(registration.get_contacts(comment, "email", None))
    assert [c.address for c in contacts] == ["BO@EXAMPLE.ORG"]
    parent = list(CommentRegistration(Comment).get_contacts(comment, "email", None))
    assert parent == [Contact("Bo", "email", "bo@example.org", comment)]


def test_provides_contacts_needs_a_protocol():
    with pytest.raises(TypeError):
        provides_contacts()


def _objs(channel, instance):
    return list(channel.resolve(instance))


def test_channels_follow_every_relation_kind():
    ann = User.objects.create(username="ann", email="ann@example.org")
    bob = User.objects.create(username="bob", email="bob@example.org")
    sub = Subscriber.objects.create(name="Sue", email="sue@example.org")
    article = Article.objects.create(author=ann, title="T")
    article.editors.add(bob)
    article.readers.add(sub)
    Comment.objects.create(article=article, name="C", text="x")
    profile = Profile.objects.create(user=ann, phone="+15550001111")
    art_channels = objects[Article].registration.get_channels()
    assert _objs(art_channels[""], article) == [article]
    assert _objs(art_channels["author"], article) == [ann]                  # forward FK
    assert _objs(art_channels["editors"], article) == [bob]                 # forward M2M
    assert _objs(art_channels["readers"], article) == [sub]
    assert [c.name for c in _objs(art_channels["comments"], article)] == ["C"]  # reverse FK
    user_channels = objects[User].registration.get_channels()
    assert _objs(user_channels["profile"], ann) == [profile]                 # reverse O2O
    assert _objs(user_channels["profile"], bob) == []
    assert _objs(user_channels["articles"], ann) == [article]                # reverse FK
    assert _objs(user_channels["edited"], bob) == [article]                  # reverse M2M
    assert _objs(objects[Profile].registration.get_channels()["user"], profile) == [ann]  # O2O
    assert art_channels["author"].model is User
    assert art_channels["comments"].model is Comment


def test_channel_field_rejects_non_descriptors():
    with pytest.raises(TypeError, match="relation descriptor"):
        Channel.field("author")


def test_custom_channel_and_non_integer_pk():
    sub = Subscriber.objects.create(name="Sue", email="sue@example.org")
    ticket = Ticket.objects.create(title="Help", owner=sub)
    channel = objects[Ticket].registration.get_channels()["owner"]
    assert _objs(channel, ticket) == [sub]


def test_attachment_resolution():
    article = Article(title="Doc", author_id=1)
    registration = objects[Article].registration
    summary = registration.get_attachments()["summary"].resolve(registration, article)
    assert (summary.filename, summary.mimetype, summary.content) == (
        "summary.txt", "text/plain", b"Summary of Doc")
    cover = registration.get_attachments()["cover"].resolve(registration, article)
    assert cover.mimetype == "text/x-card"
    assert cover.content == b"BEGIN:CARD Doc END:CARD"
