"""``manage.py vox_send_digests``: close the digest windows that are due (for cron)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from django_vox.digests import closing as digests


def parse_now(value):
    """``--now``: an ISO 8601 date and time; one without an offset is in ``TIME_ZONE``."""
    try:
        moment = parse_datetime(value.strip())
    except ValueError as err:  # well formed, but no such date (2026-02-30)
        raise CommandError(f"--now {value!r} is not a valid date and time: {err}.") from None
    if moment is None:
        raise CommandError(f"--now {value!r} is not an ISO 8601 date and time, such as "
                           f"2026-03-03T08:00 or 2026-03-03T07:00:00+00:00.")
    if settings.USE_TZ and timezone.is_naive(moment):
        return timezone.make_aware(moment)  # the site's TIME_ZONE, as digest windows are
    if not settings.USE_TZ and timezone.is_aware(moment):
        return timezone.make_naive(moment)
    return moment


class Command(BaseCommand):
    help = ("Send one digest per recipient for every digest window that has closed, and fold "
            "in held messages from earlier runs that never went out.  Safe to run from "
            "several machines at once: each held message goes into exactly one digest.")

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=None, metavar="KEYS",
                            help="Digest keys (template and recipient) closed per transaction "
                                 "(default DJANGO_VOX_BATCH_SIZE).")
        parser.add_argument("--now", default=None, metavar="ISO-TIME",
                            help="Close the windows due at this time instead of the current "
                                 "time, e.g. 2026-03-03T08:00 (without an offset: in TIME_ZONE) "
                                 "or 2026-03-03T07:00Z.")

    def handle(self, *args, batch_size=None, now=None, **options):
        if batch_size is not None and batch_size < 1:
            raise CommandError(f"--batch-size must be at least 1 (got {batch_size}).")
        moment = parse_now(now) if now is not None else None
        run = digests.send_digests(moment, batch_size=batch_size)
        if moment is not None:
            self.stdout.write(f"Windows due at {moment.isoformat()}:")
        self.stdout.write(f"Sent {run.sent} of {run.digests} digest(s) holding {run.items} "
                          f"message(s); {run.failed} failed, {run.suppressed} suppressed "
                          f"(turned off since).")
