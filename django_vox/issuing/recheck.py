"""Asking the contact policy again before a logged delivery is sent (resend,
retry, recovery, digests): the recipients who turned it off since, or whose
address is suppressed, are dropped, and their rows marked suppressed with the
reason.  One query per model of recipients, one statement per change.
"""

from collections.abc import Iterable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from django_vox import deliverylog
from django_vox.issuing import policy
from django_vox.models import Delivery, Notification, OneTimeNotification
from django_vox.registry import Contact

__all__ = ["recheck_preferences"]


def _recipient_objects(rows: Iterable[Any]) -> dict[tuple[int, str], Any]:
    """``{(content type id, pk): instance}`` of the rows' recipients (one query per model)."""
    wanted: dict[int, set[str]] = {}
    for row in rows:
        if row.recipient_type_id and row.recipient_id:
            wanted.setdefault(row.recipient_type_id, set()).add(row.recipient_id)
    found = {}
    for type_id, pks in wanted.items():
        model = ContentType.objects.get_for_id(type_id).model_class()
        if model is None:
            continue
        for pk, obj in model._default_manager.in_bulk(list(pks)).items():
            found[(type_id, str(pk))] = obj
    return found


def _split_group(notification: Notification, protocol: str, rows: Iterable[Any],
                 objs: dict[tuple[int, str], Any]) -> dict[Any, list[tuple[str, str]]]:
    """``{row: [(address, reason)]}`` of the addresses the contact policy now refuses."""
    contacts, owners = [], {}
    for row in rows:
        obj = objs.get((row.recipient_type_id, row.recipient_id))
        for address in row.to_addresses:
            contact = Contact("", protocol, address, obj)
            contacts.append(contact)
            owners[id(contact)] = row
    _allowed, suppressed = policy.contact_filter(notification, protocol).split(contacts)
    refused: dict[Any, list[tuple[str, str]]] = {}
    for contact, reason in suppressed:
        refused.setdefault(owners[id(contact)], []).append((contact.address, reason))
    return refused


def recheck_preferences(rows: list[Any]) -> list[Any]:
    """The claimed ``rows`` their recipients still want; the others are marked
    suppressed with the reason (through the installed contact policy).

    A message to several addresses (a bulk template) loses the addresses that
    opted out; it is suppressed when none is left.  A one-time message (no
    notification) is asked as one: only the suppression list can stop it.
    """
    groups: dict[tuple[int | None, str], list[Any]] = {}
    for row in rows:
        groups.setdefault((row.notification_id, row.protocol), []).append(row)
    if not groups:
        return rows
    notifications = Notification.objects.in_bulk({nid for nid, _protocol in groups
                                                  if nid is not None})
    notifications[None] = OneTimeNotification
    objs = _recipient_objects(rows)
    dropped, narrowed = [], []
    for (nid, protocol), group in groups.items():
        notification = notifications.get(nid)
        if notification is None:
            continue
        for row, refused in _split_group(notification, protocol, group, objs).items():
            gone = {address for address, _reason in refused}
            row.error = refused[0][1]
            row.to_addresses = [a for a in row.to_addresses if a not in gone]
            if row.to_addresses:
                narrowed.append(row)
            else:
                row.to_addresses = sorted(gone)
                row.status, row.next_attempt_at = Delivery.SUPPRESSED, None
                dropped.append(row)
    now = timezone.now()
    deliverylog.mark_failed(dropped, now, fields=("status", "error", "next_attempt_at"))
    deliverylog.mark_failed(narrowed, now, fields=("to_addresses", "error"))
    return [row for row in rows if row.status != Delivery.SUPPRESSED]
