"""What closing digests does to the held rows on the delivery log: which
are due, taking them (one process wins each row), failing, suppressing or
releasing them, and pointing items at their digest.  Statements only, one per
batch; :mod:`django_vox.digests.closing` decides which.
"""

import datetime
import uuid

from django.db.models import Q
from django.utils import timezone

from django_vox import conf, deliverylog
from django_vox.models import Delivery

__all__ = ["claim_held", "due", "due_keys", "fail_items", "link_items", "release", "suppress"]


def due(now) -> Q:
    """Held rows whose window has closed, or held for longer than
    ``DJANGO_VOX_DIGEST_MAX_AGE`` seconds (whatever their window says now)."""
    max_age = datetime.timedelta(seconds=conf.positive_int("DJANGO_VOX_DIGEST_MAX_AGE"))
    return Q(digest_due__lte=now) | Q(created_at__lte=now - max_age)


def due_keys(now, limit: int, skip=()) -> list:
    """Up to ``limit`` digest keys with held rows due at ``now`` (one query)."""
    rows = Delivery.objects.filter(due(now), status=Delivery.HELD)
    if skip:
        rows = rows.exclude(digest_key__in=list(skip))
    return list(rows.order_by("digest_key").values_list("digest_key", flat=True)
                .distinct()[:limit])


def claim_held(keys, now) -> list:
    """Take the due held rows of ``keys``: one conditional UPDATE that only one
    process wins per row, then one SELECT of what this process took."""
    token = uuid.uuid4()
    Delivery.objects.filter(due(now), status=Delivery.HELD,
                            digest_key__in=list(keys)).update(
        status=Delivery.DIGESTED, digest_claim=token, updated_at=timezone.now())
    return list(Delivery.objects.filter(digest_claim=token).order_by("created_at", "pk"))


def fail_items(rows, reason) -> None:
    """Items whose digest could not be made: failed, with the reason, resendable."""
    for row in rows:
        row.status, row.error, row.next_attempt_at = Delivery.FAILED, reason, None
    deliverylog.mark_failed(rows, timezone.now(), fields=("status", "error", "next_attempt_at"))


def suppress(groups, now) -> None:
    """``[(rows, reason)]``: items of recipients who turned it off since (one statement)."""
    rows = []
    for group, reason in groups:
        for row in group:
            row.status, row.error = Delivery.SUPPRESSED, reason
        rows += group
    deliverylog.mark_failed(rows, now, fields=("status", "error"))


def release(rows, reason) -> list:
    """Items whose digest cannot be made (template deleted, backend not enabled)
    are sent on their own, as they were rendered: never lost."""
    for row in rows:
        row.status, row.error = Delivery.FAILED, reason
    deliverylog.mark_failed(rows, timezone.now(), fields=("status", "error"))
    return rows


def link_items(digests) -> None:
    """Point each item at its digest (one statement for the batch)."""
    pairs = [(digest.row.pk, row.pk) for digest in digests for row in digest.rows]
    if pairs:
        deliverylog.link_digest(pairs)
