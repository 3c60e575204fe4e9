"""The admin's extra pages: template preview, issuing a notification, and the
``notify`` action with its intermediate page (the one-time message).

Each view is reached through ``AdminSite.admin_view`` (staff only, CSRF
protected) and checks the model permission it needs itself.
"""

import logging

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponseNotAllowed, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from django_vox import issuing, preview
from django_vox.admin.forms import IssueForm, NotifyForm, editor_template_problem
from django_vox.backends import backends as backend_registry
from django_vox.exceptions import TemplateRenderError, VoxError
from django_vox.issuing.context import unreachable_variables
from django_vox.manual import send_one_time

__all__ = ["notify", "preview_view", "issue_view", "notify_action_view", "can_issue"]

logger = logging.getLogger("django_vox")


@admin.action(description=gettext_lazy("Send a one-time message"), permissions=["change"])
def notify(modeladmin, request, queryset):
    """Admin action: write a message and send it to the selected objects' contacts.

    Needs the change permission on the model and django_vox.add_delivery
    (sending writes the delivery log).
    """
    if not modeladmin.has_change_permission(request):
        raise PermissionDenied  # as in 4.x (the action is also hidden from such users)
    if not request.user.has_perm("django_vox.add_delivery"):
        modeladmin.message_user(request, _("You may not send messages (the “Can add delivery” "
                                           "permission is needed)."), messages.ERROR)
        return None
    return notify_action_view(modeladmin, request, queryset)


def _object_permission(user, model, action):
    opts = model._meta
    return user.has_perm(f"{opts.app_label}.{action}_{opts.model_name}")


def preview_view(model_admin, request, object_id):
    """POST backend/subject/content → JSON ``{"html": ...}`` or ``{"error": ...}``.

    Renders the unsaved template against a sample object in a transaction
    that is rolled back (see django_vox.preview.preview).
    """
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    notification = get_object_or_404(model_admin.get_queryset(request), pk=object_id)
    if not model_admin.has_change_permission(request, notification):
        raise PermissionDenied
    backend_id = request.POST.get("backend", "")
    subject = request.POST.get("subject", "")
    content = request.POST.get("content", "")
    backend_class = backend_registry.get(backend_id)
    if backend_class is None:
        return JsonResponse({"error": _("Choose an enabled backend first.")}, status=400)
    for label, source in ((_("Subject"), subject), (_("Content"), content)):
        problem = editor_template_problem(source)
        if problem:
            return JsonResponse({"error": f"{label}: {problem}"}, status=400)
    if not backend_class.USE_SUBJECT:
        subject = ""
    try:
        html = _render_preview(request, notification, backend_id, content, subject)
    except Exception as err:  # noqa: BLE001 - an editor's template may call any model code
        logger.info("Preview of %s with %s failed: %r", notification, backend_id, err)
        return JsonResponse({"error": _("The preview failed: %(error)s") % {
            "error": f"{type(err).__name__}: {err}"}}, status=400)
    digest = request.POST.get("digest") == "1"  # items, count...: not individual variables
    return JsonResponse({"html": html, "backend": backend_id,
                         "warnings": [] if digest else unreachable_warnings(
                             notification, subject, content),
                         "editor_type": backend_class.EDITOR_TYPE})


def _render_preview(request, notification, backend_id, content, subject):
    """The individual message, or with ``digest=1`` the digest (whose items are
    rendered from the posted ``item_subject``/``item_content``)."""
    if request.POST.get("digest") != "1":
        return preview.preview(notification, backend_id, content, subject,
                               user=request.user)
    item_subject = request.POST.get("item_subject", "")
    item_content = request.POST.get("item_content", "")
    for source in (item_subject, item_content):
        problem = editor_template_problem(source)
        if problem:
            raise ValueError(problem)
    return preview.preview_digest(notification, backend_id, content, subject,
                                  item_content=item_content, item_subject=item_subject,
                                  user=request.user)


