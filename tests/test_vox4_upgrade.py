"""The upgrade settings and the 4.x names restored on the new layout:
DJANGO_VOX_SEND_ON_COMMIT, DJANGO_VOX_SYNC_ON_MIGRATE, OneTimeNotification,
Registration._get_object_address, nested attachment keys, the built-in
backends' 4.x class-level calls."""

import json

import pytest
from django.core.management import call_command
from django.test import TestCase, override_settings

from django_vox.backends import html_email, locmem, markdown_email
from django_vox.backends import json_webhook as json_webhook_backend
from django_vox.exceptions import RemovedInDjangoVox6Warning
from django_vox.issuing import manual
from django_vox.models import Notification, OneTimeNotification, SiteContact
from django_vox.registry import Registration, objects, provides_contacts
from tests.backends.test_twitter import x_api  # noqa: F401  (fixture)
from tests.vox4app.models import Page2, PurchaseOrder, User, UserRegistration

LOCMEM = ["django_vox.backends.locmem.Backend", "django_vox.backends.locmem.SmsBackend"]


# -- DJANGO_VOX_SEND_ON_COMMIT -------------------------------------------------------
@override_settings(DJANGO_VOX_SEND_ON_COMMIT=False, DJANGO_VOX_SYNC_ON_MIGRATE=False,
                   DJANGO_VOX_BACKENDS=LOCMEM)
class GettingStartedAsA4xTestCase(TestCase):
    """A 4.x suite on Django's TestCase: its transactions never commit."""

    def setUp(self):
        locmem.outbox.clear()
        call_command("make_notifications", verbosity=0)
        notification = Notification.objects.get_for_model(PurchaseOrder, "received")
        notification.templates.create(backend="locmem-sms", recipients="c:cust",
                                      content="Order {{ object.pk }} received")

    def test_messages_are_sent_at_issue_time(self):
        customer = User.objects.create(username="dan", email="d@example.org",
                                       mobile_phone="+15550002222")
        order = PurchaseOrder.objects.create(customer=customer)
        self.assertEqual([(m.to, m.body) for m in locmem.outbox],
                         [(["+15550002222"], f"Order {order.pk} received")])


@pytest.mark.django_db
def test_send_on_commit_waits_for_the_commit_by_default(settings, make_template,
                                                        django_capture_on_commit_callbacks):
    settings.DJANGO_VOX_BACKENDS = LOCMEM
    call_command("make_notifications", verbosity=0)
    make_template(PurchaseOrder, "received", backend="locmem-sms", recipients="c:cust")
    customer = User.objects.create(username="eve", mobile_phone="+15550003333")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        PurchaseOrder.objects.create(customer=customer)
        assert locmem.outbox == []
    assert len(callbacks) == 1 and len(locmem.outbox) == 1


# -- DJANGO_VOX_SYNC_ON_MIGRATE -----------------------------------------------------
@pytest.mark.django_db
def test_sync_on_migrate_false_leaves_rows_to_fixtures(settings):
    settings.DJANGO_VOX_BACKENDS = LOCMEM
    Notification.objects.filter(object_type__app_label="vox4app").delete()
    settings.DJANGO_VOX_SYNC_ON_MIGRATE = False
    call_command("migrate", verbosity=0)
    assert not Notification.objects.filter(object_type__app_label="vox4app").exists()
    call_command("loaddata", "vox4_notifications", verbosity=0)  # a 4.x fixture
    assert Notification.objects.get(pk=9001).codename == "received"
    call_command("make_notifications", verbosity=0)
    rows = Notification.objects.filter(object_type__app_label="vox4app",
                                       object_type__model="purchaseorder")
    assert sorted(rows.values_list("pk", "codename")) == sorted(
        [(9001, "received"), (rows.get(codename="on_hold").pk, "on_hold")])


@pytest.mark.django_db
def test_sync_on_migrate_true_creates_rows(settings):
    settings.DJANGO_VOX_BACKENDS = LOCMEM
    Notification.objects.filter(object_type__app_label="vox4app").delete()
    call_command("migrate", verbosity=0)
    assert Notification.objects.filter(object_type__app_label="vox4app",
                                       codename="on_hold").exists()


# -- OneTimeNotification and _get_object_address ---------------------------------------
@pytest.mark.django_db
def test_one_time_messages_pass_the_one_time_notification(settings):
    settings.DJANGO_VOX_BACKENDS = LOCMEM
    seen = []

    class Recording(Registration):
        @provides_contacts("email")
        def email(self, instance, notification):
            seen.append(notification)
            yield "page@example.org"

    original = objects[Page2]
    objects.add(Page2, Recording, regex=None)
    try:
        result = manual.send_one_time([Page2.objects.create(html_content="x")], "locmem",
                                      "Subject", "Body")
    finally:
        objects.add(Page2, type(original.registration), regex=original.regex)
    assert result.sent == 1 and seen == [OneTimeNotification]
    assert OneTimeNotification.codename == "" and OneTimeNotification.required is True
    assert str(OneTimeNotification) == "<OneTimeNotification>"


