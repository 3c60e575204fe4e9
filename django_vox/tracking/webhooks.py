"""What every webhook view of django-vox shares: the hardening.

:func:`webhook` wraps a view so that it

* answers POST only (405 otherwise), and is the only kind of view that is
  exempt from CSRF (providers post without cookies; a credential or a
  signature authenticates them instead);
* refuses a body over ``DJANGO_VOX_WEBHOOK_MAX_BODY`` bytes (413) before
  reading it, by its Content-Length, and reads at most that many bytes;
* is never cached, and answers errors with a fixed text that names no
  delivery, address or message id.

:func:`basic_auth_matches` compares HTTP Basic credentials in constant time.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hmac
import logging

from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from django_vox import conf

__all__ = ["webhook", "basic_auth_matches", "refuse", "accepted"]

logger = logging.getLogger("django_vox")


def refuse(status: int, text: str, **headers) -> HttpResponse:
    """An error answer: a fixed text, never data of a delivery."""
    response = HttpResponse(text + "\n", status=status, content_type="text/plain; charset=utf-8")
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def accepted() -> HttpResponse:
    """The answer to an event that was read (recorded now, before, or kept apart)."""
    return HttpResponse("ok\n", content_type="text/plain; charset=utf-8")


def _read_body(request: HttpRequest, limit: int) -> bytes | None:
    """The body, or None when it is over ``limit`` bytes (never read past it)."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    if length > limit:
        return None
    body = request.read(limit + 1)
    return None if len(body) > limit else body


def webhook(view):
    """POST only, CSRF-exempt, size-capped, never cached: ``view(request, body)``."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method != "POST":
            return refuse(405, "Only POST is accepted here.", Allow="POST")
        body = _read_body(request, conf.positive_int("DJANGO_VOX_WEBHOOK_MAX_BODY"))
        if body is None:
            logger.warning("Webhook %s refused a body over DJANGO_VOX_WEBHOOK_MAX_BODY.",
                           request.path)
            return refuse(413, "The request body is too large.")
        return view(request, body, *args, **kwargs)

    return csrf_exempt(never_cache(wrapper))


def basic_auth_matches(request: HttpRequest, expected: str) -> bool:
    """Whether the request's HTTP Basic credentials are ``expected``
    ("user:password"), compared in constant time."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _space, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return False
    try:
        given = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False
    return hmac.compare_digest(given, expected.encode("utf-8"))
