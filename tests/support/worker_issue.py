"""Issue notifications from several threads, as a web process would.

    python -m tests.support.worker_issue CODENAME THREADS PK [PK ...]

Runs with ``DJANGO_SETTINGS_MODULE=tests.support.worker_settings``: every issue goes
through ``django_vox.tasks.issue`` onto the configured task backend.
"""

import sys
import threading

import django


def main(argv):
    django.setup()
    from django.db import connection, transaction

    from tests.testapp.models import Article
    from tests.testapp.registrations import ArticleRegistration

    codename, threads, pks = argv[0], int(argv[1]), [int(pk) for pk in argv[2:]]
    notification = getattr(ArticleRegistration, codename)
    errors = []

    def issue_some(share):
        try:
            for pk in share:
                with transaction.atomic():  # enqueued when this commits
                    notification.issue(Article.objects.get(pk=pk))
        except Exception as err:  # noqa: BLE001 - reported to the test through the exit code
            errors.append(err)
        finally:
            connection.close()

    workers = [threading.Thread(target=issue_some, args=(pks[i::threads],))
               for i in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    if errors:
        raise SystemExit(f"{len(errors)} issuing thread(s) failed: {errors[0]!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
