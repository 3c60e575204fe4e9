"""A project written against the django-vox 4.0.6 docs, run on this version.

The models and registrations are the docs' examples (tests/vox4app/models.py);
the custom backends are written the 4.x way (tests/vox4app/backends.py).  The
only settings an upgrading project adds are DJANGO_VOX_SEND_ON_COMMIT=False
and DJANGO_VOX_SYNC_ON_MIGRATE=False.
"""

import json

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

import django_vox.base
import django_vox.settings
from django_vox.backends import backends, html_email, locmem
from django_vox.compat import backends as compat
from django_vox.exceptions import RemovedInDjangoVox6Warning
from django_vox.models import Delivery, Notification, SiteContact
from django_vox.registry import Contact, objects
from tests.vox4app.backends import HookBackend, RelayEmailBackend
from tests.vox4app.models import Page2, PurchaseOrder, PurchaseOrderRegistration, User

pytestmark = pytest.mark.django_db

RELAY = "tests.vox4app.backends.RelayEmailBackend"
HOOK = "tests.vox4app.backends.HookBackend"
LOCMEM = ["django_vox.backends.locmem.Backend", "django_vox.backends.locmem.SmsBackend"]


@pytest.fixture(autouse=True)
def upgrade_settings(settings):
    """The two settings docs/upgrading.rst asks a 4.x project to add."""
    settings.DJANGO_VOX_SEND_ON_COMMIT = False
    settings.DJANGO_VOX_SYNC_ON_MIGRATE = False
    return settings


@pytest.fixture
def notifications():
    """``python3 manage.py make_notifications``, as the getting-started page says."""
    call_command("make_notifications", verbosity=0)


@pytest.fixture
def customer(db):
    return User.objects.create(username="carla", email="carla@example.org",
                               mobile_phone="+15550001111")


# -- getting_started.rst ------------------------------------------------------------
def test_make_notifications_creates_the_declared_rows(notifications):
    rows = Notification.objects.filter(object_type__app_label="vox4app")
    assert {(row.object_type.model, row.codename) for row in rows} >= {
        ("purchaseorder", "received"), ("purchaseorder", "on_hold"), ("page", "edited")}


def test_purchase_order_notifications_reach_the_customer(notifications, customer,
                                                         make_template):
    make_template(PurchaseOrder, "received", backend="locmem-sms", recipients="c:cust",
                  content="Order {{ object.pk }} received")
    make_template(PurchaseOrder, "on_hold", backend="locmem-sms", recipients="c:cust",
                  content="Order {{ object.pk }} is on hold")
    order = PurchaseOrder.objects.create(customer=customer)
    assert [(m.to, m.body) for m in locmem.outbox] == [
        (["+15550001111"], f"Order {order.pk} received")]
    order.on_hold = True
    order.save()
    assert locmem.outbox[-1].body == f"Order {order.pk} is on hold"
    order.save()  # already on hold: nothing new
    assert len(locmem.outbox) == 2


def test_the_docs_second_contact_method_replaces_the_first(customer):
    """Both methods of the docs' UserRegistration are named ``email_contact``,
    so, as in 4.x, only the second (SMS) one exists."""
    registration = objects[User].registration
    assert sorted(registration.get_supported_protocols()) == ["activity", "sms"]
    assert list(registration.get_contacts(customer, "email", None)) == []
    assert list(registration.get_contacts(customer, "sms", None)) == [
        Contact("Carla", "email", "+15550001111", customer)]


def test_registration_post_save_is_reachable_through_objects():
    assert isinstance(objects[PurchaseOrder].registration, PurchaseOrderRegistration)


# -- registrations.rst ---------------------------------------------------------------
def test_attachments_example_attaches_the_pdf(notifications, customer, make_template):
    SiteContact.objects.create(protocol="email", address="editors@example.org")
    make_template(Page2, "edited", recipients="si", subject="Edited",
                  attachments=["object.pdf"])
    page = Page2.objects.create(html_content="<p>Hi</p>", author=customer)
    Notification.objects.get_for_model(Page2, "edited").issue(page)
    [sent] = locmem.outbox
    [attachment] = sent.attachments
    assert (attachment.filename, attachment.mimetype) == ("pdf.pdf", "application/pdf")
    assert attachment.content == b"%PDF-1.4\n% <p>Hi</p>"


