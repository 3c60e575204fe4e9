"""``manage.py vox_purge [--older-than DAYS]``: trim the delivery log, and
delete read in-app messages past ``DJANGO_VOX_INAPP_RETENTION``."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from django_vox.inapp import purge as inapp_purge
from django_vox.models import Delivery


class Command(BaseCommand):
    help = ("Delete delivery log entries older than --older-than days.  Deliveries still "
            "waiting to be sent (queued, or held for a digest) are kept unless "
            "--include-queued is given.  Read in-app messages older than "
            "DJANGO_VOX_INAPP_RETENTION are deleted on every run.")

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=float, metavar="DAYS",
                            help="Delete entries created more than DAYS days ago (without it "
                                 "the delivery log is left alone).")
        parser.add_argument("--status", action="append", default=[],
                            help="Only entries with this status (sent, failed, suppressed; "
                                 "repeatable).")
        parser.add_argument("--include-queued", action="store_true",
                            help="Also delete queued entries and entries held for a digest "
                                 "(they will never be sent).")
        parser.add_argument("--dry-run", action="store_true",
                            help="Count what would be deleted; delete nothing.")

    def handle(self, *args, older_than=None, status=(), include_queued=False, dry_run=False,
               **options):
        self.purge_inapp(dry_run)
        if older_than is None:
            return
        if older_than < 0:
            raise CommandError(f"--older-than must not be negative (got {older_than:g}).")
        known = {value for value, _label in Delivery.STATUS_CHOICES}
        unknown = sorted(set(status) - known)
        if unknown:
            raise CommandError(f"--status {', '.join(unknown)}: not a delivery status "
                               f"(use {', '.join(sorted(known))}).")
        cutoff = timezone.now() - timedelta(days=older_than)
        rows = Delivery.objects.filter(created_at__lt=cutoff)
        if status:
            rows = rows.filter(status__in=status)
        if not include_queued:
            rows = rows.exclude(status__in=[Delivery.QUEUED, Delivery.HELD])
        if dry_run:
            self.stdout.write(f"Would delete {rows.count()} delivery log entries.")
            return
        deleted, _per_model = rows.delete()
        self.stdout.write(f"Deleted {deleted} delivery log entries older than "
                          f"{older_than:g} days.")

    def purge_inapp(self, dry_run):
        """Read in-app messages past DJANGO_VOX_INAPP_RETENTION (see django_vox.inapp.purge)."""
        if dry_run:
            count = inapp_purge.expired().count()
            self.stdout.write(f"Would delete {count} read in-app messages.")
            return
        self.stdout.write(f"Deleted {inapp_purge.purge()} read in-app messages past their "
                          f"retention.")
