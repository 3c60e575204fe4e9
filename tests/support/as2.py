"""A small, independent checker of Activity Streams 2.0 JSON-LD documents,
written from the W3C specs rather than from django-vox's output:

* AS2 Core (https://www.w3.org/TR/activitystreams-core/): the
  ``@context`` must be (or include) ``https://www.w3.org/ns/activitystreams``;
  ``id`` is an absolute IRI; date-times follow RFC 3339 ``date-time`` (with a
  time offset); ``type`` names vocabulary types or absolute IRIs.
* AS2 Vocabulary (https://www.w3.org/TR/activitystreams-vocabulary/): the
  terms below are the properties and types it defines (plus the ActivityPub
  terms the normative context also maps).  A JSON-LD processor silently drops
  a key that the context does not map, so any other key is an error here.
* The shapes this project promises: an activity has ``type``, ``id``,
  ``actor``, ``object`` (transitive activities) and ``published``.
"""

import json
import math
import re

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"

ACTIVITY_TYPES = {
    "Activity", "IntransitiveActivity", "Accept", "Add", "Announce", "Arrive", "Block",
    "Create", "Delete", "Dislike", "Flag", "Follow", "Ignore", "Invite", "Join", "Leave",
    "Like", "Listen", "Move", "Offer", "Question", "Reject", "Read", "Remove",
    "TentativeReject", "TentativeAccept", "Travel", "Undo", "Update", "View",
}
INTRANSITIVE_TYPES = {"IntransitiveActivity", "Arrive", "Travel", "Question"}
ACTOR_TYPES = {"Application", "Group", "Organization", "Person", "Service"}
OBJECT_TYPES = {
    "Object", "Link", "Mention", "Collection", "OrderedCollection", "CollectionPage",
    "OrderedCollectionPage", "Article", "Audio", "Document", "Event", "Image", "Note", "Page",
    "Place", "Profile", "Relationship", "Tombstone", "Video",
}
ALL_TYPES = ACTIVITY_TYPES | ACTOR_TYPES | OBJECT_TYPES

#: Properties whose values are objects, links or IRIs.
OBJECT_PROPERTIES = {
    "actor", "attachment", "attributedTo", "audience", "bcc", "bto", "cc", "context",
    "current", "first", "generator", "icon", "image", "inReplyTo", "instrument", "last",
    "location", "items", "orderedItems", "oneOf", "anyOf", "origin", "next", "object", "prev",
    "preview", "result", "replies", "tag", "target", "to", "url", "partOf", "subject",
    "relationship", "describes", "inbox", "outbox", "following", "followers", "liked",
    "likes", "shares", "streams", "endpoints",
}
STRING_PROPERTIES = {"name", "summary", "content", "mediaType", "hreflang", "rel",
                     "preferredUsername", "duration", "units", "formerType"}
MAP_PROPERTIES = {"nameMap", "summaryMap", "contentMap"}
DATETIME_PROPERTIES = {"published", "updated", "startTime", "endTime", "deleted"}
NUMBER_PROPERTIES = {"accuracy", "altitude", "latitude", "longitude", "radius"}
INTEGER_PROPERTIES = {"totalItems", "startIndex", "height", "width"}
OTHER_PROPERTIES = {"href", "closed", "sensitive"}
TERMS = (OBJECT_PROPERTIES | STRING_PROPERTIES | MAP_PROPERTIES | DATETIME_PROPERTIES
         | NUMBER_PROPERTIES | INTEGER_PROPERTIES | OTHER_PROPERTIES | {"id", "type"})

# RFC 3987 absolute IRI, roughly: a scheme, a colon, no white space.
_ABSOLUTE_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+$")
# RFC 3339 date-time (time-offset required).
_DATETIME = re.compile(
    r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)"
    r"(\.\d+)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$")


class AS2Error(AssertionError):
    pass


def _fail(path, message):
    raise AS2Error(f"{path or '$'}: {message}")


def is_absolute_iri(value):
    return isinstance(value, str) and bool(_ABSOLUTE_IRI.match(value))


def _check_type(value, path):
    types = value if isinstance(value, list) else [value]
    if not types:
        _fail(path, "type is empty")
    for item in types:
        if not isinstance(item, str) or not (item in ALL_TYPES or is_absolute_iri(item)):
            _fail(path, f"{item!r} is not an Activity Streams type or an absolute IRI")
    return types