# -- django_vox.base -------------------------------------------------------------------
def from_base(name):
    """A name of the 4.x module django_vox.base, which warns naming the replacement."""
    replacement = "django_vox.registry" if name == "Contact" else r"django_vox.registry.site_iri"
    with pytest.warns(RemovedInDjangoVox6Warning,
                      match=rf"^django_vox\.base\.{name} is deprecated and removed in django-vox "
                            rf"6\.0; .*{replacement}"):
        return getattr(django_vox.base, name)


def test_full_iri_uses_the_site_settings(settings):
    settings.SITE_DOMAIN = "example.org"
    assert from_base("full_iri")("/po/1/") == "https://example.org/po/1/"
    settings.SITE_SSL = False
    assert from_base("full_iri")("/po/1/") == "http://example.org/po/1/"
    assert from_base("full_iri")("//cdn.example.org/x") == "http://cdn.example.org/x"
    assert from_base("full_iri")("https://other.example/x") == "https://other.example/x"
    assert from_base("full_iri")("mailto:a@example.org") == "mailto:a@example.org"


def test_full_iri_matches_the_activity_backend_ids(settings, customer):
    settings.SITE_DOMAIN = "example.org"
    from django_vox import activities

    assert from_base("full_iri")(customer.get_absolute_url()).replace(
        "/users/", "/members/") == activities.reverse_iri(customer)


def test_get_current_site_and_settings_site(settings):
    from django.contrib.sites.models import Site

    assert from_base("get_current_site")() == Site.objects.get_current()
    settings.SITE_DOMAIN = "vox.example"
    site = from_base("SettingsSite")()
    assert (site.domain, site.name, str(site)) == ("vox.example", "vox.example", "vox.example")
    with pytest.raises(NotImplementedError, match="SITE_DOMAIN"):
        site.save()
    with pytest.raises(NotImplementedError):
        site.delete()
    del settings.SITE_DOMAIN
    assert from_base("SettingsSite")().domain == "127.0.0.1:8000"


def test_get_current_site_without_the_sites_app(settings):
    settings.INSTALLED_APPS = [app for app in settings.INSTALLED_APPS
                               if app != "django.contrib.sites"]
    settings.SITE_DOMAIN = "vox.example"
    site = from_base("get_current_site")()
    assert isinstance(site, from_base("SettingsSite")) and site.domain == "vox.example"


def test_base_contact_is_the_registry_contact():
    assert from_base("Contact") is Contact
    contact = from_base("Contact")("Ann", "email", "ann@example.org")
    assert (contact.name, contact.protocol, contact.address) == ("Ann", "email", "ann@example.org")


# -- django_vox.settings -------------------------------------------------------------
def test_settings_module_reads_settings_at_access_time(settings):
    settings.DJANGO_VOX_TWILIO_FROM_NUMBER = "+15550009999"
    with pytest.warns(RemovedInDjangoVox6Warning,
                      match=r"^django_vox\.settings\.TWILIO_FROM_NUMBER is deprecated and removed "
                            r"in django-vox 6\.0; read the DJANGO_VOX_TWILIO_FROM_NUMBER setting "
                            r"with django_vox\.conf\.get\('DJANGO_VOX_TWILIO_FROM_NUMBER'\)"):
        assert django_vox.settings.TWILIO_FROM_NUMBER == "+15550009999"
    settings.DJANGO_VOX_INBOX_LIMIT = 7
    with pytest.warns(RemovedInDjangoVox6Warning):
        assert django_vox.settings.INBOX_LIMIT == 7


def test_settings_module_defaults_and_missing_values(settings):
    with pytest.warns(RemovedInDjangoVox6Warning):
        settings.DJANGO_VOX_BACKENDS = LOCMEM
        assert django_vox.settings.BACKENDS == LOCMEM
        del settings.DJANGO_VOX_BACKENDS
        assert django_vox.settings.BACKENDS == [
            cls.dotted_path() for cls in backends.all()]
        assert "django_vox.backends.html_email.Backend" in django_vox.settings.BACKENDS
        del settings.DEBUG
        assert django_vox.settings.THROW_EXCEPTIONS is False
        assert django_vox.settings.ISSUE_METHOD == "django_vox.models.Notification.issue_now"
        with pytest.raises(ImproperlyConfigured, match="DJANGO_VOX_TWITTER_TOKEN_KEY"):
            django_vox.settings.TWITTER_TOKEN_KEY  # noqa: B018
    with pytest.raises(AttributeError, match="NOT_A_SETTING"):
        django_vox.settings.NOT_A_SETTING  # noqa: B018
    assert "XMPP_JID" in dir(django_vox.settings)


