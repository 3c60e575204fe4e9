"""Writing in-app messages: a batch of any size in a fixed number of queries.

The in-app backend's ``send_many`` hands its whole batch here: one query
finds which of the addressed users exist, one (when the messages name a
notification) that the notification still does, and one ``executemany``
INSERT writes every row.  Django's ``bulk_create`` would split the rows into
statements of at most 999 parameters on SQLite (about 60 rows each); the
``executemany`` is one round trip however many rows there are.

A row whose ``(user, key)`` is already stored is skipped (``INSERT ... ON
CONFLICT DO NOTHING`` / ``INSERT OR IGNORE``): the key comes from the message,
which the delivery log keeps, so resending a message stores nothing twice.

Imports nothing of django-vox but the model, so the backend layer can use it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connections, router, transaction
from django.db.models.constants import OnConflict
from django.utils import timezone

from django_vox.inapp.models import InAppMessage

__all__ = ["Row", "user_pk", "existing_users", "existing_notifications", "content_type_id",
           "insert"]

COLUMNS = ("user_id", "key", "notification_id", "title", "body", "link", "object_type_id",
           "object_id", "actor_type_id", "actor_id", "target_type_id", "target_id", "created_at")


@dataclass
class Row:
    """One message for one user, as plain values (no model instance per row)."""

    user_id: object
    key: object
    notification_id: int | None
    title: str
    body: str
    link: str
    object_type_id: int | None = None
    object_id: str = ""
    actor_type_id: int | None = None
    actor_id: str = ""
    target_type_id: int | None = None
    target_id: str = ""


def user_pk(address: str):
    """The user primary key an address names; ValueError when it cannot be one."""
    field = get_user_model()._meta.pk
    try:
        return field.to_python(str(address).strip())
    except ValidationError as err:
        raise ValueError(" ".join(err.messages)) from None


def existing_users(pks: Iterable) -> set:
    """The ones of ``pks`` that are users' primary keys (one query)."""
    pks = list(pks)
    if not pks:
        return set()
    User = get_user_model()
    return set(User._default_manager.filter(pk__in=pks).values_list("pk", flat=True))


def existing_notifications(ids: Iterable[int]) -> set:
    """The ones of ``ids`` that are still notification rows (one query, none for no ids)."""
    ids = {i for i in ids if i is not None}
    if not ids:
        return set()
    Notification = apps.get_model("django_vox", "Notification")
    return set(Notification.objects.filter(pk__in=ids).values_list("pk", flat=True))


def content_type_id(label: str | None) -> int | None:
    """The content type id of ``"app_label.model"`` (Django caches it per process)."""
    if not label:
        return None
    app_label, _dot, model = label.partition(".")
    try:
        return ContentType.objects.get_by_natural_key(app_label, model).pk
    except ContentType.DoesNotExist:
        return None


def insert(rows: list[Row]) -> None:
    """Insert ``rows`` in one statement (rows already stored are skipped)."""
    if not rows:
        return
    model = InAppMessage
    connection = connections[router.db_for_write(model)]
    meta = model._meta
    by_attname = {field.attname: field for field in meta.concrete_fields}
    fields = [by_attname[name] for name in COLUMNS]
    qn = connection.ops.quote_name
    sql = "{} {} ({}) VALUES ({}) {}".format(
        connection.ops.insert_statement(on_conflict=OnConflict.IGNORE),
        qn(meta.db_table), ", ".join(qn(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
        connection.ops.on_conflict_suffix_sql(fields, OnConflict.IGNORE, None, None) or "")
    now = timezone.now()
    prepared = [field.get_db_prep_save(now, connection) if name == "created_at" else None
                for name, field in zip(COLUMNS, fields)]
    params = []
    for row in rows:
        values = []
        for name, field, shared in zip(COLUMNS, fields, prepared):
            values.append(shared if shared is not None
                          else field.get_db_prep_save(getattr(row, name), connection))
        params.append(values)
    with transaction.atomic(using=connection.alias):
        with connection.cursor() as cursor:
            cursor.executemany(sql, params)
