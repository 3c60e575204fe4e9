"""``manage.py vox_send_digests``: close the digest windows that are due (for cron)."""

from django.core.management.base import BaseCommand, CommandError

from django_vox.digests import closing as digests


class Command(BaseCommand):
    help = ("Send one digest per recipient for every digest window that has closed, and fold "
            "in held messages from earlier runs that never went out.  Safe to run from "
            "several machines at once: each held message goes into exactly one digest.")

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=None, metavar="KEYS",
                            help="Digest keys (template and recipient) closed per transaction "
                                 "(default DJANGO_VOX_BATCH_SIZE).")

    def handle(self, *args, batch_size=None, **options):
        if batch_size is not None and batch_size < 1:
            raise CommandError(f"--batch-size must be at least 1 (got {batch_size}).")
        run = digests.send_digests(batch_size=batch_size)
        self.stdout.write(f"Sent {run.sent} of {run.digests} digest(s) holding {run.items} "
                          f"message(s); {run.failed} failed, {run.suppressed} suppressed "
                          f"(turned off since).")