def test_settings_module_is_a_plain_module():
    import sys
    import types

    assert type(sys.modules["django_vox.settings"]) is types.ModuleType


# -- 4.x backends ---------------------------------------------------------------------------
def test_4x_backends_are_recognised_by_their_class_level_build_message():
    assert compat.is_vox4_backend(RelayEmailBackend)
    assert compat.is_vox4_backend(HookBackend)  # a staticmethod counts too
    assert not compat.is_vox4_backend(html_email.Backend)
    assert not compat.is_vox4_backend(locmem.Backend)


def test_loading_a_4x_backend_warns_naming_it(settings):
    settings.DJANGO_VOX_BACKENDS = [*LOCMEM, RELAY]
    with pytest.warns(RemovedInDjangoVox6Warning, match=r"tests\.vox4app\.backends\.RelayEmailBackend"):
        adapter = backends.by_id("relay-email")
    assert adapter.legacy_class is RelayEmailBackend
    assert adapter.dotted_path() == RELAY
    assert (adapter.PROTOCOL, adapter.USE_SUBJECT, adapter.VERBOSE_NAME) == (
        "email", True, "Relay email")
    assert locmem.Backend in backends.all()


def hook_helper_warns():
    """HookBackend renders with base.template_from_string, a 4.x helper that warns."""
    return pytest.warns(RemovedInDjangoVox6Warning,
                        match=r"^django_vox\.backends\.base\.template_from_string is deprecated "
                              r"and removed in django-vox 6\.0; import template_from_string from "
                              r"django_vox\.compat\.vox4calls")


@pytest.fixture
def relay(settings, smtp_server):
    settings.VOX4_RELAY_HOST, settings.VOX4_RELAY_PORT = smtp_server.host, smtp_server.port
    settings.DJANGO_VOX_BACKENDS = [*LOCMEM, RELAY, HOOK]
    with pytest.warns(RemovedInDjangoVox6Warning):
        backends.all()
    return smtp_server


def test_4x_email_backend_sends_through_the_pipeline(relay, notifications, customer,
                                                     make_template):
    SiteContact.objects.create(name="Ops", protocol="email", address="ops@example.org")
    make_template(PurchaseOrder, "received", backend="relay-email", recipients="si",
                  subject="Order {{ object.pk }}", content="For {{ object.customer.email }}",
                  from_address="shop+{{ object.pk }}@example.org")
    order = PurchaseOrder.objects.create(customer=customer)
    assert len(relay.messages) == 1
    mail = relay.messages[0]
    assert mail["Subject"] == f"Order {order.pk}"
    assert mail["From"] == f"shop+{order.pk}@example.org"
    assert relay.envelopes[0].rcpt_tos == ["ops@example.org"]
    assert mail.get_content().strip() == "For carla@example.org"
    delivery = Delivery.objects.get(backend="relay-email")
    assert delivery.status == Delivery.SENT
    assert json.loads(delivery.message["text"])["text"] == "For carla@example.org"
    assert delivery.message["subject"] == f"Order {order.pk}"


def test_4x_backend_default_from_address(relay, notifications, customer, make_template):
    SiteContact.objects.create(protocol="email", address="ops@example.org")
    make_template(PurchaseOrder, "received", backend="relay-email", recipients="si",
                  subject="S", content="C")
    PurchaseOrder.objects.create(customer=customer)
    assert relay.envelopes[0].mail_from == "relay@example.org"


def test_a_failed_4x_message_is_resent_from_the_log(relay, notifications, customer,
                                                     make_template):
    SiteContact.objects.create(protocol="email", address="ops@example.org")
    make_template(PurchaseOrder, "received", backend="relay-email", recipients="si",
                  subject="Again", content="Body")
    relay.stop()
    PurchaseOrder.objects.create(customer=customer)
    delivery = Delivery.objects.get(backend="relay-email")
    assert delivery.status == Delivery.FAILED and "Connection" in delivery.error
    relay.start()
    assert delivery.resend() is True
    assert [m["Subject"] for m in relay.messages] == ["Again"]


def test_4x_webhook_backend_posts_its_string(relay, notifications, customer, make_template,
                                             httpserver):
    httpserver.expect_request("/hook", method="POST", json={"text": "PO for carla"}) \
        .respond_with_data("ok")
    SiteContact.objects.create(protocol="json-webhook", address=httpserver.url_for("/hook"))
    make_template(PurchaseOrder, "received", backend="hook4", recipients="si",
                  content="PO for {{ object.customer.username }}")
    with hook_helper_warns():
        PurchaseOrder.objects.create(customer=customer)
    httpserver.check_assertions()
    assert len(httpserver.log) == 1
    assert httpserver.log[0][0].headers["Content-Type"] == "application/json"
    assert Delivery.objects.get(backend="hook4").status == Delivery.SENT


