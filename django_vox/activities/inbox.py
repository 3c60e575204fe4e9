"""The HTTP side of the activity backend: actors read their inbox and mark
activities read, ActivityPub style.

Two ways to serve it:

* ``path("vox/", include("django_vox.urls"))``: the inbox of the actor at
  ``users/ann/`` is ``/vox/users/ann/inbox``, its outbox ``/vox/users/ann/outbox``
  and each activity ``/vox/activities/<key>/``.
* :class:`ActivityInboxMiddleware`: the inbox sits beside the actor, at
  ``/users/ann/inbox``, answered only for Activity Streams requests so the
  project's own pages at those paths keep working.

Who may see what: anonymous requests get 403; an inbox is shown only to the
authenticated user who *is* the actor, and only when the actor's registration
says ``has_activity_endpoint(instance)``; everything else is 404, so nobody
learns whether someone else's inbox exists.
"""

import functools
import json
import logging
import re

from django.core.exceptions import ImproperlyConfigured, RequestDataTooBig
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.views.decorators.csrf import csrf_protect

from django_vox import conf
from django_vox.activities.addresses import activity_key_from_iri
from django_vox.activities.documents import AS_CONTEXT, AS_MEDIA_TYPE, activity_document
from django_vox.activities.owners import is_registered_path, resolve_path
from django_vox.models import InboxItem
from django_vox.registry import objects

__all__ = ["ActivityInboxMiddleware", "activity_detail", "inbox", "inbox_limit", "outbox"]

logger = logging.getLogger("django_vox")

_MEDIA_TYPES = ("application/activity+json", "application/ld+json")
DEFAULT_BOX_REGEX = r"^(?P<path>(?:[^/]+/)+)(?P<box>inbox|outbox)$"


def inbox_limit() -> int:
    """DJANGO_VOX_INBOX_LIMIT: how many of the newest items an inbox shows."""
    value = conf.get("DJANGO_VOX_INBOX_LIMIT")
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ImproperlyConfigured(
            f"DJANGO_VOX_INBOX_LIMIT must be a positive whole number, not {value!r}.")
    return value


def _media_types(header):
    return [part.split(";")[0].strip().lower() for part in (header or "").split(",")]


def wants_activity(request) -> bool:
    """Whether the client asks for Activity Streams (not merely ``*/*``)."""
    return any(t in _MEDIA_TYPES for t in _media_types(request.headers.get("Accept")))


def sends_activity(request) -> bool:
    return _media_types(request.content_type)[0] in _MEDIA_TYPES


def _reply(data, status=200):
    if data is None:
        response = HttpResponse(status=status)
    else:
        response = JsonResponse(data, status=status, content_type=AS_MEDIA_TYPE)
    patch_vary_headers(response, ("Accept", "Cookie", "Authorization"))
    patch_cache_control(response, private=True, no_store=True)
    return response


def _error(status, message, allow=None):
    response = _reply({"error": message}, status=status)
    if allow:
        response["Allow"] = allow
    return response


def _is_user(user, actor) -> bool:
    return (getattr(actor, "_meta", None) is not None
            and actor._meta.concrete_model is user._meta.concrete_model
            and str(actor.pk) == str(user.pk))


def _actor_or_error(request, actor_path):
    """``(actor, None)`` when the request may use the actor's boxes, else ``(None, response)``."""
    user = getattr(request, "user", None)
    if user is None:
        raise ImproperlyConfigured(
            "The django-vox inbox needs request.user: put django.contrib.auth's "
            "AuthenticationMiddleware before it in MIDDLEWARE.")
    if not user.is_authenticated:
        return None, _error(403, "Authentication required.")
    actor = resolve_path(actor_path)
    if (actor is None or not objects[type(actor)].registration.has_activity_endpoint(actor)
            or not _is_user(user, actor)):
        return None, _error(404, "No such inbox.")
    return actor, None


def inbox(request, actor_path):
    """GET: the newest DJANGO_VOX_INBOX_LIMIT activities addressed to the actor,
    as an OrderedCollection (``?unread`` keeps only those not yet read)."""
    if request.method not in ("GET", "HEAD"):
        return _error(405, "Use GET to read an inbox.", allow="GET, HEAD")
    if not wants_activity(request):
        return _error(406, f"Ask for {AS_MEDIA_TYPE} in the Accept header.")
    actor, error = _actor_or_error(request, actor_path)
    if error:
        return error
    items = InboxItem.objects.for_owner(actor).select_related("activity")
    if "unread" in request.GET:
        items = items.unread()
    ordered = [activity_document(item.activity, context=False) for item in items[:inbox_limit()]]
    return _reply({
        "@context": AS_CONTEXT,
        "id": request.build_absolute_uri(),
        "type": "OrderedCollection",
        "totalItems": len(ordered),
        "orderedItems": ordered,
    })


