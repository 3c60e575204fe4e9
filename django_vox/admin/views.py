"""The admin's extra pages: template preview, the object search of the
choosers, issuing a notification by hand, and the ``notify`` action with its
intermediate page (the one-time message).

Each view is reached through ``AdminSite.admin_view`` (staff only, CSRF
protected) and checks the model permission it needs itself.  What an editor
may reach through them (objects, actors, targets, recipients, related objects
in a preview) is :mod:`django_vox.admin.reach`'s one rule.
"""

import logging

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from django_vox import issuing
from django_vox.admin import editor_preview, words
from django_vox.admin.digest_preview import digest_answer
from django_vox.admin.editor_preview import PreviewError, PreviewRequest, unreachable_warnings
from django_vox.admin.forms import NotifyForm, backend_info
from django_vox.admin.issuing import IssueForm, needs_text
from django_vox.admin.reach import EditorReach, object_key, object_keys
from django_vox.admin.search import search_response
from django_vox.exceptions import TemplateRenderError, VoxError
from django_vox.issuing.manual import send_one_time
from django_vox.templating.visibility import describe_one_time_context

__all__ = ["notify", "preview_view", "search_view", "issue_view", "notify_action_view",
           "one_time_preview_view", "can_issue", "unreachable_warnings", "ONE_TIME_SAMPLES"]

logger = logging.getLogger("django_vox")

#: Selected objects the one-time message's preview may choose its sample among.
ONE_TIME_SAMPLES = 100


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


def _preview_json(build):
    """Run ``build()`` and answer with its JSON, or with the editor's error."""
    try:
        return JsonResponse(build())
    except PreviewError as err:
        return JsonResponse({"error": str(err)}, status=400)
    except Exception as err:  # noqa: BLE001 - an editor's template may reach any model code
        logger.info("Preview failed: %r", err)
        return JsonResponse({"error": _("The preview failed: %(error)s") % {"error": err}},
                            status=400)


def _notification_or_404(model_admin, request, object_id):
    """The notification ``object_id`` names; 404 for one that does not exist or
    is not a valid key at all (``/abc/preview/``), as the change page does."""
    notification = model_admin.get_object(request, object_id)
    if notification is None:
        raise Http404(_("No notification with the key %(key)r.") % {"key": object_id})
    return notification


