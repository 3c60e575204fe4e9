"""The delivery log: every row written, and every change of its state.

Lowest module first:

* :mod:`~django_vox.deliverylog.states`: the state changes (claim, marks,
  failures) and the log's questions, one statement per batch;
* :mod:`~django_vox.deliverylog.writer`: the batched writer of new rows
  (:class:`LogWriter`);
* :mod:`~django_vox.deliverylog.pipelining`: :class:`SentMarks`, a task
  worker's sent marks pipelined on PostgreSQL, and :func:`worker_commits`
  (a worker's commits without a disk sync each on SQLite in WAL mode).

The package may import the models, exceptions and
:mod:`django_vox.pacing.retry`; never the registry, issuing or anything above.
Every public name is importable from ``django_vox.deliverylog``.
"""

from django_vox.deliverylog.pipelining import SentMarks, worker_commits
from django_vox.deliverylog.states import (
    claim,
    describe_error,
    issue_started,
    link_digest,
    logged_addresses,
    mark_failed,
    mark_sent,
    queue_now,
    record_failures,
    statuses,
    touch,
)
from django_vox.deliverylog.writer import LogRow, LogWriter, as_delivery, insert

__all__ = ["LogRow", "LogWriter", "SentMarks", "as_delivery", "insert", "mark_sent", "mark_failed",
           "claim", "record_failures", "describe_error", "queue_now", "touch", "issue_started",
           "logged_addresses", "statuses", "link_digest", "worker_commits"]