def _object_iris(value):
    values = value if isinstance(value, list) else [value]
    for item in values:
        yield item.get("id") if isinstance(item, dict) else item


def _json_body(request):
    """``(document, None)``, or ``(None, an error response)`` for a body that is
    too large, not JSON, or nested too deeply to parse."""
    try:
        return json.loads(request.body), None
    except RequestDataTooBig:
        return None, _error(413, "The activity is too large.")
    except (ValueError, UnicodeDecodeError):
        return None, _error(400, "The body is not JSON.")
    except RecursionError:  # e.g. 200,000 nested "[": valid JSON so far, too deep to parse
        return None, _error(400, "The body is nested too deeply.")


@csrf_protect
def outbox(request, actor_path):
    """POST a Read activity whose object is (or lists) activity ids from the
    actor's inbox to mark them read."""
    if request.method != "POST":
        return _error(405, "POST a Read activity to the outbox.", allow="POST")
    actor, error = _actor_or_error(request, actor_path)
    if error:
        return error
    if not sends_activity(request):
        return _error(415, f"Send the activity as {AS_MEDIA_TYPE}.")
    document, error = _json_body(request)
    if error:
        return error
    if not isinstance(document, dict) or document.get("type") != "Read":
        return _error(400, "Only Read activities are accepted here.")
    keys = [activity_key_from_iri(iri) for iri in _object_iris(document.get("object"))]
    if not keys or None in keys:
        return _error(400, "The object of the Read must be ids of activities in this inbox.")
    items = list(InboxItem.objects.for_owner(actor).filter(activity__key__in=keys))
    if len({str(item.activity.key) for item in items}) != len(set(keys)):
        return _error(404, "Not every object is in this inbox.")
    now = timezone.now()
    for item in items:
        item.mark_read(now)
    return _reply(None, status=204)


def activity_detail(request, key):
    """GET one activity, for an authenticated user who has it in their inbox."""
    if request.method not in ("GET", "HEAD"):
        return _error(405, "Use GET to read an activity.", allow="GET, HEAD")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return _error(403, "Authentication required.")
    item = (InboxItem.objects.for_owner(user).filter(activity__key=key)
            .select_related("activity").first())
    if item is None or not objects[user.__class__].registration.has_activity_endpoint(user):
        return _error(404, "No such activity.")
    return _reply(activity_document(item.activity))


def _box_regex():
    regex = conf.get("DJANGO_VOX_ACTIVITY_REGEX")
    if not regex:
        regex = DEFAULT_BOX_REGEX
    return _compile_box_regex(regex)


@functools.lru_cache(maxsize=8)
def _compile_box_regex(regex):
    try:
        pattern = re.compile(regex)
    except re.error as err:
        raise ImproperlyConfigured(f"DJANGO_VOX_ACTIVITY_REGEX {regex!r} is invalid: {err}") from err
    if not {"path", "box"} <= set(pattern.groupindex):
        raise ImproperlyConfigured(
            f"DJANGO_VOX_ACTIVITY_REGEX {regex!r} needs the named groups 'path' (the "
            f"actor's path) and 'box' ('inbox' or 'outbox').")
    return pattern


class ActivityInboxMiddleware:
    """Answers Activity Streams requests to ``<actor path>inbox`` and
    ``<actor path>outbox`` where the actor path fits a registration's regex;
    every other request passes through untouched.

    Put it after AuthenticationMiddleware.  DJANGO_VOX_ACTIVITY_REGEX changes
    which paths are boxes (named groups ``path`` and ``box``).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        match = _box_regex().fullmatch(request.path_info.lstrip("/"))
        if match is not None and is_registered_path(match.group("path")):
            box = match.group("box")
            if box == "inbox" and request.method in ("GET", "HEAD") and wants_activity(request):
                return inbox(request, match.group("path"))
            if box == "outbox" and request.method == "POST" and sends_activity(request):
                return outbox(request, match.group("path"))
        return self.get_response(request)
