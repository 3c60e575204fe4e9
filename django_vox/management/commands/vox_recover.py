"""``manage.py vox_recover``: send what a killed worker left behind."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from django_vox.exceptions import MissingDependency

try:  # the Tasks framework is optional; without it this command explains what is missing
    from django_vox.background import tasks
except MissingDependency as err:
    tasks, _missing = None, err


class Command(BaseCommand):
    help = ("Run again the background issues a killed worker left (planning that stopped, "
            "chunks left running or never taken), then send queued deliveries that nobody has "
            "touched for --older-than minutes and retries whose task never ran.  Safe to run "
            "while workers run, and from cron: each chunk and each delivery is claimed before "
            "it is sent, and nobody already logged is sent to again.")

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=float, default=15, metavar="MINUTES",
                            help="How long a queued delivery must be untouched (default 15; "
                                 "longer than your workers take to send one batch).")
        parser.add_argument("--now", action="store_true",
                            help="Send from this process instead of enqueueing retry tasks.")

    def handle(self, *args, older_than=15, now=False, **options):
        if tasks is None:
            raise CommandError(str(_missing))
        if older_than < 0:
            raise CommandError(f"--older-than must not be negative (got {older_than:g}).")
        age = timedelta(minutes=older_than)
        found = tasks.recover_issues(older_than=age, in_background=not now)
        verb = "Ran" if now else "Queued"
        self.stdout.write(f"{verb} {found['issues']} unfinished issue plan(s) and "
                          f"{found['chunks']} unfinished chunk(s).")
        count = tasks.recover(older_than=age, in_background=not now)
        verb = "Sent" if now else "Queued"
        self.stdout.write(f"{verb} {count} abandoned deliveries.")
