"""Resending logged deliveries: the one path behind ``manage.py vox_resend``,
the admin's resend action, ``Delivery.resend()`` and ``FailedMessage.resend()``.

Importable without the Tasks framework; resending in the background is
:func:`django_vox.tasks.queue_resend`.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django_vox import deliverylog
from django_vox.deliverylog import claim
from django_vox.issuing.dispatch import send_deliveries
from django_vox.models import Delivery

__all__ = ["ResendResult", "claim", "resend"]


@dataclass(frozen=True, eq=False)
class ResendResult:
    """What a resend did.

    ``sent``: sent now; ``failed``: tried and failed again; ``skipped``:
    already sent, or being sent by someone else right now; ``suppressed``:
    dropped by the recipient's preferences, never sent.  ``outcomes`` maps
    each delivery's pk to whether it has been sent (now or before).
    """

    sent: int = 0
    failed: int = 0
    skipped: int = 0
    suppressed: int = 0
    outcomes: dict[Any, bool] = field(default_factory=dict, repr=False)

    def as_dict(self) -> dict[str, int]:
        """The counts as a dict (``suppressed`` only when there were any)."""
        counts = {"sent": self.sent, "failed": self.failed, "skipped": self.skipped}
        if self.suppressed:
            counts["suppressed"] = self.suppressed
        return counts

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ResendResult):
            return self.as_dict() == other.as_dict()
        if isinstance(other, Mapping):  # resend() returned a dict before 5.1
            return self.as_dict() == dict(other)
        return NotImplemented

    __hash__: ClassVar[None] = None  # type: ignore[assignment]  # equal to a dict: unhashable


def resend(deliveries: Iterable[Delivery], *, raise_errors: bool = False) -> ResendResult:
    """Resend failed (or waiting) deliveries now, exactly as rendered; never
    one already sent.  Each is claimed first, so concurrent resends send it once;
    one whose recipient has opted out since becomes suppressed, not sent.
    ``raise_errors``: raise the first send error once all have been tried
    (and recorded)."""
    rows = list(deliveries)
    before = deliverylog.statuses(rows)  # the database's word, not possibly stale instances'
    outcomes = send_deliveries(rows, raise_errors=raise_errors)
    after = deliverylog.statuses([row for row in rows if not outcomes.get(row.pk)])
    suppressed = sum(1 for pk in outcomes
                     if Delivery.SUPPRESSED in (before.get(pk), after.get(pk)))
    already = sum(1 for pk, ok in outcomes.items() if ok and before.get(pk) == Delivery.SENT)
    sent = sum(1 for ok in outcomes.values() if ok) - already
    return ResendResult(sent=sent, failed=len(outcomes) - sent - already - suppressed,
                        skipped=already, suppressed=suppressed, outcomes=outcomes)
