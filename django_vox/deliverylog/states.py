"""Every change of a delivery's state: :func:`claim` (taking rows for
sending), :func:`mark_sent`, :func:`mark_failed`, :func:`record_failures`
(failed, or queued for a retry), :func:`queue_now` (waiting for a retry task
now), and what the pipeline asks of the log (:func:`statuses`,
:func:`issue_started`, :func:`logged_addresses`).

Each function issues ONE statement for a whole batch (``executemany``, or on
PostgreSQL one ``UPDATE ... WHERE id = ANY(...)``), in one transaction
(:func:`_batch`): in autocommit mode an ``executemany`` would otherwise commit,
and on SQLite sync to disk, once per row.
"""

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.db import connections, router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import QuerySet
from django.utils import timezone

from django_vox.exceptions import SendError
from django_vox.models import Delivery
from django_vox.pacing import retry as retry_policy

logger = logging.getLogger("django_vox")

__all__ = ["claim", "describe_error", "issue_started", "link_digest", "logged_addresses",
           "mark_failed", "mark_sent", "queue_now", "record_failures", "statuses", "touch"]


def _model() -> Any:  # Delivery; its _meta is walked generically below
    return Delivery


def _connection(model: Any) -> BaseDatabaseWrapper:
    return connections[router.db_for_write(model)]


def _batch(connection: BaseDatabaseWrapper, sql: str, params: Sequence[Sequence[Any]]) -> None:
    if len(params) == 1:  # one statement is atomic by itself (a worker marks each row)
        with connection.cursor() as cursor:
            cursor.execute(sql, params[0])
        return
    with transaction.atomic(using=connection.alias, savepoint=False):
        with connection.cursor() as cursor:
            cursor.executemany(sql, params)


def _sent_statement(connection: BaseDatabaseWrapper, rows: Iterable[Any], now: datetime, *,
                    as_array: bool) -> tuple[str, list[Any]]:
    """``(sql, params)`` marking ``rows`` sent (attempts + 1) at ``now`` with
    their provider message ids: with ``as_array`` one statement for all keys
    (PostgreSQL's ``= ANY``, or ``unnest`` pairing keys and ids), else the
    statement and one parameter list per row (for ``executemany``)."""
    model = _model()
    qn = connection.ops.quote_name
    pk = model._meta.pk
    table = qn(model._meta.db_table)
    sent_at = model._meta.get_field("sent_at").get_db_prep_save(now, connection)
    head = (f"UPDATE {table} SET {qn('status')} = %s, {qn('sent_at')} = %s, "
            f"{qn('updated_at')} = %s, {qn('error')} = %s, {qn('attempts')} = {qn('attempts')} + 1, "
            f"{qn('provider_message_id')} = ")
    values = [model.SENT, sent_at, sent_at, ""]
    keys = [pk.get_db_prep_save(row.pk, connection) for row in rows]
    ids = [getattr(row, "provider_message_id", "") or "" for row in rows]
    if as_array and not any(ids):
        return head + f"'' WHERE {qn(pk.column)} = ANY(%s)", values + [keys]
    if as_array:
        return (head + f"sent.mid FROM unnest(%s::uuid[], %s::text[]) AS sent(pk, mid) "
                f"WHERE {table}.{qn(pk.column)} = sent.pk", values + [keys, ids])
    return head + f"%s WHERE {qn(pk.column)} = %s", [values + [mid, key]
                                                   for mid, key in zip(ids, keys)]


def _sent(rows: Iterable[Any], now: datetime) -> None:
    for row in rows:
        row.status, row.sent_at, row.updated_at, row.error = Delivery.SENT, now, now, ""
        row.attempts = (row.attempts or 0) + 1


def mark_sent(rows: Sequence[Any], now: datetime) -> None:
    """Mark rows sent (attempts + 1) in one statement."""
    if not rows:
        return
    connection = _connection(_model())
    if connection.vendor == "postgresql" and len(rows) > 1:
        # One statement with the keys as one array: the server finds the rows
        # once, instead of running an UPDATE per row (about 3 × faster).
        sql, params = _sent_statement(connection, rows, now, as_array=True)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
    else:  # in-process SQLite runs the executemany about as fast, with no parameter limit
        _batch(connection, *_sent_statement(connection, rows, now, as_array=False))
    _sent(rows, now)


def mark_failed(rows: Sequence[Any], now: datetime,
                fields: Iterable[str] = ("status", "error", "attempts", "next_attempt_at")) -> None:
    """Write the given fields of already-updated row objects in one statement."""
    if not rows:
        return
    model = _model()
    connection = _connection(model)
    qn = connection.ops.quote_name
    pk = model._meta.pk
    columns = [model._meta.get_field(name) for name in fields]
    updated_at = model._meta.get_field("updated_at").get_db_prep_save(now, connection)
    sql = "UPDATE {} SET {}, {} = %s WHERE {} = %s".format(
        qn(model._meta.db_table),
        ", ".join(f"{qn(f.column)} = %s" for f in columns),
        qn("updated_at"),
        qn(pk.column),
    )
    params = [[f.get_db_prep_save(getattr(row, f.attname), connection) for f in columns]
              + [updated_at, pk.get_db_prep_save(row.pk, connection)] for row in rows]
    _batch(connection, sql, params)
    for row in rows:
        row.updated_at = now


def describe_error(err: BaseException) -> str:
    """The text recorded on the log for ``err`` (send errors say it all themselves)."""
    text = str(err) or repr(err)
    return text if isinstance(err, SendError) else f"{type(err).__name__}: {text}"


