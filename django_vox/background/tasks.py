"""Background delivery on Django's Tasks framework.

Set ``DJANGO_VOX_ISSUE_METHOD = "django_vox.tasks.issue"`` and issuing a
notification only checks it and enqueues a task when the transaction commits;
a worker renders and sends.  Tasks carry model references (app label, model
name, primary key), never pickled objects, so any backend of the framework
works: ``ImmediateBackend`` in tests, django-tasks-db's ``DatabaseBackend``
with ``manage.py db_worker`` on one machine, django-tasks-rq on Redis across
many.  ``DJANGO_VOX_TASK_BACKEND`` names the backend alias to use.

Deliveries that fail transiently are retried by :func:`send_due` tasks (see
:mod:`django_vox.pacing.retry`); :func:`recover` re-sends what a killed worker left
behind; :func:`queue_resend` resends through the workers
(:func:`django_vox.issuing.resending.resend` is the same, in this process).

This is the only module that imports the Tasks framework: issuing gets the
retry callback (:func:`enqueue_retry`) from here as an argument.
"""

import logging
from datetime import datetime, timedelta
from uuid import uuid4

from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from django_vox import conf, deliverylog, issuing
from django_vox.background import chunks
from django_vox.background.chunks import load_ref, model_ref
from django_vox.digests import closing as digests
from django_vox.exceptions import MissingDependency
from django_vox.issuing import resending
from django_vox.models import Delivery

try:  # Django 6.0+ ships the framework; older versions use the backport.
    from django.tasks import task, task_backends
except ImportError:  # pragma: no cover - depends on the Django version
    try:
        from django_tasks import task, task_backends
    except ImportError as err:
        raise MissingDependency("django_vox.tasks", "django_tasks", "tasks") from err

__all__ = [
    "STALE_AFTER",
    "deliver",
    "enqueue_retry",
    "issue",
    "load_ref",
    "model_ref",
    "queue_resend",
    "recover",
    "recover_issues",
    "resend",
    "send_chunk",
    "send_digests_task",
    "send_due",
    "start_digests",
]

logger = logging.getLogger("django_vox")

#: A queued delivery nobody touched for this long was abandoned by a worker
#: that died (default of :func:`recover`).  Longer than sending one batch takes.
STALE_AFTER = timedelta(minutes=15)
#: Retry tasks carry at most this many delivery ids each.
CHUNK = 500


# -- the tasks -----------------------------------------------------------------
@task()
def deliver(notification_id: int, obj: list, actor: list | None = None,
            target: list | None = None, issue_id: str | None = None) -> dict:
    """Plan a background issue: write its row, split its contacts into chunks
    (each a :func:`send_chunk` task any worker can take) and send the last
    chunk here, so a small issue is one task.

    Run again with the same ``issue_id`` (a worker died and the framework or
    ``vox_recover`` ran it again), it plans only what was not planned yet.
    """
    record, attempt = chunks.start_issue(issue_id, notification_id, obj, actor, target)
    if not attempt:  # planned already: its chunks are tasks of their own
        return {"issue_id": str(record.pk), "state": record.state}
    try:
        issue = chunks.load_issue(record, background=True, schedule_retry=enqueue_retry,
                                  resuming=False)
    except (ObjectDoesNotExist, LookupError) as err:
        # Deleted (or its app removed) between the issue and now: nothing to send.
        chunks.skip_issue(record, f"notification {notification_id} about {obj}: {err}")
        return {"issue_id": str(record.pk), "skipped": str(err)}
    last = chunks.plan(record, attempt, issue, _enqueue_chunk)
    result = chunks.run_chunk(last, enqueue_retry) if last is not None else {}
    return {"issue_id": str(record.pk), "sent": result.get("sent", 0),
            "failed": result.get("failed", 0)}


@task()
def send_chunk(chunk_id: int) -> dict:
    """Send one chunk of a background issue (unless another worker has it)."""
    return chunks.run_chunk(chunk_id, enqueue_retry)


@task()
def send_due(deliveries: dict) -> dict:
    """Retry deliveries: ``{delivery id: attempts when the retry was scheduled}``.

    A delivery whose attempts changed since (someone resent it) or that is no
    longer waiting is skipped, so a duplicate or late task never sends twice.
    """
    rows = [row for row in Delivery.objects.filter(pk__in=list(deliveries))
            if row.attempts == deliveries.get(str(row.pk))]
    results = issuing.send_deliveries(rows, raise_errors=False, schedule_retry=enqueue_retry)
    return {"sent": sum(1 for ok in results.values() if ok),
            "not_sent": sum(1 for ok in results.values() if not ok)}


@task()
def send_digests_task(reschedule: bool = True) -> dict:
    """Close the digest windows due now (:func:`django_vox.digests.send_digests`),
    then enqueue itself again ``DJANGO_VOX_DIGEST_INTERVAL`` seconds later (on a
    task backend that can defer; on others, run it from cron or ``vox_send_digests``).
    Two chains running at once send no digest twice, only waste a little work."""
    run = digests.send_digests(schedule_retry=enqueue_retry)
    if reschedule:
        start_digests()
    return run.as_dict()


def start_digests(delay: timedelta | None = None):
    """Enqueue :func:`send_digests_task` (once; it re-enqueues itself) to run
    after ``delay`` (default ``DJANGO_VOX_DIGEST_INTERVAL`` seconds).  Returns
    the task result, or None when the task backend cannot defer a task, where a
    self-rescheduling task would run in a loop."""
    if not task_backends[_backend_alias()].supports_defer:
        logger.warning("Task backend %r cannot defer tasks: digests need cron "
                       "(manage.py vox_send_digests) instead.", _backend_alias())
        return None
    if delay is None:
        delay = timedelta(seconds=conf.positive_int("DJANGO_VOX_DIGEST_INTERVAL"))
    return _enqueue(send_digests_task, True, run_after=timezone.now() + delay)


