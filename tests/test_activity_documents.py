"""The AS2 checker itself: it must reject what the specs reject, or the
document tests elsewhere prove nothing."""

import copy

import pytest

from tests.support import as2

GOOD = {
    "@context": "https://www.w3.org/ns/activitystreams",
    "type": "Create",
    "id": "https://example.org/vox/activities/0f8fad5b-d9cb-469f-a165-70867728950e/",
    "summary": "Ann wrote a note",
    "actor": {"type": "Person", "id": "https://example.org/users/ann/", "name": "ann"},
    "object": {"type": "Note", "content": "Hello"},
    "target": "https://example.org/articles/1/",
    "published": "2026-11-28T13:00:00Z",
}


def changed(**changes):
    document = copy.deepcopy(GOOD)
    for key, value in changes.items():
        if value is ...:
            del document[key]
        else:
            document[key] = value
    return document


def test_a_good_activity_passes():
    as2.check_activity(GOOD)
    as2.check_activity(changed(**{"@context": [as2.AS_CONTEXT, {"ext": "https://ext.example/"}]}))
    as2.check_activity(changed(type="Arrive", object=...))  # intransitive


@pytest.mark.parametrize("changes, message", [
    ({"@context": ...}, "@context"),
    ({"@context": "https://schema.org/"}, "@context"),
    ({"type": "Shout"}, "not an Activity Streams type"),
    ({"type": "Note"}, "not an Activity type"),
    ({"id": ...}, "needs 'id'"),
    ({"id": "/vox/activities/1/"}, "not an absolute IRI"),
    ({"actor": ...}, "needs 'actor'"),
    ({"object": ...}, "needs 'object'"),
    ({"published": ...}, "needs 'published'"),
    ({"published": "2026-11-28T13:00:00"}, "time offset"),        # no zone
    ({"published": "2026-11-28 13:00:00Z"}, "time offset"),       # not RFC 3339
    ({"published": "2026-13-28T13:00:00Z"}, "time offset"),       # month 13
    ({"summary": 3}, "must be a string"),
    ({"actor": {"id": "https://example.org/users/ann/"}}, "carries a type"),
    ({"actor": "ann"}, "not an absolute IRI"),
    ({"object": {"type": "Note", "colour": "red"}}, "not a term"),
    ({"readAt": "2026-11-28T13:00:00Z"}, "not a term"),
    ({"@id": "https://example.org/x"}, "aliases"),
    ({"target": None}, "null"),
    ({"object": {"type": "Note", "@context": as2.AS_CONTEXT}}, "nested @context"),
])
def test_bad_activities_fail(changes, message):
    with pytest.raises(as2.AS2Error, match=message):
        as2.check_activity(changed(**changes))


def test_collections():
    good = {"@context": as2.AS_CONTEXT, "type": "OrderedCollection",
            "id": "https://example.org/users/ann/inbox", "totalItems": 1,
            "orderedItems": [{k: v for k, v in GOOD.items() if k != "@context"}]}
    as2.check_ordered_collection(good)
    for key, value, message in [
        ("type", "Collection", "OrderedCollection"),
        ("totalItems", -1, "non-negative"),
        ("totalItems", 0, "smaller"),
        ("orderedItems", "nope", "IRI"),
    ]:
        with pytest.raises(as2.AS2Error, match=message):
            as2.check_ordered_collection(dict(good, **{key: value}))
    broken = copy.deepcopy(good)
    del broken["orderedItems"][0]["actor"]
    with pytest.raises(as2.AS2Error, match=r"orderedItems\[0\]: an activity needs 'actor'"):
        as2.check_ordered_collection(broken)


def test_documents_must_be_plain_json():
    with pytest.raises(as2.AS2Error, match="plain JSON"):
        as2.check_document(changed(summary=float("nan")))
    with pytest.raises(as2.AS2Error, match="plain JSON"):
        as2.check_document(changed(summary={1, 2}))
