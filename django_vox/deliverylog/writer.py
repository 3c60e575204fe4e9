"""The batched writer of the delivery log.

The issuing pipeline writes through a :class:`LogWriter`: it prepares the
columns an issue shares once and builds each row's parameters from plain
values, so no model instance is made per message, and :func:`insert` writes a
batch in one statement.  Primary keys are UUIDs made here, so no round trip is
needed to learn them.  Its :class:`LogRow` objects carry the attributes the
send loop and :func:`~django_vox.deliverylog.states.mark_sent` /
:func:`~django_vox.deliverylog.states.mark_failed` use;
:meth:`LogRow.as_delivery` makes the :class:`~django_vox.models.Delivery` a
signal receiver gets.
"""

import operator
import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field
from django.utils import timezone

from django_vox.deliverylog.states import _batch, _connection, _model

__all__ = ["LogRow", "LogWriter", "as_delivery", "insert"]

_Rows = TypeVar("_Rows", bound=Sequence[Any])



def _insert_sql(model: Any, connection: BaseDatabaseWrapper) -> str:
    qn = connection.ops.quote_name
    fields = model._meta.concrete_fields
    return "INSERT INTO {} ({}) VALUES ({})".format(
        qn(model._meta.db_table),
        ", ".join(qn(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )


def insert(rows: _Rows) -> _Rows:
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

    created_at: datetime | None
    updated_at: datetime | None
    sent_at: datetime | None
    next_attempt_at: datetime | None

    def __init__(self, writer: "LogWriter", to_addresses: list[str], from_address: str = "",
                 message: dict[str, Any] | None = None, status: str | None = None,
                 error: str = "", recipient: tuple[Any, Any] = (None, ""), contact_key: str = "",
                 digest_key: str = "", digest_due: datetime | None = None,
                 digest_data: dict[str, Any] | None = None) -> None:
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
        self.provider_message_id = ""
        self.created_at = self.updated_at = self.sent_at = self.next_attempt_at = None

    @property
    def id(self) -> uuid.UUID:
        return self.pk

    @property
    def backend(self) -> Any:
        return self.writer.fields["backend"]

    def as_delivery(self) -> Any:
        """The saved Delivery this row stands for (built, not queried)."""
        values = dict(self.writer.fields)
        values.update((name, getattr(self, name)) for name in LogRow.__slots__
                      if name not in ("pk", "writer"))
        delivery = self.writer.model(id=self.pk, **values)
        delivery._state.adding = False
        delivery._state.db = self.writer.connection.alias
        return delivery

    def __repr__(self) -> str:
        return f"<LogRow {self.pk} {self.backend} → {', '.join(self.to_addresses)} ({self.status})>"


def as_delivery(row: Any) -> Any:
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

    def __init__(self, **fields: Any) -> None:
        self.model = model = _model()
        self.fields = fields
        self.connection = connection = _connection(model)
        self.sql = _insert_sql(model, connection)
        self._columns: list[tuple[Field[Any, Any] | None, Any]] = []
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

    def row(self, to_addresses: Iterable[str], **values: Any) -> LogRow:
        """A new row (not yet written) to ``to_addresses``."""
        return LogRow(self, list(to_addresses), **values)

    def write(self, rows: list[LogRow]) -> list[LogRow]:
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

    def _getters(self, prepared_now: Any) -> list[Callable[..., Any]]:
        """One function per column: LogRow → the value to pass to the database."""
        connection = self.connection
        getters: list[Callable[..., Any]] = []
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


