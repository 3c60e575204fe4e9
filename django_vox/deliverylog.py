"""Batched writes to the delivery log.

Each function issues ONE statement for a whole batch (``executemany``), so the
number of queries of an issue does not grow with its recipients, whatever the
database's limit on parameters per statement.  Primary keys are UUIDs made
here, so no round trip is needed to learn them.

Each statement runs in one transaction (``_batch``): in autocommit mode an
``executemany`` would otherwise commit, and on SQLite sync to disk, once per row.
"""

from django.db import connections, router, transaction

__all__ = ["insert", "mark_sent", "mark_failed"]


def _model():
    from django_vox.models import Delivery

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


def insert(rows):
    """Insert Delivery instances (not yet saved) in one statement."""
    if not rows:
        return rows
    model = _model()
    connection = _connection(model)
    fields = [f for f in model._meta.concrete_fields]
    for row in rows:
        for field in fields:
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                field.pre_save(row, add=True)
    qn = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        qn(model._meta.db_table),
        ", ".join(qn(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    params = [
        [f.get_db_prep_save(getattr(row, f.attname), connection) for f in fields]
        for row in rows
    ]
    _batch(connection, sql, params)
    for row in rows:
        row._state.adding = False
        row._state.db = connection.alias
    return rows


def mark_sent(rows, now):
    """Mark rows sent (attempts + 1) in one statement."""
    if not rows:
        return
    model = _model()
    connection = _connection(model)
    qn = connection.ops.quote_name
    pk = model._meta.pk
    sent_at = model._meta.get_field("sent_at").get_db_prep_save(now, connection)
    sql = (f"UPDATE {qn(model._meta.db_table)} SET {qn('status')} = %s, {qn('sent_at')} = %s, "
           f"{qn('updated_at')} = %s, {qn('error')} = %s, {qn('attempts')} = {qn('attempts')} + 1 "
           f"WHERE {qn(pk.column)} = %s")
    params = [[model.SENT, sent_at, sent_at, "", pk.get_db_prep_save(row.pk, connection)]
              for row in rows]
    _batch(connection, sql, params)
    for row in rows:
        row.status, row.sent_at, row.updated_at, row.error = model.SENT, now, now, ""
        row.attempts = (row.attempts or 0) + 1


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
