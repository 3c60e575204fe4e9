"""Batched writes to the delivery log.

Each function issues ONE statement for a whole batch (``executemany``, or on
PostgreSQL one ``UPDATE ... WHERE id = ANY(...)``), so the number of queries
of an issue grows with its batches, never with its recipients.  Primary keys
are UUIDs made here, so no round trip is needed to learn them.

Each statement runs in one transaction (``_batch``): in autocommit mode an
``executemany`` would otherwise commit, and on SQLite sync to disk, once per row.

The issuing pipeline writes through a :class:`LogWriter`: it prepares the
columns an issue shares once and builds each row's parameters from plain
values, so no model instance is made per message.  Its :class:`LogRow`
objects carry the attributes the send loop and :func:`mark_sent` /
:func:`mark_failed` use; :meth:`LogRow.as_delivery` makes the
:class:`~django_vox.models.Delivery` a signal receiver gets.

Every change of a delivery's state lives here: :func:`claim` (taking rows for
sending), :func:`mark_sent`, :func:`record_failures` (failed, or queued for a
retry), :func:`queue_now` (waiting for a retry task now).
"""

import logging
import operator
import uuid
from collections.abc import Iterable
from datetime import datetime

from django.db import connections, router, transaction
from django.utils import timezone

from django_vox import retry as retry_policy
from django_vox.exceptions import SendError
from django_vox.models import Delivery

__all__ = ["LogRow", "LogWriter", "SentMarks", "as_delivery", "insert", "mark_sent", "mark_failed",
           "claim", "record_failures", "describe_error", "queue_now", "touch", "issue_started",
           "logged_addresses", "statuses", "link_digest"]

logger = logging.getLogger("django_vox")


def _model():
    return Delivery


def _connection(model):
    return connections[router.db_for_write(model)]


def _batch(connection, sql, params):
    if len(params) == 1:  # one statement is atomic by itself (a worker marks each row)
        with connection.cursor() as cursor:
            cursor.execute(sql, params[0])
        return
    with transaction.atomic(using=connection.alias, savepoint=False):
        with connection.cursor() as cursor:
            cursor.executemany(sql, params)


