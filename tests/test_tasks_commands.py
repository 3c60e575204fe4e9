"""vox_resend, vox_purge and vox_recover."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from django_vox.backends import locmem
from django_vox.models import Delivery

pytestmark = pytest.mark.django_db
MESSAGE = {"backend": "locmem", "protocol": "email", "message": {"subject": "", "text": "Hi"}}


def row(address, status=Delivery.FAILED, age=timedelta(0), **fields):
    delivery = Delivery.objects.create(to_addresses=[address], status=status, error="boom",
                                       attempts=1, **MESSAGE, **fields)
    Delivery.objects.filter(pk=delivery.pk).update(created_at=timezone.now() - age,
                                                   updated_at=timezone.now() - age)
    return delivery


def command(*args):
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_vox_resend_failed_and_waiting_once():
    row("old@example.org", age=timedelta(days=10))
    row("new@example.org")
    row("done@example.org", status=Delivery.SENT)
    row("wait@example.org", status=Delivery.QUEUED, next_attempt_at=timezone.now())
    row("busy@example.org", status=Delivery.QUEUED)  # being sent right now
    assert command("vox_resend", "--since", "3d", "--failed") == (
        "Resent 1 deliveries, 0 failed, 0 skipped (already sent).\n")
    assert [m.to for m in locmem.outbox] == [["new@example.org"]]
    assert "Would resend 2 deliveries." in command("vox_resend", "--dry-run")
    assert "Resent 2 deliveries" in command("vox_resend")
    assert sorted(m.to[0] for m in locmem.outbox) == [
        "new@example.org", "old@example.org", "wait@example.org"]
    assert "Resent 0 deliveries" in command("vox_resend")
    assert Delivery.objects.get(to_addresses=["busy@example.org"]).status == Delivery.QUEUED


def test_vox_resend_rejects_a_bad_since():
    with pytest.raises(CommandError, match="--since 'yesterday-ish'"):
        command("vox_resend", "--since", "yesterday-ish")


def test_vox_purge_keeps_recent_and_queued():
    row("old-sent@example.org", status=Delivery.SENT, age=timedelta(days=40))
    row("old-failed@example.org", age=timedelta(days=40))
    row("old-queued@example.org", status=Delivery.QUEUED, age=timedelta(days=40))
    row("new@example.org", status=Delivery.SENT)
    assert "Would delete 2" in command("vox_purge", "--older-than", "30", "--dry-run")
    assert "Deleted 1 " in command("vox_purge", "--older-than", "30", "--status", "sent")
    assert "Deleted 1 " in command("vox_purge", "--older-than", "30")
    assert sorted(a for (a,) in Delivery.objects.values_list("to_addresses")) == [
        ["new@example.org"], ["old-queued@example.org"]]
    with pytest.raises(CommandError, match="--status lost"):
        command("vox_purge", "--older-than", "1", "--status", "lost")


def test_vox_recover_now_sends_abandoned_once():
    row("left@example.org", status=Delivery.QUEUED, age=timedelta(hours=1))
    row("fresh@example.org", status=Delivery.QUEUED)
    assert command("vox_recover", "--now") == (
        "Ran 0 unfinished issue plan(s) and 0 unfinished chunk(s).\nSent 1 abandoned deliveries.\n")
    assert command("vox_recover", "--now").endswith("\nSent 0 abandoned deliveries.\n")
    assert [m.to for m in locmem.outbox] == [["left@example.org"]]


def test_resend_counts_from_the_database_not_stale_instances():
    from django_vox.issuing.resending import resend

    failed = row("x@example.org")
    stale = Delivery.objects.get(pk=failed.pk)
    assert resend([failed]) == {"sent": 1, "failed": 0, "skipped": 0}
    assert stale.status == Delivery.FAILED
    assert resend([stale]) == {"sent": 0, "failed": 0, "skipped": 1}
    assert [m.to for m in locmem.outbox] == [["x@example.org"]]
