"""What the worker processes do around a measurement: warm up the imports,
empty the delivery log and the task table, count the deliveries.

Called after ``django.setup()`` (each function imports Django's models when
called); imports nothing of ``bench``.
"""


def warm_up():
    """Import what either side needs, as a running site would have done already."""
    import smtplib  # noqa: F401
    from email.mime import multipart, text  # noqa: F401

    import html2text  # noqa: F401
    import requests  # noqa: F401
    from django.core.mail.backends import smtp  # noqa: F401

    from django_vox import conf, issuing  # noqa: F401
    from django_vox.backends import backends

    backends.all()
    # Django compiles the email validator's regexes on first use (~60 ms): a
    # running site has paid that already.
    from django.core.validators import validate_email

    validate_email("warm@up.example")
    if "xmpp" in backends.ids():
        import aioxmpp  # noqa: F401
    if conf.get("DJANGO_VOX_ISSUE_METHOD") == "django_vox.tasks.issue":
        from django_vox.background import tasks  # noqa: F401


def clear_log():
    """Empty the delivery log, so that every run starts from the same table.

    On PostgreSQL with TRUNCATE: DELETE leaves dead rows and bloated indexes
    behind, which made each run slower than the one before it.
    """
    from django.db import connection

    from django_vox.models import Delivery

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {connection.ops.quote_name(Delivery._meta.db_table)} "
                           f"CASCADE")  # with the delivery events that point at it
    else:
        Delivery.objects.all().delete()
    _clear_suppressions()


def _clear_suppressions():
    """Empty the suppression list (only fanout-suppressed fills it, in its prepare)."""
    from django_vox.models import Suppression

    Suppression.objects.all().delete()


def clear_tasks():
    try:
        from django_tasks_db.models import DBTaskResult
    except ImportError:
        return
    DBTaskResult.objects.all().delete()


def delivery_counts():
    """The delivery log's ``{status: count}``."""
    from django.db.models import Count

    from django_vox.models import Delivery

    return {row["status"]: row["total"]
            for row in Delivery.objects.values("status").annotate(total=Count("pk"))}