def unreachable_warnings(notification, subject, content) -> list:
    """Sentences naming the variables of a template that templates cannot reach
    (they render as nothing), for the preview to show."""
    sources = {str(_("Subject")): subject, str(_("Content")): content}
    return [_("%(part)s, line %(line)s: %(path)s is not something templates can reach.") % {
        "part": part, "line": line, "path": path}
        for part, line, path in unreachable_variables(notification, sources)]


def can_issue(notification) -> bool:
    """Only notifications without actor and target can be issued from the admin:
    there is no sensible way to choose an actor for each object."""
    return not notification.actor_type_id and not notification.target_type_id


def issue_view(model_admin, request, object_id):
    """Choose objects and issue the notification for each of them."""
    notification = get_object_or_404(model_admin.get_queryset(request), pk=object_id)
    model = notification.get_object_model()
    if (model is None or not model_admin.has_change_permission(request, notification)
            or not _object_permission(request.user, model, "view")):
        raise PermissionDenied
    change_url = reverse(f"{model_admin.admin_site.name}:django_vox_notification_change",
                         args=[notification.pk])
    if not can_issue(notification):
        messages.error(request, _("This notification needs an actor or a target, so it can "
                                  "only be issued from code."))
        return redirect(change_url)
    form = IssueForm(notification, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        _issue_and_report(request, notification, form.cleaned_data["objects"])
        return redirect(change_url)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("Issue %(notification)s") % {"notification": notification},
        "opts": model_admin.model._meta,
        "original": notification,
        "notification": notification,
        "form": form,
        "templates": notification.templates.filter(enabled=True),
        "change_url": change_url,
    }
    return TemplateResponse(request, "django_vox/admin/issue.html", context)


def _issue_and_report(request, notification, chosen):
    sent = failed = queued = 0
    problems = []
    deferred = transaction.get_connection().in_atomic_block
    for obj in chosen:
        try:
            result = notification.issue(obj)
        except (RuntimeError, VoxError, ValueError) as err:
            problems.append(f"{obj}: {err}")
            continue
        if isinstance(result, issuing.Issue) and not deferred:
            sent += result.sent
            failed += result.failed
        else:
            queued += 1
    for problem in problems:
        messages.error(request, problem)
    count = len(chosen) - len(problems)
    if not count:
        return
    text = ngettext("Issued for %(count)d object: ", "Issued for %(count)d objects: ",
                    count) % {"count": count}
    text += _("%(sent)d message(s) sent, %(failed)d failed") % {"sent": sent, "failed": failed}
    if queued:
        text += _(", %(queued)d issue(s) queued") % {"queued": queued}
    messages.add_message(request, messages.WARNING if failed else messages.SUCCESS, text + ".")


def notify_action_view(model_admin, request, queryset):
    """The ``notify`` action: show the message form, then send and report."""
    form = NotifyForm(request.POST if "apply" in request.POST else None)
    if "apply" in request.POST and form.is_valid():
        data = form.cleaned_data
        try:
            result = send_one_time(queryset, data["backend"], data["subject"], data["body"],
                                   data["from_address"])
        except TemplateRenderError as err:  # over its budget: nothing was sent
            model_admin.message_user(request, _("Nothing was sent: %(error)s") % {
                "error": err}, messages.ERROR)
            return None
        text = _("One-time message: %(sent)d sent, %(failed)d failed.") % {
            "sent": result.sent, "failed": result.failed}
        if result.unreachable:
            text += " " + ngettext("%(count)d object has no contact for this backend.",
                                   "%(count)d objects have no contact for this backend.",
                                   result.unreachable) % {"count": result.unreachable}
        level = messages.SUCCESS if result.sent and not result.failed else messages.WARNING
        model_admin.message_user(request, text, level)
        return None
    opts = model_admin.model._meta
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("Send a one-time message"),
        "opts": opts,
        "form": form,
        "queryset": queryset,
        "count": queryset.count(),
        "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
        "select_across": request.POST.get("select_across", "0"),
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "django_vox/admin/notify.html", context)
