"""Retention: read in-app messages are deleted ``DJANGO_VOX_INAPP_RETENTION``
seconds after they were read (``manage.py vox_purge`` runs it).  Unread
messages are never deleted, whatever their age."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from django_vox import conf
from django_vox.inapp.models import InAppMessage

__all__ = ["expired", "purge"]


def expired(now: datetime | None = None):
    """The read messages past the retention (none when it is ``None``)."""
    retention = conf.get("DJANGO_VOX_INAPP_RETENTION")
    if retention is None:
        return InAppMessage.objects.none()
    conf.validate("DJANGO_VOX_INAPP_RETENTION")
    cutoff = (now or timezone.now()) - timedelta(seconds=int(retention))
    return InAppMessage.objects.filter(read_at__lt=cutoff)


def purge(now: datetime | None = None) -> int:
    """Delete the expired read messages; how many were deleted."""
    deleted, _per_model = expired(now).delete()
    return deleted
