"""The notify action on any ModelAdmin, site contacts and the delivery log admin."""

import pytest
from django.contrib import admin
from django.test import Client, override_settings
from django.urls import path

from django_vox.admin import notify
from django_vox.backends import locmem
from django_vox.exceptions import PermanentSendError
from django_vox.models import Delivery, FailedMessage, Notification, SiteContact
from tests.test_admin_helpers import make_user
from tests.testapp.models import Article, Subscriber

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

# A site of its own, so the test app's models need no admin elsewhere.
site = admin.AdminSite(name="voxtest")


@admin.register(Subscriber, site=site)
class SubscriberAdmin(admin.ModelAdmin):
    actions = [notify]


site.register(Delivery, admin.site._registry[Delivery].__class__)
site.register(FailedMessage, admin.site._registry[FailedMessage].__class__)
site.register(SiteContact, admin.site._registry[SiteContact].__class__)
site.register(Notification, admin.site._registry[Notification].__class__)

urlpatterns = [path("admin/", site.urls)]

BACKENDS = ["django_vox.backends.locmem.Backend", "django_vox.backends.locmem.SmsBackend",
            "tests.test_admin_actions.BrokenBackend"]


class BrokenBackend(locmem.Backend):
    """Refuses one address, so failures show in the counts and can be resent."""

    ID = "locmem-broken"
    VERBOSE_NAME = "Broken for bob"
    refuse = {"bob@example.org"}

    def send(self, address, message):
        if address in self.refuse:
            raise PermanentSendError("mailbox unavailable", status=550)
        super().send(address, message)


@pytest.fixture
def subscribers():
    return [Subscriber.objects.create(name=name, email=f"{name}@example.org",
                                      phone="+15550001" if name == "ann" else "")
            for name in ("ann", "bob", "cy")]


NOTIFY_PERMS = ("testapp.view_subscriber", "testapp.change_subscriber", "django_vox.add_delivery")


@pytest.fixture
def sender(client, django_user_model):
    client.force_login(make_user(django_user_model, "sender", *NOTIFY_PERMS))
    return client


CHANGELIST = "/admin/testapp/subscriber/"


def action_post(pks, **fields):
    data = {"action": "notify", "_selected_action": [str(pk) for pk in pks]}
    data.update(fields)
    return data


def messages_of(response):
    return " ".join(str(m) for m in response.context["messages"])


# -- the notify action ------------------------------------------------------------------

