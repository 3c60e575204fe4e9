"""Resending logged deliveries, for ``manage.py vox_resend`` and the admin.

Importable without the Tasks framework: only ``in_background=True`` needs it.
"""

from django.db import transaction
from django.utils import timezone

from django_vox import issuing

__all__ = ["resend"]


def resend(deliveries, *, in_background: bool = False) -> dict:
    """Resend failed (or waiting) deliveries; never one already sent.

    Returns counts: ``sent``, ``failed``, ``skipped`` (already sent, or being
    sent right now) or, with ``in_background``, ``queued`` (retry tasks will
    send them).  This is what ``manage.py vox_resend`` and the admin action use.
    """
    from django_vox.models import Delivery

    rows = list(deliveries)
    if in_background:
        from django_vox.tasks import enqueue_retry

        pending = {}
        for row in issuing.claim(rows):
            Delivery.objects.filter(pk=row.pk, status=Delivery.QUEUED,
                                    next_attempt_at__isnull=True).update(
                next_attempt_at=timezone.now())
            pending[str(row.pk)] = row.attempts
        if pending:
            transaction.on_commit(lambda: enqueue_retry(pending))
        return {"queued": len(pending), "skipped": len(rows) - len(pending)}
    # The database's word, not possibly stale instances'.
    before = dict(Delivery.objects.filter(pk__in=[row.pk for row in rows])
                  .values_list("pk", "status"))
    results = issuing.send_deliveries(rows, raise_errors=False)
    already = sum(1 for pk, ok in results.items() if ok and before.get(pk) == Delivery.SENT)
    sent = sum(1 for ok in results.values() if ok) - already
    return {"sent": sent, "failed": len(results) - sent - already, "skipped": already}
