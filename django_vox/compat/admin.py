"""The admin pages of django-vox 4.x under their 4.x URL names.

``django_vox_issue`` is the issue page; ``django_vox_variables`` the JSON of a
notification's template variables; ``django_vox_preview`` (``preview/<backend
id>/``) renders a POSTed ``body`` (and ``subject``) with a backend, without a
notification or sample objects, as the 4.x one-time message form did.

:func:`urls` is added to the notification admin's
:data:`~django_vox.admin.notifications.EXTRA_URLS` by
:mod:`django_vox.compat.install`.  A request to the variables or preview page
warns, naming the page that replaces it.
"""

import logging

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import path

from django_vox.admin import introspection, notifications
from django_vox.admin.forms import editor_template_problem
from django_vox.backends import backends as backend_registry
from django_vox.compat import deprecated
from django_vox.issuing import rendering_without_writes

__all__ = ["backend_preview_view", "install", "urls", "variables_view"]

logger = logging.getLogger("django_vox")


def variables_view(model_admin, request, object_id):
    """GET: the variables the template editor offers for the notification, as JSON."""
    deprecated("The admin URL django_vox_variables",
               "the template editor of the notification's change page lists the variables.")
    notification = get_object_or_404(model_admin.get_queryset(request), pk=object_id)
    if not model_admin.has_view_or_change_permission(request, notification):
        raise PermissionDenied
    return JsonResponse(introspection.variables(notification))


def _unable(reason):
    return HttpResponse(f"Unable to make preview: {reason}", content_type="text/plain")


def backend_preview_view(model_admin, request, backend_id):
    """POST ``body`` (and ``subject``): the preview HTML of ``backend_id``.

    The HTML is the editor's own, so it is served sandboxed (no scripts, no
    access to the admin's origin), as the admin's preview frame shows it.
    """
    deprecated("The admin URL django_vox_preview",
               "preview a notification's template on its change page "
               "(django_vox_notification_preview) or a one-time message with "
               "django_vox_one_time_preview.")
    if not model_admin.has_change_permission(request):
        raise PermissionDenied
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    backend_class = backend_registry.get(backend_id)
    if backend_class is None:
        return _unable(repr(backend_id))
    body, subject = request.POST.get("body", ""), request.POST.get("subject", "")
    problem = editor_template_problem(body) or editor_template_problem(subject)
    if problem:
        return _unable(problem)
    try:
        with rendering_without_writes():
            html = backend_class().preview_message(subject, body, {})
    except Exception as err:  # noqa: BLE001 - an editor's template may call any code
        logger.info("Preview with %s failed: %r", backend_id, err)
        return _unable(f"{type(err).__name__}: {err}")
    response = HttpResponse(html)
    response["Content-Security-Policy"] = "sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def urls(model_admin, wrap):
    """The notification admin's pages under their 4.x URL names."""

    def bound(view):
        def page(request, *args, **kwargs):
            return view(model_admin, request, *args, **kwargs)

        return wrap(page)

    # django_vox_issue is another name of the issue page's own URL, which the
    # page's own pattern answers: only reverse() sees the name, so it cannot warn.
    return [
        path("<path:object_id>/issue/", wrap(model_admin.issue_view), name="django_vox_issue"),
        path("<path:object_id>/variables/", bound(variables_view), name="django_vox_variables"),
        path("preview/<str:backend_id>/", bound(backend_preview_view), name="django_vox_preview"),
    ]


def install() -> None:
    """Add :func:`urls` to the notification admin (idempotent)."""
    if urls not in notifications.EXTRA_URLS:
        notifications.EXTRA_URLS.append(urls)
