"""Storing an activity and putting it in its recipients' inboxes: the whole of
a delivery on the activity backend."""

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from django_vox.models import Activity, InboxItem

__all__ = ["store_activity"]


def _iri_of(document):
    return document.get("id", "") if isinstance(document, dict) else ""


def store_activity(key, document: dict, published, owners) -> Activity:
    """Store the activity ``key`` once and give each owner an inbox item.

    ``owners`` is a list of ``(iri, (model, pk))``, as from
    :func:`~django_vox.activities.resolve_owners`.  Idempotent: an activity
    already stored under ``key`` is reused and an owner who has it already is
    skipped, so resending never stores anything twice.
    """
    with transaction.atomic():
        activity, _created = Activity.objects.get_or_create(key=key, defaults={
            "type": document["type"],
            "summary": document.get("summary", ""),
            "actor_iri": _iri_of(document.get("actor")),
            "object_iri": _iri_of(document.get("object")),
            "target_iri": _iri_of(document.get("target")),
            "document": document,
            "published": published,
        })
        now = timezone.now()
        InboxItem.objects.bulk_create([
            InboxItem(owner_type=ContentType.objects.get_for_model(model),
                      owner_id=str(pk), owner_iri=address, activity=activity,
                      created_at=now)
            for address, (model, pk) in owners
        ], ignore_conflicts=True)
    return activity
