"""The signed-in user's in-app messages over HTTP: JSON endpoints and a page.

Every view works on ``request.user``'s own messages only: a message of
someone else answers 404, exactly like one that does not exist.  Reading is
GET; every change is POST and CSRF-protected (``csrf_protect``, whether or not
the site has the middleware).  Anonymous requests get 401 (JSON) or the login
page (the HTML page).

The count endpoint sends an ETag made of the unread count and the newest
unread id (one query on the partial unread index) and answers a matching
``If-None-Match`` with 304 and no body, so a bell polling an unchanged count
costs that one query.  A change posted from a plain form (the page, without
JavaScript) redirects to its ``next`` URL instead of answering JSON.
"""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.contrib.contenttypes.models import ContentType
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_GET, require_POST

from django_vox.inapp.models import InAppMessage

__all__ = ["messages", "count", "change", "mark_all", "page", "serialize", "PAGE_SIZE",
           "MAX_PAGE_SIZE"]

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
FILTERS = {
    "all": lambda rows: rows.active(),
    "unread": lambda rows: rows.unread(),
    "archived": lambda rows: rows.archived(),
}
#: POST actions on one message: URL word → the model method.
ACTIONS = {"read": "mark_read", "unread": "mark_unread", "seen": "mark_seen",
           "archive": "archive", "unarchive": "unarchive"}
#: POST actions on all of a user's messages.
ALL_ACTIONS = {"read": "mark_all_read", "seen": "mark_all_seen"}


def _unauthorized():
    return JsonResponse({"error": _("Sign in to see your notifications.")}, status=401)


def _bad(message):
    return JsonResponse({"error": message}, status=400)


def _ref(type_id, object_id):
    if not type_id:
        return None
    content_type = ContentType.objects.get_for_id(type_id)  # cached per process
    return {"type": f"{content_type.app_label}.{content_type.model}", "id": object_id}


def serialize(message: InAppMessage) -> dict:
    """A message as the JSON endpoints give it (``body`` is sanitized HTML)."""
    return {
        "id": message.pk,
        "title": message.title,
        "body": message.body,
        "link": message.link,
        "created_at": message.created_at.isoformat(),
        "state": message.state,
        "seen": message.seen_at is not None,
        "read": message.read_at is not None,
        "archived": message.archived_at is not None,
        "object": _ref(message.object_type_id, message.object_id),
        "actor": _ref(message.actor_type_id, message.actor_id),
        "target": _ref(message.target_type_id, message.target_id),
    }


def _private(response):
    """Per user, never stored by a shared cache; revalidated each time."""
    patch_cache_control(response, private=True, no_cache=True)
    patch_vary_headers(response, ["Cookie"])
    return response


def _page(request):
    """``(rows, next cursor)`` of the list's query parameters, or a 400 response."""
    rows = InAppMessage.objects.for_user(request.user)
    which = request.GET.get("filter", "all")
    if which not in FILTERS:
        return _bad(_("filter must be one of %(names)s, not %(value)r.")
                    % {"names": ", ".join(FILTERS), "value": which}), None
    try:
        limit = int(request.GET.get("limit", PAGE_SIZE))
        before = int(request.GET["before"]) if request.GET.get("before") else None
    except ValueError:
        return _bad(_("limit and before must be whole numbers.")), None
    if not 1 <= limit <= MAX_PAGE_SIZE:
        return _bad(_("limit must be between 1 and %(max)d.") % {"max": MAX_PAGE_SIZE}), None
    rows = FILTERS[which](rows).order_by("-id")
    if before is not None:
        rows = rows.filter(id__lt=before)
    found = list(rows[:limit + 1])
    next_cursor = str(found[limit - 1].pk) if len(found) > limit else None
    return found[:limit], next_cursor


@require_GET
def messages(request):
    """``GET ?filter=all|unread|archived&limit=20&before=<cursor>``: newest first."""
    if not request.user.is_authenticated:
        return _unauthorized()
    found, next_cursor = _page(request)
    if next_cursor is None and isinstance(found, HttpResponse):
        return found
    unread, _newest = InAppMessage.objects.for_user(request.user).unread_state()
    return _private(JsonResponse({"results": [serialize(m) for m in found],
                                  "next_cursor": next_cursor, "unread": unread}))


def _etag(user, unread, newest):
    return f'"vox-{user.pk}-{unread}-{newest}"'


def _matches(request, etag):
    header = request.headers.get("If-None-Match", "")
    return any(tag.strip().removeprefix("W/") == etag for tag in header.split(","))


@require_GET
def count(request):
    """``{"unread": n, "newest": id}`` with an ETag; 304 when it still matches."""
    if not request.user.is_authenticated:
        return _unauthorized()
    unread, newest = InAppMessage.objects.for_user(request.user).unread_state()
    etag = _etag(request.user, unread, newest)
    if _matches(request, etag):
        response = HttpResponse(status=304)
    else:
        response = JsonResponse({"unread": unread, "newest": newest})
    response["ETag"] = etag
    return _private(response)


def _answer(request, data):
    """JSON, or for a plain form post with a safe ``next``, a redirect there."""
    target = request.POST.get("next")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()},
                                                  require_https=request.is_secure()):
        return HttpResponseRedirect(target)
    return _private(JsonResponse(data))


@require_POST
@csrf_protect
def change(request, pk, action):
    """``POST .../<id>/read/`` (``unread``, ``seen``, ``archive``, ``unarchive``)."""
    if not request.user.is_authenticated:
        return _unauthorized()
    if action not in ACTIONS:
        raise Http404(f"No in-app action {action!r}")
    message = get_object_or_404(InAppMessage, pk=pk, user=request.user)
    getattr(message, ACTIONS[action])()
    unread, newest = InAppMessage.objects.for_user(request.user).unread_state()
    return _answer(request, {"message": serialize(message), "unread": unread, "newest": newest})


@require_POST
@csrf_protect
def mark_all(request, action):
    """``POST .../read-all/`` or ``.../seen-all/``: all of the user's messages."""
    if not request.user.is_authenticated:
        return _unauthorized()
    if action not in ALL_ACTIONS:
        raise Http404(f"No in-app action {action!r}-all")
    rows = InAppMessage.objects.for_user(request.user)
    changed = getattr(rows, ALL_ACTIONS[action])()
    unread, newest = rows.unread_state()
    return _answer(request, {"changed": changed, "unread": unread, "newest": newest})


@require_GET
def page(request):
    """The "see all" page: the user's messages, 20 a page, newest first."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    found, next_cursor = _page(request)
    if next_cursor is None and isinstance(found, HttpResponse):
        return found
    unread, _newest = InAppMessage.objects.for_user(request.user).unread_state()
    response = render(request, "django_vox/inapp/page.html", {
        "inapp_messages": found, "next_cursor": next_cursor, "unread": unread,
        "filter": request.GET.get("filter", "all"), "filters": list(FILTERS),
        "first_page": not request.GET.get("before"),
    })
    return _private(response)
