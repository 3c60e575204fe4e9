"""Public views: one-click unsubscribe (RFC 8058) and the preferences page.

Neither needs JavaScript.  The unsubscribe view is CSRF-exempt because mail
clients POST to it without cookies; the signed token in its URL is what
authenticates the request.  Templates live under
``django_vox/preferences/`` and can be overridden by the project.
"""

import logging

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from django_vox import preferences as prefs
from django_vox.backends import protocol_name

__all__ = ["unsubscribe", "preferences"]

logger = logging.getLogger("django_vox")

TEMPLATE_DIR = "django_vox/preferences/"


def _private(response: HttpResponse) -> HttpResponse:
    """The token in the URL is a credential: keep it out of other sites'
    Referer headers, search engines and shared caches.

    ``same-origin``, not ``no-referrer``: under ``no-referrer`` a browser
    posts the page's own forms with ``Origin: null``, which Django's CSRF
    check refuses ("Origin checking failed - null does not match any trusted
    origins").  ``same-origin`` sends the Referer to this site only (where the
    token came from) and nothing to any other."""
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _invalid(request, err):
    return _private(render(request, TEMPLATE_DIR + "invalid.html", {"error": str(err)},
                           status=400))


@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET: ask to confirm (changes nothing: link scanners fetch links).
    POST: opt out of this notification on this protocol, and answer 200."""
    try:
        owner, notification, protocol = prefs.read_unsubscribe_token(token)
    except prefs.BadToken as err:
        logger.info("Unsubscribe refused: %s", err)
        return _invalid(request, err)
    # The signed-in page, not a signed link: an unsubscribe token can turn one
    # notification off and no more (docs/preferences.rst, "Signed, not stored").
    context = {"notification": notification, "protocol": protocol,
               "protocol_name": protocol_name(protocol),
               "preferences_url": reverse("django_vox:preferences")}
    if request.method != "POST":
        return _private(render(request, TEMPLATE_DIR + "unsubscribe.html", context))
    if notification.required:
        # Links are not made for required notifications, but one may have become
        # required after its link was sent.
        return _private(render(request, TEMPLATE_DIR + "required.html", context))
    prefs.set_preference(owner, notification, protocol, False)
    logger.info("Unsubscribed %r from %s by %s (%s).", owner.key, notification, protocol,
                "one-click" if request.POST.get("List-Unsubscribe") == "One-Click" else "form")
    return _private(render(request, TEMPLATE_DIR + "unsubscribed.html", context))


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def preferences(request: HttpRequest, token: str | None = None) -> HttpResponse:
    """The signed-in user's preferences, or any owner's through a signed link."""
    if token is not None:
        try:
            owner = prefs.read_preferences_token(token)
        except prefs.BadToken as err:
            return _invalid(request, err)
    elif request.user.is_authenticated:
        owner = prefs.Owner.of_instance(request.user)
    else:
        return redirect_to_login(request.get_full_path())
    matrix = prefs.PreferenceMatrix(owner)
    if request.method == "POST":
        changed = matrix.save(request.POST.getlist("on"), choices={
            name[len("choice:"):]: value for name, value in request.POST.items()
            if name.startswith("choice:")})
        logger.info("Preferences of %r saved: %d change(s).", owner.key, changed)
        return _private(HttpResponseRedirect(request.path + "?saved=1"))
    return _private(render(request, TEMPLATE_DIR + "preferences.html", {
        "owner": owner, "matrix": matrix, "saved": request.GET.get("saved") == "1"}))
