"""``manage.py vox_resend``: send failed deliveries again, exactly as rendered."""

import re
from datetime import datetime, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from django_vox.exceptions import MissingDependency
from django_vox.issuing import resending
from django_vox.models import Delivery

try:  # the Tasks framework is optional: only --background needs it
    from django_vox.background import tasks
except MissingDependency as err:
    tasks, _missing = None, err

_DURATION = re.compile(r"^(\d+)\s*([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(value: str) -> datetime:
    """``2h``/``3d``/``1w``/``30m`` ago, or an ISO date or date-time."""
    value = value.strip()
    match = _DURATION.match(value)
    if match:
        return timezone.now() - timedelta(**{_UNITS[match[2]]: int(match[1])})
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is not None:
            moment = datetime(day.year, day.month, day.day)
    if moment is None:
        raise CommandError(
            f"--since {value!r}: give a date (2026-01-31), a date-time "
            f"(2026-01-31T08:00) or an age such as 30m, 12h, 3d or 2w.")
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


class Command(BaseCommand):
    help = ("Resend failed deliveries (and, unless --failed, those waiting for a retry) "
            "exactly as they were rendered.  A delivery already sent is never sent again.")

    def add_arguments(self, parser):
        parser.add_argument("--failed", action="store_true",
                            help="Only deliveries marked failed, not those waiting for a retry.")
        parser.add_argument("--since", help="Only deliveries created since: 2026-01-31, "
                                            "2026-01-31T08:00, or an age like 12h, 3d.")
        parser.add_argument("--backend", action="append", default=[],
                            help="Only this backend ID (repeatable).")
        parser.add_argument("--background", action="store_true",
                            help="Enqueue retry tasks instead of sending from this process.")
        parser.add_argument("--dry-run", action="store_true",
                            help="Count what would be resent; send nothing.")

    def handle(self, *args, failed=False, since=None, backend=(), background=False,
               dry_run=False, **options):
        send = resending.resend
        if background:
            if tasks is None:
                raise CommandError(str(_missing))
            send = tasks.queue_resend
        rows = self._rows(failed=failed, since=since, backend=backend)
        if dry_run:
            self.stdout.write(f"Would resend {rows.count()} deliveries.")
            return
        total = {"sent": 0, "failed": 0, "skipped": 0, "queued": 0}
        batch = []
        for row in rows.iterator(chunk_size=500):
            batch.append(row)
            if len(batch) == 500:
                self._add(total, send(batch))
                batch = []
        if batch:
            self._add(total, send(batch))
        if background:
            self.stdout.write(f"Queued {total['queued']} deliveries for resending; "
                              f"{total['skipped']} skipped (sent or being sent).")
        else:
            self.stdout.write(f"Resent {total['sent']} deliveries, {total['failed']} failed, "
                              f"{total['skipped']} skipped (already sent).")

    @staticmethod
    def _rows(*, failed, since, backend):
        """The deliveries the options select, oldest first."""
        rows = Delivery.objects.filter(status=Delivery.FAILED)
        if not failed:
            rows = rows | Delivery.objects.filter(status=Delivery.QUEUED,
                                                  next_attempt_at__isnull=False)
        if since:
            rows = rows.filter(created_at__gte=parse_since(since))
        if backend:
            rows = rows.filter(backend__in=backend)
        return rows.order_by("created_at")

    @staticmethod
    def _add(total, counts):
        if isinstance(counts, resending.ResendResult):
            counts = counts.as_dict()
        for key, value in counts.items():
            total[key] = total.get(key, 0) + value