def test_4x_webhook_failure_is_recorded(relay, notifications, customer, make_template,
                                        httpserver):
    httpserver.expect_request("/hook").respond_with_data("nope", status=500)
    SiteContact.objects.create(protocol="json-webhook", address=httpserver.url_for("/hook"))
    make_template(PurchaseOrder, "received", backend="hook4", recipients="si", content="x")
    with hook_helper_warns():
        PurchaseOrder.objects.create(customer=customer)
    delivery = Delivery.objects.get(backend="hook4")
    assert delivery.status == Delivery.FAILED and "500" in delivery.error


def test_4x_previews(relay, notifications, customer):
    PurchaseOrder.objects.create(customer=customer)
    notification = Notification.objects.get_for_model(PurchaseOrder, "received")
    assert notification.preview("relay-email", "Hi <{{ object.customer.username }}>",
                                "Sub") == "<h1>Sub</h1><p>Hi &lt;carla&gt;</p>"
    # HookBackend defines no preview: its string, escaped.
    with hook_helper_warns():
        preview = notification.preview("hook4", "<b>{{ object.customer.username }}</b>")
    assert preview == (
        '<pre class="vox-text">{&quot;text&quot;: &quot;&lt;b&gt;carla&lt;/b&gt;&quot;}</pre>')


def test_a_4x_build_message_returning_no_string_names_the_class(settings):
    settings.DJANGO_VOX_BACKENDS = ["tests.vox4app.backends.BadBackend"]
    with pytest.warns(RemovedInDjangoVox6Warning):
        adapter = backends.by_id("bad4")
    with pytest.raises(TypeError, match=r"BadBackend\.build_message\(\) returned dict"):
        adapter().build_message("", "x", {}, [])


def test_registrations_actor_and_target_example(notifications, make_template,
                                                django_user_model):
    from tests.vox4app.models import Page, PageRegistration

    SiteContact.objects.create(protocol="email", address="cms@example.org")
    make_template(Page, "edited", recipients="si",
                  content="{{ actor.username }} edited page {{ target.pk }}")
    editor = django_user_model.objects.create(username="ed")
    page = Page.objects.create(content="v1")
    PageRegistration.edited.issue(page, actor=editor, target=page)
    assert [(m.to, m.body) for m in locmem.outbox] == [
        (["cms@example.org"], f"ed edited page {page.pk}")]


def test_activities_example_stores_in_the_customer_inbox(settings, notifications, customer,
                                                         make_template):
    from django_vox.models import InboxItem

    settings.SITE_DOMAIN = "example.org"
    settings.DJANGO_VOX_BACKENDS = [*LOCMEM, "django_vox.backends.activity.Backend"]
    make_template(PurchaseOrder, "received", backend="activity", recipients="c:cust",
                  content="Order {{ object.pk }} received")
    order = PurchaseOrder.objects.create(customer=customer)
    [item] = InboxItem.objects.all()
    assert item.owner == customer
    assert item.activity.as_document()["summary"] == f"Order {order.pk} received"
    assert item.activity.as_document()["object"]["id"] == f"https://example.org/po/{order.pk}/"


def test_templates_example_content(notifications, customer, make_template):
    """templates.rst: per-recipient content with ``recipient`` (bulk off)."""
    SiteContact.objects.create(name="Ops", protocol="email", address="ops@example.org")
    make_template(PurchaseOrder, "received", recipients="si", bulk=False,
                  content="<p>Hi {{ recipient.name }},</p>\n\n"
                          "<p>{{ object.customer.username }} has placed order {{ object.pk }}.</p>")
    order = PurchaseOrder.objects.create(customer=customer)
    assert locmem.outbox[0].body == (
        f"<p>Hi Ops,</p>\n\n<p>carla has placed order {order.pk}.</p>")


def test_backends_page_setting_loads(settings):
    """backends.rst: the 4.x default list, written as module paths."""
    settings.DJANGO_VOX_BACKENDS = (
        "django_vox.backends.markdown_email",
        "django_vox.backends.template_email",
        "django_vox.backends.twilio",
        "django_vox.backends.twitter",
        "django_vox.backends.xmpp",
    )
    assert [cls.ID for cls in backends.all()] == ["email-md", "email", "twilio", "twitter",
                                                  "xmpp"]