def record_failures(failed: Sequence[tuple[Any, BaseException]], now: datetime, *,
                    retry: bool = False) -> list[Any]:
    """Record failed deliveries with their errors (one statement for the batch).

    ``failed`` holds ``(row, error)`` pairs.  With ``retry`` (deliveries sent
    by a task worker), a transient failure with attempts left stays queued with
    ``next_attempt_at`` set (:func:`django_vox.retry.retry_delay`: the backoff,
    or the provider's Retry-After when longer); anything else is marked failed.
    Returns the rows left waiting for a retry.
    """
    retrying = []
    for row, err in failed:
        row.error = describe_error(err)
        row.attempts = (row.attempts or 0) + 1
        row.updated_at = now
        if retry and retry_policy.should_retry(err, row.attempts):
            row.status = Delivery.QUEUED
            row.next_attempt_at = now + retry_policy.retry_delay(err, row.attempts)
            retrying.append(row)
            logger.info("Delivery %s via %s to %s failed (attempt %d), retrying at %s: %s",
                        row.pk, row.backend, ", ".join(row.to_addresses), row.attempts,
                        row.next_attempt_at.isoformat(), row.error)
            continue
        row.status = Delivery.FAILED
        row.next_attempt_at = None
        logger.warning("Delivery %s via %s to %s failed: %s", row.pk, row.backend,
                       ", ".join(row.to_addresses), row.error)
    mark_failed([row for row, _err in failed], now)
    return retrying


def _claim_match(row: Any, status: Any, next_attempt_at: Any, updated_at: Any,
                 stale_before: datetime | None) -> "QuerySet[Delivery] | None":
    """The conditional UPDATE's queryset for taking ``row``, or None when it cannot be taken."""
    match = Delivery.objects.filter(pk=row.pk, status=status, attempts=row.attempts)
    if status == Delivery.FAILED:
        return match.filter(next_attempt_at__isnull=True)
    if status == Delivery.QUEUED and next_attempt_at is not None:
        return match.filter(next_attempt_at__isnull=False)
    if status == Delivery.QUEUED and stale_before is not None and updated_at < stale_before:
        return match.filter(next_attempt_at__isnull=True, updated_at=updated_at)
    return None  # sent, suppressed, or being sent by someone else


def claim(rows: Iterable[Any], *, stale_before: datetime | None = None) -> list[Any]:
    """Take ``rows`` for sending; return those this process may send.

    A row is taken with one conditional UPDATE that only one process can win,
    so two workers (or a worker and an admin) never both send it.  Failed rows
    and queued rows waiting for a retry (``next_attempt_at`` set) can be
    taken; a queued row without one is being sent right now and is left alone
    unless it was last touched before ``stale_before`` (its worker died).
    """
    rows = list(rows)
    current = {pk: values for pk, *values in Delivery.objects.filter(
        pk__in=[row.pk for row in rows]).values_list(
        "pk", "status", "attempts", "next_attempt_at", "updated_at")}
    taken = []
    for row in rows:
        if row.pk not in current:
            continue
        status, attempts, next_attempt_at, updated_at = current[row.pk]
        row.status, row.attempts, row.next_attempt_at = status, attempts, next_attempt_at
        match = _claim_match(row, status, next_attempt_at, updated_at, stale_before)
        if match is None:
            continue
        now = timezone.now()
        if match.update(status=Delivery.QUEUED, next_attempt_at=None, updated_at=now):
            row.status, row.next_attempt_at, row.updated_at = Delivery.QUEUED, None, now
            taken.append(row)
    return taken


def touch(rows: Sequence[Any], now: datetime) -> int:
    """Renew ``updated_at`` of rows still queued for sending (one statement),
    so that recovery does not take rows a live process is waiting to send
    (for a rate limit) for abandoned ones."""
    if not rows:
        return 0
    return Delivery.objects.filter(pk__in=[row.pk for row in rows], status=Delivery.QUEUED,
                                   next_attempt_at__isnull=True).update(updated_at=now)


def queue_now(row: Any) -> None:
    """Let a claimed row wait as a retry due now, so one retry task takes it."""
    Delivery.objects.filter(pk=row.pk, status=Delivery.QUEUED,
                            next_attempt_at__isnull=True).update(next_attempt_at=timezone.now())


def issue_started(issue_id: Any) -> bool:
    """Whether the issue ``issue_id`` has logged anything yet."""
    return Delivery.objects.filter(issue_id=issue_id).exists()


def logged_addresses(issue_id: Any, template: Any) -> set[str]:
    """The addresses the issue ``issue_id`` already logged for ``template``."""
    return {address for row in Delivery.objects.filter(
        issue_id=issue_id, template=template).values_list("to_addresses", flat=True)
        for address in row}


def statuses(rows: Iterable[Any]) -> dict[Any, str]:
    """``{pk: status}`` of ``rows`` as the database has them now."""
    return dict(Delivery.objects.filter(pk__in=[row.pk for row in rows])
                .values_list("pk", "status"))


def link_digest(pairs: Iterable[tuple[Any, Any]]) -> None:
    """``[(digest pk, item pk)]``: record the digest each held item was sent in
    (one statement)."""
    model = _model()
    connection = _connection(model)
    qn = connection.ops.quote_name
    pk = model._meta.pk
    sql = (f"UPDATE {qn(model._meta.db_table)} SET {qn('digest_id')} = %s "
           f"WHERE {qn(pk.column)} = %s")
    _batch(connection, sql, [[pk.get_db_prep_save(digest, connection),
                              pk.get_db_prep_save(item, connection)] for digest, item in pairs])
