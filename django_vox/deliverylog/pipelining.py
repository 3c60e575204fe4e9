"""A task worker's sent marks (:class:`SentMarks`): pipelined on PostgreSQL,
committed without a disk sync on SQLite in WAL mode."""

import contextlib
import logging
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from django_vox.deliverylog.states import _connection, _model, _sent, _sent_statement, mark_sent

__all__ = ["SentMarks", "worker_commits"]

logger = logging.getLogger("django_vox")


def _can_pipeline(connection: Any) -> bool:
    """Whether sent marks may go ahead on a connection of their own: PostgreSQL
    through psycopg 3, and the log's connection in autocommit mode outside any
    transaction (a task worker; inside a transaction a second connection would
    not see the rows, nor should a mark outlive a rollback)."""
    if connection.vendor != "postgresql" or connection.Database.__name__ != "psycopg":
        return False
    return connection.get_autocommit() and not connection.in_atomic_block


def _sqlite_wal_sync(connection: Any) -> int | None:
    """On SQLite in WAL mode, outside a transaction: the connection's
    ``synchronous`` level, lowered to NORMAL (1) while a worker marks; else None.

    In WAL mode a commit at NORMAL is written to the WAL file without waiting
    for the disk: it survives the worker being killed (the operating system
    holds the write), and only a crash of the machine itself can lose the
    last ones, never corrupt the database (SQLite's documentation).  In the
    rollback-journal modes NORMAL is not that safe, so they are left alone.
    """
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        return None
    if not connection.get_autocommit():
        return None
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        if str(cursor.fetchone()[0]).lower() != "wal":
            return None
        cursor.execute("PRAGMA synchronous")
        level = int(cursor.fetchone()[0])
        if level > 1:
            cursor.execute("PRAGMA synchronous = NORMAL")
    return level


def _restore_sync(connection: Any, level: int | None) -> None:
    if level is not None and level > 1 and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA synchronous = {int(level)}")


@contextlib.contextmanager
def worker_commits() -> Iterator[None]:
    """A task worker's commits while it runs a chunk: on SQLite in WAL mode
    at ``synchronous = NORMAL`` (see :func:`_sqlite_wal_sync`: they survive
    the worker being killed, without a disk sync each), the connection's
    own level restored afterwards; elsewhere nothing changes."""
    connection = _connection(_model())
    level = _sqlite_wal_sync(connection)
    try:
        yield
    finally:
        _restore_sync(connection, level)


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
    transaction) each mark is :func:`mark_sent`, waited for; on SQLite in
    WAL mode committed at ``synchronous = NORMAL`` (see :func:`_sqlite_wal_sync`),
    the connection's own level restored by :meth:`close`.
    """

    def __init__(self) -> None:
        connection: Any = _connection(_model())  # .Database: the driver, not in the stubs
        self._connection = connection
        self._raw: Any = None
        self._pending = False
        self._sqlite_sync = _sqlite_wal_sync(connection)
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

    def mark_sent(self, rows: Sequence[Any], now: datetime) -> None:
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
            level, self._sqlite_sync = self._sqlite_sync, None
            _restore_sync(self._connection, level)


