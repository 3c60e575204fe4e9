"""The legacy model API of django-vox 4.0.6 (``VoxModel`` with a ``VoxMeta``):
a project using it starts and issues (tests/vox4app/models.py: ``Invoice``)."""

import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import models
from django.test.utils import isolate_apps

from django_vox.compat.models import VoxModel as CompatVoxModel
from django_vox.exceptions import RemovedInDjangoVox6Warning
from django_vox.models import (
    Delivery,
    Notification,
    SiteContact,
    VoxModel,
    VoxNotification,
    VoxNotifications,
)
from django_vox.registry import Registration, objects
from tests.vox4app.models import Invoice, PurchaseOrder, User

ROOT = Path(__file__).resolve().parent.parent
RELAY = "tests.vox4app.backends.RelayEmailBackend"
REPLACEMENT = (r"declare the notifications as django_vox\.registry\.Notification attributes of a "
               r"django_vox\.registry\.Registration subclass")


def test_the_names_import_from_django_vox_models():
    assert VoxModel is CompatVoxModel
    assert VoxModel._meta.abstract


def test_a_project_defining_a_vox_model_starts():
    """``manage.py check`` of the 4.x project (tests.settings holds tests.vox4app):
    no problem, and the warnings name the replacement."""
    result = subprocess.run(
        [sys.executable, "-W", "always::DeprecationWarning", "-m", "django", "check",
         "--settings=tests.settings"],
        cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout
    assert ("RemovedInDjangoVox6Warning: vox4app.Invoice.VoxMeta is deprecated and removed in "
            "django-vox 6.0; declare the notifications as django_vox.registry.Notification "
            "attributes") in result.stderr
    assert ("RemovedInDjangoVox6Warning: django_vox.models.VoxNotification is deprecated and "
            "removed in django-vox 6.0; use django_vox.registry.Notification.") in result.stderr


def test_the_vox_meta_registers_the_model_as_4x_did():
    entry = objects[Invoice]
    assert entry.regex is None and isinstance(entry.registration, Registration)
    sent = entry.registration.get_notification("sent")
    assert (sent.actor_type, sent.target_type) == ("vox4app.user", "vox4app.purchaseorder")
    paid = entry.registration.get_notification("paid")  # given as a description only
    assert str(paid.description) == "Notification that an invoice was paid."


@pytest.fixture
def relay(settings, smtp_server):
    """The two upgrade settings, and the 4.x relay backend sending to a real SMTP peer."""
    settings.DJANGO_VOX_SEND_ON_COMMIT = False
    settings.DJANGO_VOX_SYNC_ON_MIGRATE = False
    settings.VOX4_RELAY_HOST, settings.VOX4_RELAY_PORT = smtp_server.host, smtp_server.port
    settings.DJANGO_VOX_BACKENDS = ["django_vox.backends.locmem.Backend", RELAY]
    call_command("make_notifications", verbosity=0)
    return smtp_server


@pytest.mark.django_db
def test_issue_notification_reaches_a_real_smtp_peer(relay, make_template):
    SiteContact.objects.create(name="Accounts", protocol="email", address="accounts@example.org")
    make_template(Invoice, "sent", backend="relay-email", recipients="si",
                  subject="Invoice {{ object.number }}",
                  content="{{ actor.username }} sent {{ object.number }} for order {{ target.pk }}")
    customer = User.objects.create(username="carla", email="carla@example.org")
    order = PurchaseOrder.objects.create(customer=customer)
    invoice = Invoice.objects.create(number="F-7", order=order)
    with pytest.warns(RemovedInDjangoVox6Warning,
                      match=r"^Invoice\.issue_notification\(\) is deprecated and removed in "
                            r"django-vox 6\.0; use django_vox\.registry\.objects\[Model\]\.notify"), \
            pytest.warns(RemovedInDjangoVox6Warning, match="RelayEmailBackend"):
        invoice.issue_notification("sent", actor=customer, target=order)
    [mail] = relay.messages
    assert mail["Subject"] == "Invoice F-7"
    assert mail.get_content().strip() == f"carla sent F-7 for order {order.pk}"
    assert relay.envelopes[0].rcpt_tos == ["accounts@example.org"]
    assert Delivery.objects.get(backend="relay-email").status == Delivery.SENT


@pytest.mark.django_db
def test_get_notification_answers_the_row(relay):
    with pytest.warns(RemovedInDjangoVox6Warning, match=r"Invoice\.get_notification\(\)"):
        row = Invoice.get_notification("paid")
    assert row == Notification.objects.get_for_model(Invoice, "paid")


@isolate_apps("tests.vox4app")
def test_vox_meta_with_an_unknown_option_names_it():
    with pytest.warns(RemovedInDjangoVox6Warning, match=REPLACEMENT), \
            pytest.raises(ValueError, match=r"Bill\.VoxMeta has invalid attribute\(s\): "
                                            r"notification \(VoxMeta takes notifications and "
                                            r"attachments\)"):
        class Bill(VoxModel):
            class VoxMeta:
                notification = VoxNotifications(paid="Paid.")  # sic: singular

            class Meta:
                app_label = "vox4app"
    assert not any(model.__name__ == "Bill" for model in objects.models())


@isolate_apps("tests.vox4app")
def test_an_abstract_vox_model_is_not_registered():
    with pytest.warns(RemovedInDjangoVox6Warning, match="VoxNotifications"):
        class Base(VoxModel):
            class VoxMeta:
                notifications = VoxNotifications(done="Done.")

            class Meta:
                abstract = True
                app_label = "vox4app"
    assert Base not in objects


@isolate_apps("tests.vox4app")
def test_vox_notification_warns_naming_the_replacement():
    with pytest.warns(RemovedInDjangoVox6Warning,
                      match=r"^django_vox\.models\.VoxNotification is deprecated and removed in "
                            r"django-vox 6\.0; use django_vox\.registry\.Notification\.$"):
        notification = VoxNotification("Shipped.", required=True)
    assert notification.required and notification.codename == ""
    with pytest.warns(RemovedInDjangoVox6Warning, match=REPLACEMENT):
        class Parcel(VoxModel):
            class VoxMeta:
                notifications = VoxNotifications(shipped=notification)

            weight = models.IntegerField(default=0)

            class Meta:
                app_label = "vox4app"
    try:
        assert notification.codename == "shipped"
        assert objects[Parcel].registration.get_notifications() == [notification]
    finally:
        objects.remove(Parcel)