@pytest.mark.django_db
def test_get_object_address(settings):
    settings.SITE_DOMAIN = "example.org"
    member = User.objects.create(username="carla")
    assert UserRegistration._get_object_address(member) == "https://example.org/members/carla/"
    registration = objects[User].registration
    assert registration.get_object_address(member) == "https://example.org/members/carla/"
    page = Page2.objects.create(html_content="x")
    assert Registration._get_object_address(page) is None  # registered without a regex


# -- nested attachment keys -------------------------------------------------------------
@pytest.mark.django_db
def test_nested_attachment_keys_are_resolved(settings, make_template, committed):
    settings.DJANGO_VOX_BACKENDS = LOCMEM
    call_command("make_notifications", verbosity=0)
    SiteContact.objects.create(protocol="email", address="editors@example.org")
    author = User.objects.create(username="fred")
    make_template(Page2, "edited", recipients="si",
                  attachments=["object.author.vcard", "object.pdf", "object.author.nothing"])
    page = Page2.objects.create(html_content="<p>x</p>", author=author)
    with committed():
        Notification.objects.get_for_model(Page2, "edited").issue(page)
    [sent] = locmem.outbox
    assert [(a.filename, a.mimetype) for a in sent.attachments] == [
        ("vcard.vcf", "text/vcard"), ("pdf.pdf", "application/pdf")]
    assert sent.attachments[0].content == b"BEGIN:VCARD\nFN:Fred\nEND:VCARD\n"


# -- the built-in backends answer the 4.x class-level calls -----------------------------
def class_call(module, method):
    """The warning a 4.x class-level call on a built-in backend emits."""
    name = rf"django_vox\.backends\.{module}\.Backend"
    return pytest.warns(RemovedInDjangoVox6Warning, match=(
        rf"^Calling {name}\.{method}\(\) on the class \(the 4\.x form\) is deprecated and "
        rf"removed in django-vox 6\.0; call it on an instance, {name}\(\)\.{method}\(\.\.\.\)"))


def test_built_in_email_backend_class_calls_return_the_4x_string():
    with class_call("html_email", "build_message"):
        built = html_email.Backend.build_message("Hi {{ name }}", "<p>Hello {{ name }}</p>",
                                                 {"name": "Ann"}, [])
    data = json.loads(built)
    assert (data["subject"], data["html"]) == ("Hi Ann", "<p>Hello Ann</p>")
    assert data["text"].strip() == "Hello Ann"
    with class_call("html_email", "preview_message"):
        preview = html_email.Backend.preview_message("", "<p>Hello {{ name }}</p>",
                                                     {"name": "A"})
    assert "Hello A" in preview
    # on an instance, the same methods work with Message objects
    message = html_email.Backend().build_message("S", "<p>B</p>", {})
    assert message.html == "<p>B</p>"


def test_built_in_webhook_class_call_returns_json():
    with class_call("json_webhook", "build_message"):
        built = json_webhook_backend.Backend.build_message("", "a: {{ x }}\nb: 2", {"x": 1}, [])
    assert json.loads(built) == {"a": "1", "b": "2"}


def test_markdown_backend_accepts_4x_extras(settings):
    settings.DJANGO_VOX_MARKDOWN_EXTRAS = ["footnotes", "link_patterns", "smarty-pants",
                                           "tables"]
    with pytest.warns(RemovedInDjangoVox6Warning,
                      match=r"^A DJANGO_VOX_MARKDOWN_EXTRAS value naming markdown2 extras is "
                            r"deprecated and removed in django-vox 6\.0; list Python-Markdown "
                            r"extensions instead: \['footnotes', 'markdown\.extensions\.smarty', "
                            r"'tables'\]"):
        message = markdown_email.Backend().build_message(
            "", "'quoted'\n\n|a|b|\n|-|-|\n|1|2|", {})
    assert "<table>" in message.html and "&lsquo;quoted&rsquo;" in message.html


@pytest.mark.django_db
def test_nested_attachment_keys_are_offered_in_the_admin():
    from django_vox.admin.introspection import attachment_choices

    call_command("make_notifications", verbosity=0)
    choices = dict(attachment_choices(Notification.objects.get_for_model(Page2, "edited")))
    assert choices["object.pdf"] == "PDF Copy, from the page2"
    assert choices["object.author.vcard"] == "Contact Info, from the author of the page2"


@pytest.mark.django_db
def test_actor_and_target_mismatches_are_runtime_errors_as_in_4x(settings):
    from tests.vox4app.models import Page, PageRegistration

    settings.DJANGO_VOX_BACKENDS = LOCMEM
    call_command("make_notifications", verbosity=0)
    page = Page.objects.create(content="x")
    with pytest.raises(RuntimeError, match="edited"):
        PageRegistration.edited.issue(page)  # the docs' edited needs actor and target
    with pytest.raises(ValueError, match="edited"):
        PageRegistration.edited.issue(page, target=page)