# -- enqueuing -------------------------------------------------------------------
def _backend_alias():
    return conf.get("DJANGO_VOX_TASK_BACKEND")


def _enqueue(task_obj, *args, run_after: datetime | None = None):
    alias = _backend_alias()
    chosen = task_obj.using(backend=alias)
    if run_after is not None and task_backends[alias].supports_defer:
        chosen = chosen.using(run_after=run_after)
    return chosen.enqueue(*args)


def _enqueue_chunk(chunk_id: int) -> None:
    _enqueue(send_chunk, chunk_id)


def issue(notification, obj, *, actor=None, target=None):
    """An issue method for ``DJANGO_VOX_ISSUE_METHOD``: send in a task worker.

    Checks the actor and target (and, for a required notification, that
    something would be sent) now, then enqueues :func:`deliver` when the
    transaction commits, so the worker sees the committed objects.
    """
    issuing.validate_issue(notification, obj, actor, target)
    issuing.check_required(notification, obj, actor=actor, target=target)
    args = (notification.pk, model_ref(obj), model_ref(actor), model_ref(target),
            str(uuid4()))
    issuing.when_committed(lambda: _enqueue(deliver, *args))


def enqueue_retry(pending: dict, run_after: datetime | None = None) -> None:
    """Enqueue :func:`send_due` for ``{delivery id: attempts}`` at ``run_after``.

    Backends that cannot defer a task (``ImmediateBackend``) run it at once.
    """
    items = list(pending.items())
    for start in range(0, len(items), CHUNK):
        _enqueue(send_due, dict(items[start:start + CHUNK]), run_after=run_after)


# -- recovery and resending ---------------------------------------------------------
def recover_issues(*, older_than: timedelta = STALE_AFTER, now: datetime | None = None,
                   in_background: bool = True) -> dict:
    """Run again the background issues a killed worker left: planning that
    stopped (untouched for ``older_than``) and chunks left running or never
    taken.  Returns ``{"issues": n, "chunks": m}`` (enqueued, or run here with
    ``in_background=False``).  Never sends to a contact already logged.
    """
    cutoff = (now or timezone.now()) - older_than
    chunk_ids = chunks.stale_chunks(cutoff)
    plans = chunks.stale_plans(cutoff)
    for record in plans:
        args = (record.notification_id, record.object_ref, record.actor_ref, record.target_ref,
                str(record.pk))
        if in_background:
            _enqueue(deliver, *args)
        else:
            deliver.call(*args)
    for chunk_id in chunk_ids:
        if in_background:
            _enqueue_chunk(chunk_id)
        else:
            chunks.run_chunk(chunk_id, enqueue_retry)
    chunks.unfinished_issues(cutoff)
    return {"issues": len(plans), "chunks": len(chunk_ids)}


def recover(*, older_than: timedelta = STALE_AFTER, now: datetime | None = None,
            in_background: bool = True, issues: bool = False) -> int:
    """Send again what was abandoned: queued deliveries untouched for ``older_than``
    (their worker was killed) and retries whose task never ran; with ``issues``,
    first :func:`recover_issues` (``manage.py vox_recover`` does both).

    Returns how many deliveries were enqueued (or, with ``in_background=False``,
    sent here).  Each is claimed before sending, so running this while workers
    run, or twice, never sends one twice.
    """
    if issues:
        recover_issues(older_than=older_than, now=now, in_background=in_background)
    cutoff = (now or timezone.now()) - older_than
    stale = Delivery.objects.filter(status=Delivery.QUEUED).filter(
        Q(next_attempt_at__isnull=True, updated_at__lt=cutoff)
        | Q(next_attempt_at__lt=cutoff)).order_by("created_at")
    if not in_background:
        results = {}
        rows = list(stale)
        for start in range(0, len(rows), CHUNK):
            results.update(issuing.send_deliveries(
                rows[start:start + CHUNK], raise_errors=False, schedule_retry=enqueue_retry,
                stale_before=cutoff))
        return sum(1 for ok in results.values() if ok)
    count = 0
    for row in stale.iterator():
        if deliverylog.claim([row], stale_before=cutoff):
            # Claimed rows wait as retries due now; send_due takes them once.
            deliverylog.queue_now(row)
            enqueue_retry({str(row.pk): row.attempts})
            count += 1
    return count


def queue_resend(deliveries) -> dict:
    """Resend deliveries through the workers: each one claimed here waits as a
    retry due now, and :func:`send_due` tasks send them once the transaction
    commits.  Returns ``{"queued": n, "skipped": m}`` (sent, or being sent)."""
    rows = list(deliveries)
    pending = {}
    for row in deliverylog.claim(rows):
        deliverylog.queue_now(row)
        pending[str(row.pk)] = row.attempts
    if pending:
        transaction.on_commit(lambda: enqueue_retry(pending))
    return {"queued": len(pending), "skipped": len(rows) - len(pending)}


def resend(deliveries, *, in_background: bool = False):
    """:func:`queue_resend` with ``in_background``, else
    :func:`django_vox.issuing.resending.resend` (kept here for discoverability)."""
    if in_background:
        return queue_resend(deliveries)
    return resending.resend(deliveries)
