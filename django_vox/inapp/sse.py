"""The unread count as server-sent events, for sites served by ASGI.

``GET .../stream/`` keeps the response open and sends a ``count`` event
(``{"unread": n, "newest": id}``) at once and then whenever the count
changes.  It looks every ``DJANGO_VOX_INAPP_POLL_INTERVAL`` seconds (one
query on the unread index, as a poll would, without the HTTP request) and
sends a comment line when nothing changed, so proxies keep the connection.
After :data:`STREAM_SECONDS` the stream ends and the browser's
``EventSource`` reconnects (the ``retry`` field says when), so no connection
lives for ever.

Between two looks an open stream holds no database connection (it closes
the one it looked with): with a connection per open bell, a few hundred
signed-in tabs would take every connection the database allows.  It never
runs in a request's transaction either (``ATOMIC_REQUESTS``): Django refuses
that for an async view, and a stream must see the messages committed since
it opened.

Under WSGI a stream would hold a worker thread for its whole life, and
Django would buffer it, so the view answers 501 there: use polling
(``DJANGO_VOX_INAPP_LIVE = "poll"``, the default).
"""

from __future__ import annotations

import asyncio
import json
import time

from asgiref.sync import sync_to_async
from django.db import connections, transaction
from django.http import JsonResponse, StreamingHttpResponse
from django.utils.translation import gettext as _

from django_vox import conf
from django_vox.inapp.models import InAppMessage

__all__ = ["stream", "STREAM_SECONDS", "events"]

#: How long one stream lasts before the browser reconnects.
STREAM_SECONDS = 300


def _event(unread: int, newest: int) -> str:
    return f"event: count\ndata: {json.dumps({'unread': unread, 'newest': newest})}\n\n"


async def _look(rows) -> tuple[int, int]:
    """``rows.aunread_state()``, then the connection it used closed (in the
    thread that used it: the request's own)."""
    try:
        return await rows.aunread_state()
    finally:
        await sync_to_async(_close, thread_sensitive=True)(rows.db)


def _close(alias: str) -> None:
    connections[alias].close()


async def events(user, interval: float, seconds: float = STREAM_SECONDS):
    """The stream's text: ``retry``, then an event per change (comments between)."""
    rows = InAppMessage.objects.for_user(user)
    yield f"retry: {int(interval * 1000)}\n\n"
    last = None
    ends = time.monotonic() + seconds
    while True:
        state = await _look(rows)
        yield _event(*state) if state != last else ": idle\n\n"
        last = state
        if time.monotonic() + interval > ends:
            return
        await asyncio.sleep(interval)


@transaction.non_atomic_requests
async def stream(request):
    """The signed-in user's unread count as ``text/event-stream``."""
    if "wsgi.version" in request.META:
        return JsonResponse({"error": _("The event stream needs an ASGI server; "
                                        "poll the count endpoint instead.")}, status=501)
    if request.method != "GET":
        return JsonResponse({"error": _("GET only.")}, status=405, headers={"Allow": "GET"})
    user = await request.auser()
    if not user.is_authenticated:
        return JsonResponse({"error": _("Sign in to see your notifications.")}, status=401)
    interval = conf.positive_int("DJANGO_VOX_INAPP_POLL_INTERVAL")
    response = StreamingHttpResponse(events(user, interval), content_type="text/event-stream")
    response["Cache-Control"] = "private, no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: pass events on as they come
    return response