def test_notify_shows_the_message_form_first(sender, subscribers):
    response = sender.post(CHANGELIST, {**action_post([s.pk for s in subscribers[:2]]), "index": "0"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="vox-notify-form"' in html and "contacts of 2 subscribers" in html
    # Only the backends the selected subscribers have an address for (email, and
    # SMS for ann), by name.
    assert response.context["form"].fields["backend"].choices == [
        ("locmem", "In-memory (tests)"), ("locmem-sms", "In-memory sms (tests)")]
    assert 'id="vox-editor-data"' in html and "django_vox/admin/editor.js" in html
    assert not locmem.outbox


def test_notify_sends_one_time_message_and_reports_counts(sender, subscribers):
    response = sender.post(CHANGELIST, action_post(
        [subscribers[0].pk, subscribers[2].pk], apply="Send", backend="locmem",
        subject="Hello {{ object.name }}", body="Hi {{ recipient.name }}, news.",
        from_address="news@example.org"), follow=True)
    assert "One-time message: 2 sent, 0 failed." in messages_of(response)
    sent = sorted(locmem.outbox, key=lambda m: m.to[0])
    assert [(m.to, m.subject, m.body, m.from_address) for m in sent] == [
        (["ann@example.org"], "Hello ann", "Hi ann, news.", "news@example.org"),
        (["cy@example.org"], "Hello cy", "Hi cy, news.", "news@example.org")]
    rows = Delivery.objects.order_by("to_addresses")
    assert [r.status for r in rows] == ["sent", "sent"]
    assert rows[0].notification is None and rows[0].object_id == str(subscribers[0].pk)
    assert len({r.issue_id for r in rows}) == 1


def test_notify_counts_objects_without_contact(sender, subscribers):
    response = sender.post(CHANGELIST, action_post(
        [s.pk for s in subscribers], apply="Send", backend="locmem-sms", body="Text"), follow=True)
    text = messages_of(response)
    assert "1 sent, 0 failed" in text and "2 objects have no contact" in text
    assert [m.to for m in locmem.outbox] == [["+15550001"]]


@override_settings(DJANGO_VOX_BACKENDS=BACKENDS)
def test_notify_failures_are_logged_and_resendable(client, django_user_model, subscribers):
    user = make_user(django_user_model, "sender", *NOTIFY_PERMS, "django_vox.view_delivery",
                     "django_vox.change_delivery", "django_vox.view_failedmessage",
                     "django_vox.change_failedmessage")
    client.force_login(user)
    response = client.post(CHANGELIST, action_post(
        [s.pk for s in subscribers], apply="Send", backend="locmem-broken", body="Hi"), follow=True)
    assert "2 sent, 1 failed" in messages_of(response)
    failed = Delivery.objects.get(status=Delivery.FAILED)
    assert failed.to_addresses == ["bob@example.org"] and "550" in failed.error

    # The delivery log lists it; resend while the address still fails, then after a fix.
    response = client.get("/admin/django_vox/delivery/", {"status__exact": "failed"})
    assert list(response.context["cl"].result_list) == [failed]
    response = client.get("/admin/django_vox/delivery/", {"backend": "locmem-broken"})
    assert len(response.context["cl"].result_list) == 3
    sent_row = Delivery.objects.filter(status=Delivery.SENT).first()
    response = client.post("/admin/django_vox/delivery/", {
        "action": "resend", "_selected_action": [str(failed.pk), str(sent_row.pk)], "index": "0"},
        follow=True)
    assert ("0 messages resent, 1 failed, 1 already sent (skipped). Why: mailbox unavailable; "
            "status 550.") in messages_of(response)
    failed.refresh_from_db()
    assert failed.attempts == 2
    BrokenBackend.refuse = set()
    try:
        response = client.post("/admin/django_vox/failedmessage/", {
            "action": "resend", "_selected_action": [str(failed.pk)], "index": "0"}, follow=True)
    finally:
        BrokenBackend.refuse = {"bob@example.org"}
    assert "1 message resent, 0 failed." in messages_of(response)
    failed.refresh_from_db()
    assert failed.status == Delivery.SENT
    assert [m.to for m in locmem.outbox][-1] == ["bob@example.org"]

    # A row suppressed by the recipient's preferences is skipped, not counted as failed.
    sent_row.status = Delivery.SUPPRESSED
    sent_row.save()
    sent_before = len(locmem.outbox)
    response = client.post("/admin/django_vox/delivery/", {
        "action": "resend", "_selected_action": [str(sent_row.pk)], "index": "0"}, follow=True)
    assert ("0 messages resent, 0 failed, 1 suppressed by the recipient's preferences "
            "(skipped).") in messages_of(response).replace("&#x27;", "'")
    assert len(locmem.outbox) == sent_before


def test_notify_rejects_template_errors(sender, subscribers):
    response = sender.post(CHANGELIST, action_post(
        [subscribers[0].pk], apply="Send", backend="locmem", body="{{ object|nope }}"))
    assert response.status_code == 200
    assert "nope" in " ".join(response.context["form"].errors["body"])
    assert not locmem.outbox and not Delivery.objects.exists()


def test_notify_needs_add_delivery_permission(client, django_user_model, subscribers):
    client.force_login(make_user(django_user_model, "half", "testapp.view_subscriber",
                                 "testapp.change_subscriber"))
    response = client.post(CHANGELIST, action_post(
        [subscribers[0].pk], apply="Send", backend="locmem", body="Hi"), follow=True)
    assert "permission is needed" in messages_of(response)
    assert not locmem.outbox


def test_notify_needs_change_permission_on_the_model(client, django_user_model, subscribers):
    client.force_login(make_user(django_user_model, "viewer", "testapp.view_subscriber",
                                 "django_vox.add_delivery"))
    response = client.get(CHANGELIST)
    assert 'value="notify"' not in response.content.decode()
    response = client.post(CHANGELIST, action_post(
        [subscribers[0].pk], apply="Send", backend="locmem", body="Hi"), follow=True)
    assert not locmem.outbox


def test_notify_enforces_csrf(django_user_model, subscribers):
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user(django_user_model, "sender", *NOTIFY_PERMS))
    response = client.post(CHANGELIST, action_post(
        [subscribers[0].pk], apply="Send", backend="locmem", body="Hi"))
    assert response.status_code == 403
    assert not locmem.outbox


def test_notify_for_anonymous_and_non_staff(client, django_user_model, subscribers):
    data = action_post([subscribers[0].pk], apply="Send", backend="locmem", body="Hi")
    response = client.post(CHANGELIST, data)
    assert response.status_code == 302 and "/login/" in response.url
    client.force_login(make_user(django_user_model, "member", *NOTIFY_PERMS, staff=False))
    response = client.post(CHANGELIST, data)
    assert response.status_code == 302 and "/login/" in response.url
    assert not locmem.outbox


# -- delivery log permissions ----------------------------------------------------------------

def test_delivery_log_is_read_only_and_needs_permission(client, django_user_model):
    row = Delivery.objects.create(backend="locmem", to_addresses=["x@example.org"],
                                  status=Delivery.FAILED, message={"text": "Hi"})
    client.force_login(make_user(django_user_model, "nobody"))
    assert client.get("/admin/django_vox/delivery/").status_code == 403
    client.force_login(make_user(django_user_model, "viewer", "django_vox.view_delivery"))
    response = client.get("/admin/django_vox/delivery/")
    assert response.status_code == 200
    assert 'value="resend"' not in response.content.decode()
    response = client.post("/admin/django_vox/delivery/", {
        "action": "resend", "_selected_action": [str(row.pk)], "index": "0"})
    row.refresh_from_db()
    assert row.attempts == 0 and not locmem.outbox
    assert client.get(f"/admin/django_vox/delivery/{row.pk}/change/").status_code == 200
    assert client.get("/admin/django_vox/delivery/add/").status_code == 403


def test_resend_enforces_csrf(django_user_model):
    row = Delivery.objects.create(backend="locmem", to_addresses=["x@example.org"],
                                  status=Delivery.FAILED, message={"text": "Hi"})
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user(django_user_model, "ops", "django_vox.view_delivery",
                                 "django_vox.change_delivery"))
    response = client.post("/admin/django_vox/delivery/", {
        "action": "resend", "_selected_action": [str(row.pk)], "index": "0"})
    assert response.status_code == 403 and not locmem.outbox