def _insert_sql(model, connection):
    qn = connection.ops.quote_name
    fields = model._meta.concrete_fields
    return "INSERT INTO {} ({}) VALUES ({})".format(
        qn(model._meta.db_table),
        ", ".join(qn(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )


def insert(rows):
    """Insert Delivery instances (not yet saved) in one statement."""
    if not rows:
        return rows
    model = _model()
    connection = _connection(model)
    fields = model._meta.concrete_fields
    for row in rows:
        for field in fields:
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                field.pre_save(row, add=True)
    params = [
        [f.get_db_prep_save(getattr(row, f.attname), connection) for f in fields]
        for row in rows
    ]
    _batch(connection, _insert_sql(model, connection), params)
    for row in rows:
        row._state.adding = False
        row._state.db = connection.alias
    return rows


class LogRow:
    """One delivery log row written by a :class:`LogWriter`.

    It has the attributes of a Delivery that sending and marking need (``pk``,
    ``to_addresses``, ``backend``, ``status``, ``attempts``, ``error`` ...)
    without the cost of a model instance.
    """

    __slots__ = ("pk", "to_addresses", "from_address", "message", "status", "attempts",
                 "error", "created_at", "updated_at", "sent_at", "next_attempt_at",
                 "recipient_type_id", "recipient_id", "contact_key", "digest_key", "digest_due",
                 "digest_data", "provider_message_id", "writer")

    def __init__(self, writer, to_addresses, from_address="", message=None, status=None,
                 error="", recipient=(None, ""), contact_key="", digest_key="", digest_due=None,
                 digest_data=None):
        self.writer = writer
        self.pk = uuid.uuid4()
        self.to_addresses = to_addresses
        self.from_address = from_address
        self.message = message if message is not None else {}
        self.status = status or writer.model.QUEUED
        self.attempts = 0
        self.error = error
        self.recipient_type_id, self.recipient_id = recipient
        self.contact_key, self.digest_key, self.digest_due = contact_key, digest_key, digest_due
        self.digest_data = digest_data if digest_data is not None else {}
        self.created_at = self.updated_at = self.sent_at = self.next_attempt_at = None
        self.provider_message_id = ""

    @property
    def id(self):
        return self.pk

    @property
    def backend(self):
        return self.writer.fields["backend"]

    def as_delivery(self):
        """The saved Delivery this row stands for (built, not queried)."""
        values = dict(self.writer.fields)
        values.update((name, getattr(self, name)) for name in LogRow.__slots__
                      if name not in ("pk", "writer"))
        delivery = self.writer.model(id=self.pk, **values)
        delivery._state.adding = False
        delivery._state.db = self.writer.connection.alias
        return delivery

    def __repr__(self):
        return f"<LogRow {self.pk} {self.backend} → {', '.join(self.to_addresses)} ({self.status})>"


def as_delivery(row):
    """``row`` as a Delivery instance (for signal receivers and callers)."""
    return row.as_delivery() if isinstance(row, LogRow) else row


class LogWriter:
    """Writes the log rows of one issue's template, one statement per batch.

    ``fields`` are the Delivery fields every row shares (issue_id,
    notification, template, object_type, object_id, backend, protocol); they
    are converted for the database once, here.
    """

    #: Columns that vary per row, written from the LogRow attribute of that name.
    ROW_ATTRIBUTES = ("id", "to_addresses", "from_address", "message", "status", "attempts",
                      "error", "created_at", "updated_at", "sent_at", "next_attempt_at",
                      "recipient_type_id", "recipient_id", "contact_key", "digest_key",
                      "digest_due", "digest_data")

    def __init__(self, **fields):
        self.model = model = _model()
        self.fields = fields
        self.connection = connection = _connection(model)
        self.sql = _insert_sql(model, connection)
        self._columns = []
        for field in model._meta.concrete_fields:
            if field.attname in self.ROW_ATTRIBUTES:
                self._columns.append((field, field.attname))
                continue
            value = fields.get(field.name, fields.get(field.attname))
            if field.is_relation and value is not None and hasattr(value, "pk"):
                value = value.pk
            if value is None and field.has_default():
                value = field.get_default()
            self._columns.append((None, field.get_db_prep_save(value, connection)))

    def row(self, to_addresses, **values):
        """A new row (not yet written) to ``to_addresses``."""
        return LogRow(self, list(to_addresses), **values)

    def write(self, rows):
        """Insert ``rows`` (LogRows of this writer) in one statement; returns them."""
        if not rows:
            return rows
        now = timezone.now()
        for row in rows:
            row.created_at = row.updated_at = now
        getters = self._getters(self.model._meta.get_field("created_at").get_db_prep_save(
            now, self.connection))
        _batch(self.connection, self.sql, [[get(row) for get in getters] for row in rows])
        return rows

    def _getters(self, prepared_now):
        """One function per column: LogRow → the value to pass to the database."""
        connection = self.connection
        getters = []
        for field, value in self._columns:
            if field is None:  # shared by every row, prepared in __init__
                getters.append(lambda row, value=value: value)
            elif value in ("created_at", "updated_at"):
                getters.append(lambda row: prepared_now)
            elif value in ("from_address", "status", "attempts", "error", "recipient_type_id",
                           "recipient_id", "contact_key", "digest_key"):  # str / int / None already
                getters.append(operator.attrgetter(value))
            else:  # the UUID, the JSON fields and the optional datetimes need converting
                getters.append(lambda row, field=field: field.get_db_prep_save(
                    getattr(row, field.attname), connection))
        return getters


def _sent_statement(connection, rows, now, *, as_array: bool):
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


def _sent(rows, now):
    for row in rows:
        row.status, row.sent_at, row.updated_at, row.error = Delivery.SENT, now, now, ""
        row.attempts = (row.attempts or 0) + 1


def mark_sent(rows, now):
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


def _can_pipeline(connection) -> bool:
    """Whether sent marks may go ahead on a connection of their own: PostgreSQL
    through psycopg 3, and the log's connection in autocommit mode outside any
    transaction (a task worker; inside a transaction a second connection would
    not see the rows, nor should a mark outlive a rollback)."""
    if connection.vendor != "postgresql" or connection.Database.__name__ != "psycopg":
        return False
    return connection.get_autocommit() and not connection.in_atomic_block


class SentMarks:
    """Marks the rows a task worker sends, without making the next message wait.

    :meth:`mark_sent` hands the ``UPDATE`` to the database server on a
    connection of its own (autocommit) and returns once the statement has
    been written to the socket, without waiting for its answer; the answer
    is read before the next mark is sent, and by :meth:`wait`, which raises
    when the mark failed.  The server runs and commits a statement it has
    received even if the worker is killed before reading the answer, so a
    killed worker still leaves at most the one message it was sending when
    it died unmarked; the next message no longer waits for the commit of the
    one before.  Elsewhere (SQLite, another database, or inside a
    transaction) each mark is :func:`mark_sent`, waited for.
    """

    def __init__(self):
        connection = _connection(_model())
        self._connection = connection
        self._raw = None
        self._pending = False
        if _can_pipeline(connection):
            try:
                # Straight from the driver: never a connection of Django's pool
                # (closed, not returned, below), nor a change to Django's wrapper.
                raw = connection.Database.connect(**connection.get_connection_params())
            except Exception as err:  # noqa: BLE001 - e.g. max_connections: mark as before
                logger.warning("A second database connection for marking deliveries sent "
                               "could not be opened (%s); each mark is waited for.", err)
                return
            raw.autocommit = True
            raw.pgconn.nonblocking = 0  # send_query() returns once the statement is written
            self._raw = raw
            self._cursor = connection.Database.ClientCursor(raw)  # writes the literal statement

    @property
    def pipelined(self) -> bool:
        return self._raw is not None

    def mark_sent(self, rows, now) -> None:
        if not rows:
            return
        if self._raw is None:
            mark_sent(rows, now)
            return
        self.wait()
        sql, params = _sent_statement(self._connection, rows, now, as_array=True)
        self._raw.pgconn.send_query(self._cursor.mogrify(sql, params).encode())
        self._pending = True
        _sent(rows, now)

    def wait(self) -> None:
        """Read the answer to the last mark; a DatabaseError if it failed."""
        if not self._pending:
            return
        from django.db import DatabaseError
        from psycopg import pq

        self._pending = False
        error = None
        while (result := self._raw.pgconn.get_result()) is not None:
            if result.status != pq.ExecStatus.COMMAND_OK and error is None:
                error = (result.error_message or b"").decode(errors="replace").strip()
        if error:
            raise DatabaseError(f"Marking deliveries sent failed: {error}")

    def close(self) -> None:
        try:
            self.wait()
        finally:
            if self._raw is not None:
                self._raw.close()
                self._raw = None


def mark_failed(rows, now, fields=("status", "error", "attempts", "next_attempt_at")):
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


def record_failures(failed, now: datetime, *, retry: bool = False) -> list:
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


def _claim_match(row, status, next_attempt_at, updated_at, stale_before):
    """The conditional UPDATE's queryset for taking ``row``, or None when it cannot be taken."""
    match = Delivery.objects.filter(pk=row.pk, status=status, attempts=row.attempts)
    if status == Delivery.FAILED:
        return match.filter(next_attempt_at__isnull=True)
    if status == Delivery.QUEUED and next_attempt_at is not None:
        return match.filter(next_attempt_at__isnull=False)
    if status == Delivery.QUEUED and stale_before is not None and updated_at < stale_before:
        return match.filter(next_attempt_at__isnull=True, updated_at=updated_at)
    return None  # sent, suppressed, or being sent by someone else


def claim(rows: Iterable, *, stale_before: datetime | None = None) -> list:
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


def touch(rows, now: datetime) -> int:
    """Renew ``updated_at`` of rows still queued for sending (one statement),
    so that recovery does not take rows a live process is waiting to send
    (for a rate limit) for abandoned ones."""
    if not rows:
        return 0
    return Delivery.objects.filter(pk__in=[row.pk for row in rows], status=Delivery.QUEUED,
                                   next_attempt_at__isnull=True).update(updated_at=now)


def queue_now(row) -> None:
    """Let a claimed row wait as a retry due now, so one retry task takes it."""
    Delivery.objects.filter(pk=row.pk, status=Delivery.QUEUED,
                            next_attempt_at__isnull=True).update(next_attempt_at=timezone.now())


def issue_started(issue_id) -> bool:
    """Whether the issue ``issue_id`` has logged anything yet."""
    return Delivery.objects.filter(issue_id=issue_id).exists()


def logged_addresses(issue_id, template) -> set:
    """The addresses the issue ``issue_id`` already logged for ``template``."""
    return {address for row in Delivery.objects.filter(
        issue_id=issue_id, template=template).values_list("to_addresses", flat=True)
        for address in row}


def statuses(rows) -> dict:
    """``{pk: status}`` of ``rows`` as the database has them now."""
    return dict(Delivery.objects.filter(pk__in=[row.pk for row in rows])
                .values_list("pk", "status"))


def link_digest(pairs) -> None:
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
