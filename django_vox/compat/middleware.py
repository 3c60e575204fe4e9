"""The 4.x middleware ``django_vox.middleware.activity_inbox_middleware``:
ActivityPub endpoints beside each registered actor.

``MIDDLEWARE = [..., "django_vox.middleware.activity_inbox_middleware"]``
(after AuthenticationMiddleware) answers Activity Streams requests, those
whose Accept header (or, for a POST, content type) is
``application/activity+json`` or ``application/ld+json``, at these paths,
where ``users/ann/`` is the path of an object registered with a regex:

* ``users/ann/``: the actor document (its AS2 object with the links below);
* ``users/ann/inbox`` and ``users/ann/outbox``: as :mod:`django_vox.inbox`
  serves them (reading is for the actor only; POST a Read to mark items read);
* ``users/ann/followers``, ``following`` and ``liked``: empty collections, as
  in 4.x, since django-vox keeps no social graph.

The actor document and the collections are public, but only for objects whose
registration answers ``has_activity_endpoint(instance)`` with True; every
other request passes through to the project's own views.
"""

from django.http import JsonResponse
from django.utils.cache import patch_vary_headers

from django_vox import activities, inbox
from django_vox.registry import objects

__all__ = ["ENDPOINTS", "activity_inbox_middleware"]

#: The endpoints an actor has, after its own path.
ENDPOINTS = ("inbox", "outbox", "followers", "following", "liked")
_EMPTY_COLLECTIONS = ("followers", "following", "liked")


def _split(path_info):
    """``(actor path, endpoint)`` for a request path; endpoint "" is the actor itself."""
    path = path_info.lstrip("/")
    head, _slash, last = path.rpartition("/")
    if last in ENDPOINTS and head:
        return head + "/", last
    if path.endswith("/"):
        return path, ""
    return None, None


def _public_actor(actor_path):
    actor = activities.resolve_path(actor_path)
    if actor is None or not objects[type(actor)].registration.has_activity_endpoint(actor):
        return None
    return actor


def _document(data, status=200, allow=None):
    response = JsonResponse(data, status=status, content_type=activities.AS_MEDIA_TYPE)
    patch_vary_headers(response, ("Accept",))
    if allow:
        response["Allow"] = allow
    return response


def _not_found():
    return _document({"error": "No such actor."}, status=404)


def _read_only(what):
    return _document({"error": f"Use GET to read {what}."}, status=405, allow="GET, HEAD")


def actor_document(request, actor_path):
    """The actor's AS2 object with the IRIs of its endpoints."""
    actor = _public_actor(actor_path)
    if actor is None:
        return _not_found()
    if request.method not in ("GET", "HEAD"):
        return _read_only("an actor")
    document = {"@context": activities.AS_CONTEXT, **activities.get_activity_object(actor)}
    document.setdefault("id", request.build_absolute_uri())
    base = document["id"] if document["id"].endswith("/") else document["id"] + "/"
    for endpoint in ENDPOINTS:
        document[endpoint] = base + endpoint
    return _document(document)


def empty_collection(request, actor_path, endpoint):
    """The actor's followers, following or liked: always an empty Collection."""
    if _public_actor(actor_path) is None:
        return _not_found()
    if request.method not in ("GET", "HEAD"):
        return _read_only(endpoint)
    return _document({"@context": activities.AS_CONTEXT, "id": request.build_absolute_uri(),
                      "type": "Collection", "totalItems": 0})


def _answer(request, actor_path, endpoint):
    if endpoint == "":
        return actor_document(request, actor_path)
    if endpoint == "inbox":
        return inbox.inbox(request, actor_path)
    if endpoint == "outbox":
        return inbox.outbox(request, actor_path)
    return empty_collection(request, actor_path, endpoint)


def _is_activity_request(request):
    return inbox.wants_activity(request) or (
        request.method == "POST" and inbox.sends_activity(request))


def activity_inbox_middleware(get_response):
    """Middleware factory serving the ActivityPub endpoints of registered actors."""

    def middleware(request):
        if _is_activity_request(request):
            actor_path, endpoint = _split(request.path_info)
            if actor_path is not None and activities.is_registered_path(actor_path):
                return _answer(request, actor_path, endpoint)
        return get_response(request)

    return middleware