def test_resend_reports_success(admin_client):
    row = Delivery.objects.create(backend="locmem", to_addresses=["x@example.org"],
                                  status=Delivery.FAILED, message={"subject": "S", "text": "Hi"})
    response = admin_client.post("/admin/django_vox/failedmessage/", {
        "action": "resend", "_selected_action": [str(row.pk)], "index": "0"}, follow=True)
    assert "1 message resent, 0 failed." in messages_of(response)
    assert [(m.to, m.subject) for m in locmem.outbox] == [(["x@example.org"], "S")]
    assert not FailedMessage.objects.exists()


# -- site contacts ---------------------------------------------------------------------------------

def test_site_contact_with_notification_settings(client, django_user_model, make_template):
    published = Notification.objects.get_for_model(Article, "published")
    urgent = Notification.objects.get_for_model(Article, "urgent")
    client.force_login(make_user(django_user_model, "ops", "django_vox.add_sitecontact",
                                 "django_vox.change_sitecontact", "django_vox.view_sitecontact",
                                 "django_vox.add_sitecontactsetting",
                                 "django_vox.change_sitecontactsetting",
                                 "django_vox.view_sitecontactsetting"))
    response = client.get("/admin/django_vox/sitecontact/add/")
    assert response.status_code == 200
    assert set(dict(response.context["adminform"].form.fields["protocol"].choices)) == {
        "email", "sms", "slack-webhook", "json-webhook"}
    response = client.post("/admin/django_vox/sitecontact/add/", {
        "name": "Team", "protocol": "email", "address": "team@example.org",
        "enable_filter": SiteContact.BLACKLIST,
        "settings-TOTAL_FORMS": "1", "settings-INITIAL_FORMS": "0",
        "settings-MIN_NUM_FORMS": "0", "settings-MAX_NUM_FORMS": "1000",
        "settings-0-notification": str(urgent.pk), "settings-0-enabled": "",
    })
    assert response.status_code == 302
    contact = SiteContact.objects.get()
    setting = contact.settings.get()
    assert (setting.notification, setting.enabled) == (urgent, False)
    assert published.pk != urgent.pk
    response = client.get("/admin/django_vox/sitecontact/", {"protocol": "email"})
    assert list(response.context["cl"].result_list) == [contact]


def test_site_contact_admin_needs_permission(client, django_user_model):
    client.force_login(make_user(django_user_model, "nobody"))
    assert client.get("/admin/django_vox/sitecontact/").status_code == 403
    assert client.post("/admin/django_vox/sitecontact/add/", {
        "name": "X", "protocol": "email", "address": "x@example.org"}).status_code == 403
    assert not SiteContact.objects.exists()