def _check_reference(value, path):
    """An object-valued property: IRI, node (checked), or a list of those."""
    for index, item in enumerate(value if isinstance(value, list) else [value]):
        where = f"{path}[{index}]" if isinstance(value, list) else path
        if isinstance(item, str):
            if not is_absolute_iri(item):
                _fail(where, f"{item!r} is not an absolute IRI")
        elif isinstance(item, dict):
            check_node(item, where)
        else:
            _fail(where, f"expected an IRI or an object, got {type(item).__name__}")


def _is_non_negative_integer(value):
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _is_language_map(value):
    return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())


def _is_datetime(value):
    return isinstance(value, str) and bool(_DATETIME.match(value))


def _is_string(value):
    return isinstance(value, str)


# (properties, test of a value, message when it fails; {value!r} is filled in)
_VALUE_RULES = [
    (STRING_PROPERTIES, _is_string, "must be a string"),
    (MAP_PROPERTIES, _is_language_map, "must map language tags to strings"),
    (DATETIME_PROPERTIES, _is_datetime, "{value!r} is not an RFC 3339 date-time with a time offset"),
    (INTEGER_PROPERTIES, _is_non_negative_integer, "must be a non-negative integer"),
    (NUMBER_PROPERTIES, _is_number, "must be a number"),
]


def _check_key(key, where):
    if key.startswith("@"):
        _fail(where, "JSON-LD keywords are written through their AS2 aliases (id, type)")
    if key not in TERMS:
        _fail(where, "not a term of the Activity Streams context (a JSON-LD processor drops it)")


def _check_value(key, value, where):
    if value is None:
        _fail(where, "null values are not allowed")
    if key == "id":
        if not is_absolute_iri(value):
            _fail(where, f"{value!r} is not an absolute IRI")
        return
    if key == "type":
        _check_type(value, where)
        return
    if key in OBJECT_PROPERTIES:
        _check_reference(value, where)
        return
    for properties, test, message in _VALUE_RULES:
        if key in properties:
            if not test(value):
                _fail(where, message.format(value=value))
            return


def check_node(node, path=""):
    """Check every key and value of an AS2 object (recursively)."""
    if not isinstance(node, dict):
        _fail(path, "an object must be a JSON object")
    for key, value in node.items():
        where = f"{path}.{key}"
        if key == "@context":
            if path:
                _fail(where, "a nested @context is not expected")
            continue
        _check_key(key, where)
        _check_value(key, value, where)
    if "type" not in node:
        _fail(path, "every object here carries a type")


def check_document(document):
    """A top-level JSON-LD document: plain JSON with the AS2 context."""
    try:
        document = json.loads(json.dumps(document, allow_nan=False))
    except (TypeError, ValueError) as err:
        raise AS2Error(f"not plain JSON: {err}") from err
    if not isinstance(document, dict):
        _fail("", "a document must be a JSON object")
    context = document.get("@context")
    contexts = context if isinstance(context, list) else [context]
    if AS_CONTEXT not in contexts:
        _fail(".@context", f"must be (or include) {AS_CONTEXT!r}, got {context!r}")
    check_node(document)
    return document


def check_activity(node, path="", *, top=True):
    """An activity: type, id, actor, object (transitive), published."""
    if top:
        check_document(node)
    else:
        check_node(node, path)
    types = _check_type(node.get("type"), f"{path}.type")
    if not any(t in ACTIVITY_TYPES or is_absolute_iri(t) for t in types):
        _fail(f"{path}.type", f"{types!r} is not an Activity type")
    required = ["id", "actor", "published"]
    if not any(t in INTRANSITIVE_TYPES for t in types):
        required.append("object")
    for key in required:
        if key not in node:
            _fail(path, f"an activity needs {key!r}")
    return node


def check_ordered_collection(document):
    """An OrderedCollection of activities (an inbox)."""
    check_document(document)
    if document.get("type") != "OrderedCollection":
        _fail(".type", "must be OrderedCollection")
    if not is_absolute_iri(document.get("id")):
        _fail(".id", "a collection served over HTTP has an id")
    items = document.get("orderedItems")
    if not isinstance(items, list):
        _fail(".orderedItems", "must be a list")
    if document.get("totalItems", len(items)) < len(items):
        _fail(".totalItems", "is smaller than the items shown")
    for index, item in enumerate(items):
        check_activity(item, f".orderedItems[{index}]", top=False)
    return document
