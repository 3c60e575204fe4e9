"""Resending logged deliveries, for ``manage.py vox_resend`` and the admin,
and claiming them so that nobody sends one twice.

Importable without the Tasks framework: only ``in_background=True`` needs it.
"""

from django.db import transaction
from django.utils import timezone

from django_vox import issuing

__all__ = ["claim", "resend"]


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
        for row in claim(rows):
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


def claim(rows, *, stale_before=None):
    """Take ``rows`` for sending; return those this process may send.

    A row is taken with one conditional UPDATE that only one process can win,
    so two workers (or a worker and an admin) never both send it.  Failed rows
    and queued rows waiting for a retry (``next_attempt_at`` set) can be
    taken; a queued row without one is being sent right now and is left alone
    unless it was last touched before ``stale_before`` (its worker died).
    """
    from django_vox.models import Delivery

    rows = list(rows)
    current = {pk: values for pk, *values in Delivery.objects.filter(
        pk__in=[row.pk for row in rows]).values_list(
        "pk", "status", "attempts", "next_attempt_at", "updated_at")}
    taken = []
    for row in rows:
        if row.pk not in current:
            continue
        status, attempts, next_attempt_at, updated_at = current[row.pk]
        row.status, row.attempts, row.next_attempt_at = status, attempts, next_attempt_at
        match = Delivery.objects.filter(pk=row.pk, status=status, attempts=attempts)
        if status == Delivery.FAILED:
            match = match.filter(next_attempt_at__isnull=True)
        elif status == Delivery.QUEUED and next_attempt_at is not None:
            match = match.filter(next_attempt_at__isnull=False)
        elif (status == Delivery.QUEUED and stale_before is not None
              and updated_at < stale_before):
            match = match.filter(next_attempt_at__isnull=True, updated_at=updated_at)
        else:
            continue  # sent, suppressed, or being sent by someone else
        now = timezone.now()
        if match.update(status=Delivery.QUEUED, next_attempt_at=None, updated_at=now):
            row.status, row.next_attempt_at, row.updated_at = Delivery.QUEUED, None, now
            taken.append(row)
    return taken
