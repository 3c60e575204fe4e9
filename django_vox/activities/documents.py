"""What things look like as Activity Streams 2.0 (AS2) JSON: registered
objects, the site as an actor, and stored activities."""

import datetime
import json
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from django_vox.activities.addresses import activity_iri, get_address, site_base
from django_vox.registry import default_activity_object, objects

__all__ = [
    "ACTIVITY_TYPES", "AS_CONTEXT", "AS_MEDIA_TYPE", "activity_document", "activity_iri",
    "default_activity_object", "format_datetime", "get_activity_object", "jsonable",
    "site_actor",
]

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
AS_MEDIA_TYPE = "application/activity+json"

#: The Activity types of the Activity Vocabulary (W3C AS2, section 3.2).
ACTIVITY_TYPES = frozenset({
    "Activity", "IntransitiveActivity", "Accept", "Add", "Announce", "Arrive", "Block",
    "Create", "Delete", "Dislike", "Flag", "Follow", "Ignore", "Invite", "Join", "Leave",
    "Like", "Listen", "Move", "Offer", "Question", "Reject", "Read", "Remove",
    "TentativeReject", "TentativeAccept", "Travel", "Undo", "Update", "View",
})

_UTC = ZoneInfo("UTC")

#: Properties of a stored activity that come from its columns, not its document.
_OWN_PROPERTIES = ("@context", "type", "id", "summary", "published")


def format_datetime(value: datetime.datetime) -> str:
    """An xsd:dateTime with a time zone, as AS2 wants for ``published``."""
    if timezone.is_naive(value):  # USE_TZ = False: local time of TIME_ZONE
        value = timezone.make_aware(value, timezone.get_default_timezone())
    value = value.astimezone(_UTC).replace(microsecond=0)
    return value.isoformat().replace("+00:00", "Z")


def jsonable(data):
    """``data`` as plain JSON types (dates and UUIDs become strings)."""
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def get_activity_object(instance) -> dict | None:
    """``instance`` as an AS2 object, through its registration (and ``__activity__``)."""
    if instance is None:
        return None
    document = objects[type(instance)].registration.get_activity_object(instance)
    if not isinstance(document, dict) and callable(getattr(document, "to_dict", None)):
        document = document.to_dict()  # an aspy object, as 4.x's docs had them returned
    if not isinstance(document, dict):
        raise TypeError(
            f"get_activity_object()/__activity__() for {type(instance).__name__} must "
            f"return a dict, not {type(document).__name__}.")
    document = dict(document)
    document.setdefault("type", "Object")
    if "id" not in document:
        iri = get_address(instance)
        if iri:
            document["id"] = iri
    return jsonable(document)


def site_actor() -> dict:
    """The actor of activities that have none: the site itself."""
    base = site_base()
    return {"type": "Application", "id": base, "name": urlsplit(base).netloc}


def activity_document(activity, *, context: bool = True) -> dict:
    """A stored :class:`~django_vox.models.Activity` as AS2 JSON-LD
    (``context=False`` when embedded in a collection)."""
    document = {"@context": AS_CONTEXT} if context else {}
    document["type"] = activity.type
    document["id"] = activity_iri(activity.key)
    if activity.summary:
        document["summary"] = activity.summary
    document.update((k, v) for k, v in (activity.document or {}).items()
                    if k not in _OWN_PROPERTIES)
    document["published"] = format_datetime(activity.published)
    return document