def test_template_blocks_are_stripped_as_in_4x():
    from django_vox.backends import template_email

    message = template_email.Backend().build_message(
        "", "{% block subject %}  S  {% endblock %}{% block text_body %}\n\n  T  \n\n"
            "{% endblock %}{% block html_body %}\n  <p>H</p>  \n{% endblock %}", {})
    assert (message.subject, message.text, message.html) == ("S", "T\n", "<p>H</p>")


def test_an_html_only_email_has_no_empty_text_part():
    from django_vox.backends.html_email import Backend
    from django_vox.messages import Message

    email = Backend().make_email("a@example.org", ["b@example.org"],
                                 Message(subject="S", text="", html="<p>only</p>"))
    assert (email.body, email.content_subtype, email.alternatives) == (
        "<p>only</p>", "html", [])
    message = email.message()
    assert message.get_content_type() == "text/html"


def test_twitter_send_message_without_addresses_posts_a_status(x_api):  # noqa: F811
    from django_vox.backends.twitter import Backend as TwitterBackend
    from django_vox.messages import Message

    x_api.expect("POST", "/2/tweets", body={"text": "Status"},
                 answer={"data": {"id": "1", "text": "Status"}}, status=201)
    TwitterBackend().send_message("", [], Message(text="Status"))
    x_api.server.check_assertions()
    assert [path for _method, path, _token in x_api.signed] == ["/2/tweets"]


class _AspyLike:
    """What an aspy class/object offers (aspy itself is no longer installed)."""

    def __init__(self, **properties):
        self.properties = properties

    @staticmethod
    def get_type():
        return "https://www.w3.org/ns/activitystreams#Update"

    def to_dict(self):
        return {"type": "Note", **self.properties}


def test_aspy_style_activity_type_and_objects_are_accepted(settings):
    from django_vox.activities.documents import get_activity_object
    from django_vox.registry import Notification as Declared

    assert Declared("Edited", activity_type=_AspyLike).activity_type == "Update"
    assert Declared("Edited", activity_type="Announce").activity_type == "Announce"

    class NoteRegistration(Registration):
        def get_activity_object(self, instance):
            return _AspyLike(content="hello")

    original = objects[Page2]
    objects.add(Page2, NoteRegistration, regex=None)
    try:
        assert get_activity_object(Page2(html_content="x")) == {"type": "Note",
                                                                "content": "hello"}
    finally:
        objects.add(Page2, type(original.registration), regex=original.regex)


@pytest.mark.django_db
def test_4x_callers_build_on_the_class_and_send_a_message_instead(settings, smtp_server):
    """4.x code built the string with the class and sent it with an instance:
    the built-in backends now refuse the string, naming the backend and the fix;
    the Message an instance builds is sent."""
    from tests.fixtures.smtp import configure_mail

    configure_mail(settings, "django.core.mail.backends.smtp.EmailBackend",
                   host=smtp_server.host, port=smtp_server.port)
    with class_call("html_email", "build_message"):
        string = html_email.Backend.build_message("Hi {{ n }}", "<p>Hello {{ n }}</p>",
                                                  {"n": "Ann"}, [])
    backend = html_email.Backend()
    for send in (lambda: backend.send_message("shop@example.org", ["ann@example.org"], string),
                 lambda: backend.send("ann@example.org", string)):
        with pytest.raises(TypeError, match=r"^django_vox\.backends\.html_email\.Backend\.send"
                                            r"(_message)?\(\) takes a django_vox\.messages\."
                                            r"Message, not str \(the string form of django-vox "
                                            r"4\.x is no longer accepted: build the message with "
                                            r"an instance, Backend\(\)\.build_message"):
            send()
    assert smtp_server.messages == []  # refused before connecting
    message = backend.build_message("Hi {{ n }}", "<p>Hello {{ n }}</p>", {"n": "Ann"})
    backend.send_message("shop@example.org", ["ann@example.org"], message)
    [mail] = smtp_server.messages
    assert mail["Subject"] == "Hi Ann" and mail["From"] == "shop@example.org"
    assert mail.get_body(("html",)).get_content().strip() == "<p>Hello Ann</p>"
    assert mail.get_body(("plain",)).get_content().strip() == "Hello Ann"


@pytest.mark.parametrize("path", ["locmem.Backend", "locmem.SmsBackend", "slack.Backend",
                                  "json_webhook.Backend", "twilio.Backend", "postmark_email.Backend",
                                  "activity.Backend", "xmpp.Backend", "twitter.Backend",
                                  "markdown_email.Backend", "template_email.Backend"])
def test_every_built_in_backend_refuses_a_string(path):
    from django.utils.module_loading import import_string

    backend = import_string(f"django_vox.backends.{path}")()
    for send in (lambda: backend.send("someone", "a 4.x string"),
                 lambda: backend.send_message("", ["someone"], "a 4.x string")):
        with pytest.raises(TypeError, match=r"takes a django_vox\.messages\.Message, not str"):
            send()


def test_4x_backends_keep_their_own_send_message():
    from tests.vox4app.backends import RelayEmailBackend

    assert RelayEmailBackend.send_message.__qualname__ == "RelayEmailBackend.send_message"