def preview_view(model_admin, request, object_id):
    """POST the unsaved template (and the samples chosen) → JSON for the editor:
    ``{"html", "header", "sample"}`` or ``{"error"}`` (see admin.editor_preview)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    notification = _notification_or_404(model_admin, request, object_id)
    if not model_admin.has_change_permission(request, notification):
        raise PermissionDenied
    reach = EditorReach(request, model_admin.admin_site)
    wanted = PreviewRequest.from_post(request.POST)
    if request.POST.get("digest") == "1":
        return _preview_json(lambda: digest_answer(reach, notification, wanted, request.POST))
    return _preview_json(lambda: editor_preview.preview_answer(reach, notification, wanted))


#: Search roles → the notification's model getter.
_ROLE_MODELS = {"object": "get_object_model", "actor": "get_actor_model",
                "target": "get_target_model"}


def search_view(model_admin, request, object_id, role):
    """``GET ?term=`` → the objects (of the notification's object, actor or
    target model) the editor may view, for the choosers."""
    notification = get_object_or_404(model_admin.get_queryset(request), pk=object_id)
    if role not in _ROLE_MODELS or not model_admin.has_view_permission(request, notification):
        raise Http404
    model = getattr(notification, _ROLE_MODELS[role])()
    if model is None:
        raise Http404
    return search_response(request, model_admin.admin_site, model)


def search_urls(admin_site_name, notification) -> dict:
    return {role: reverse(f"{admin_site_name}:django_vox_notification_search",
                          args=[notification.pk, role]) for role in _ROLE_MODELS}


def can_issue(notification) -> bool:
    """Whether the notification can be issued by hand (it is about a model)."""
    return notification.object_type_id is not None and notification.get_object_model() is not None


def issue_view(model_admin, request, object_id):
    """Choose objects (and the actor and target) and issue the notification for each."""
    notification = _notification_or_404(model_admin, request, object_id)
    model = notification.get_object_model()
    site = model_admin.admin_site
    reach = EditorReach(request, site)
    if (model is None or not model_admin.has_change_permission(request, notification)
            or not reach.may_view(model)):
        raise PermissionDenied
    change_url = reverse(f"{site.name}:django_vox_notification_change", args=[notification.pk])
    form = IssueForm(notification, search_urls(site.name, notification), reach,
                     request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        _issue_and_report(request, notification, data["objects"], data.get("actor"),
                          data.get("target"))
        return redirect(change_url)
    name = words.notification_name(notification)
    context = {
        **site.each_context(request),
        "title": _("Issue “%(notification)s”") % {"notification": name},
        "opts": model_admin.model._meta,
        "original": notification,
        "notification": notification,
        "notification_name": name,
        "needs": needs_text(notification),
        "form": form,
        "templates": [words.template_heading(t) for t in
                      notification.templates.filter(enabled=True)],
        "change_url": change_url,
    }
    return TemplateResponse(request, "django_vox/admin/issue.html", context)


def _issue_and_report(request, notification, chosen, actor=None, target=None):
    sent = failed = queued = 0
    problems = []
    deferred = transaction.get_connection().in_atomic_block
    for obj in chosen:
        try:
            result = notification.issue(obj, actor=actor, target=target)
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


# -- the one-time message ----------------------------------------------------------

def _one_time_preview_url(site_name):
    try:
        return reverse(f"{site_name}:django_vox_one_time_preview")
    except NoReverseMatch:  # notifications are not in this admin site: no preview
        return None


def _one_time_editor(site_name, queryset, reachable):
    """Data the editor script reads on the one-time message page."""
    model = queryset.model
    content_type = ContentType.objects.get_for_model(model)
    ids = [str(pk) for pk in queryset.values_list("pk", flat=True)[:ONE_TIME_SAMPLES]]
    return {
        "backends": {key: value for key, value in backend_info().items()
                     if key in {cls.ID for cls in reachable}},
        "variables": dict(describe_one_time_context(model), model_names={}),
        "preview_url": _one_time_preview_url(site_name),
        "preview_fields": {"content_type": str(content_type.pk), "ids": ids},
    }


def notify_action_view(model_admin, request, queryset):
    """The ``notify`` action: show the message form, then send and report."""
    reachable = editor_preview.reachable_backends(queryset)
    form = NotifyForm(request.POST if "apply" in request.POST else None, backends=reachable)
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
        if result.suppressed:  # on the suppression list (django_vox.tracking)
            text += " " + ngettext("%(count)d address is suppressed (not sent to).",
                                   "%(count)d addresses are suppressed (not sent to).",
                                   result.suppressed) % {"count": result.suppressed}
        level = messages.SUCCESS if result.sent and not result.failed else messages.WARNING
        model_admin.message_user(request, text, level)
        return None
    opts = model_admin.model._meta
    count = queryset.count()
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("Send a one-time message"),
        "opts": opts,
        "form": form,
        "queryset": queryset,
        "count": count,
        # One name for both forms of the sentence: gettext wants every form
        # of a plural message to take the same arguments.
        "objects_name": opts.verbose_name if count == 1 else opts.verbose_name_plural,
        "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
        "select_across": request.POST.get("select_across", "0"),
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "vox_editor": _one_time_editor(model_admin.admin_site.name, queryset, reachable),
        "vox_media": form.media + editor_preview.editor_media(),
        "no_backend": not reachable,
    }
    return TemplateResponse(request, "django_vox/admin/notify.html", context)


def _one_time_objects(request, admin_site):
    """The model and the selected objects a one-time preview names, as the
    editor may reach them: 404 for a content type or id that is none, 403
    without the change permission, PreviewError for an object beyond reach."""
    try:
        content_type = ContentType.objects.filter(
            pk=object_key(ContentType, request.POST.get("content_type"))).first()
        model = content_type.model_class() if content_type is not None else None
        if model is None:
            raise Http404(_("No such kind of object."))
        keys = object_keys(model, request.POST.getlist("ids")[:ONE_TIME_SAMPLES])
    except ValueError as err:
        raise Http404(str(err)) from None
    reach = EditorReach(request, admin_site)
    model_admin = reach.model_admin(model)
    opts = model._meta
    if not (model_admin.has_change_permission(request) if model_admin is not None else
            request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}")):
        raise PermissionDenied
    instances = list(reach.queryset(model).filter(pk__in=keys))
    return reach, instances, len(instances) < len(set(keys))


def one_time_preview_view(request, admin_site=None):
    """POST the one-time message and the selected objects → JSON for the editor."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    reach, instances, refused = _one_time_objects(request, admin_site or admin.site)
    wanted = PreviewRequest.from_post(request.POST)

    def build():
        if refused:
            raise PreviewError(_("Some of the selected objects are not among those you may "
                                 "view."))
        return editor_preview.one_time_answer(reach, instances, wanted)

    return _preview_json(build)
