from django.core.management.base import BaseCommand

from django_vox.registry.sync import sync_notifications


class Command(BaseCommand):
    help = "Add, alter and remove notification rows to match the notifications declared in code."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true",
                            help="Say what would change without changing anything.")
        parser.add_argument("--database", default="default")

    def handle(self, *args, dry_run=False, database="default", **options):
        report = sync_notifications(dry_run=dry_run, using=database)
        prefix = "Would have: " if dry_run else ""
        for line in report.lines():
            self.stdout.write(prefix + line)
        if not report.changed and not report.kept:
            self.stdout.write("Notifications are up to date.")
