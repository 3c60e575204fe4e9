"""Words the admin shows editors instead of stored codes."""

import pytest

from django_vox.admin import words as admin_words
from django_vox.models import Notification, Template
from tests.testapp.models import Article

pytestmark = pytest.mark.django_db


def test_recipients_are_named_by_channel_and_model():
    published = Notification.objects.get_for_model(Article, "published")
    choices = dict(admin_words.recipient_choices(published))
    assert choices["c"] == "The article"
    assert choices["c:author"] == "Author of the article"
    assert choices["c:subs"] == "All active subscribers of the article"
    assert choices["si"] == "Site contacts"
    moved = dict(admin_words.recipient_choices(Notification.objects.get_for_model(Article, "moved")))
    assert moved["se"] == "The actor (user)"
    assert moved["re"] == "The target (depot)"


def test_template_heading_uses_backend_and_channel_names():
    published = Notification.objects.get_for_model(Article, "published")
    template = Template(notification=published, backend="locmem-sms", recipients="c:author,si,c:x")
    assert admin_words.template_heading(template) == (
        "In-memory sms (tests) → Author of the article, Site contacts, c:x (no longer defined)")
    template.recipients = ""
    assert admin_words.template_heading(template).endswith("→ nobody")
    assert admin_words.backend_name("gone") == "gone (not enabled)"


def test_protocols_have_names():
    assert admin_words.protocol_name("email") == "Email"
    assert admin_words.protocol_name("sms") == "Text message (SMS)"
    assert admin_words.protocol_name("carrier-pigeon") == "Carrier pigeon"
    assert ("slack-webhook", "Slack") in admin_words.protocol_choices()
    assert admin_words.protocol_choices("fax")[-1] == ("fax", "Fax")


def test_notification_name_is_its_description():
    published = Notification.objects.get_for_model(Article, "published")
    assert admin_words.notification_name(published) == "An article was published"
    assert admin_words.notification_name(Notification(codename="big_sale")) == "Big sale"


def test_a_channel_label_may_place_the_model():
    from django_vox.registry import Channel

    published = Notification.objects.get_for_model(Article, "published")
    channel = Channel("People who commented on the %(model)s", Article, lambda article: [])
    assert admin_words._channel_label("c", Article, "commenters", channel) == (
        "People who commented on the article")
    assert admin_words._channel_label("se", Article, "commenters", channel) == (
        "People who commented on the actor (article)")
    plain = Channel("Readers", Article, lambda article: [])
    assert admin_words._channel_label("c", Article, "readers", plain) == "Readers of the article"
    assert published  # the test app's own labels are unchanged (see above)


def test_errors_name_protocols_and_backends_in_words():
    error = "Invalid address 'x' for protocol 'slack-webhook': no scheme; backend 'locmem'"
    assert admin_words.error_words(error) == (
        "Invalid address 'x' for Slack: no scheme; In-memory (tests)")
    assert admin_words.error_words("") == ""
