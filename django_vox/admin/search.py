"""Searching the objects a notification is about, for the admin's choosers.

The issue page and the preview's sample chooser let an editor type a few
letters and pick one object among all of them (not the newest few hundred).
The answers have the shape of Django's autocomplete view
(``{"results": [{"id", "text"}], "pagination": {"more"}}``), so the admin's
own select2 widget reads them.

Only objects the editor may reach are offered (:mod:`django_vox.admin.reach`:
the model's admin queryset, with its view permission).  The search uses the
model's ``ModelAdmin.search_fields`` when it is registered with some, else
the model's text fields (never one whose name marks a secret).
"""

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import models
from django.http import JsonResponse

from django_vox.admin.reach import EditorReach, object_key
from django_vox.templating.sandbox import is_sensitive_name

__all__ = ["search_objects", "search_response", "PAGE_SIZE"]

#: Objects per page of answers.
PAGE_SIZE = 20


def _text_fields(model):
    return [field.name for field in model._meta.get_fields()
            if isinstance(field, (models.CharField, models.TextField))
            and field.concrete and not is_sensitive_name(field.name)]


def _pk_lookup(model, term):
    try:
        return models.Q(pk=object_key(model, term))
    except ValueError:
        return None


def _fallback_search(model, queryset, term):
    query = models.Q()
    for name in _text_fields(model):
        query |= models.Q(**{f"{name}__icontains": term})
    by_pk = _pk_lookup(model, term)
    if by_pk is not None:
        query |= by_pk
    return queryset.filter(query) if query else queryset.none()


def search_objects(request, admin_site, model, term: str = "", page: int = 1):
    """``(objects, more)``: page ``page`` of the objects of ``model`` matching ``term``.

    Raises PermissionDenied when the user may not view the model.
    """
    reach = EditorReach(request, admin_site)
    if not reach.may_view(model):
        raise PermissionDenied
    term = (term or "").strip()
    model_admin = reach.model_admin(model)
    queryset = reach.queryset(model)
    if model_admin is not None and model_admin.get_search_fields(request):
        if term:
            queryset, duplicates = model_admin.get_search_results(request, queryset, term)
            if duplicates:
                queryset = queryset.distinct()
    elif term:
        queryset = _fallback_search(model, queryset, term)
    paginator = Paginator(queryset.order_by("-pk"), PAGE_SIZE)
    number = max(1, min(page, paginator.num_pages or 1))
    current = paginator.page(number)
    return list(current.object_list), current.has_next()


def search_response(request, admin_site, model) -> JsonResponse:
    """The JSON answer to ``GET ?term=...&page=...`` for ``model``."""
    try:
        page = int(request.GET.get("page") or 1)
    except ValueError:
        page = 1
    found, more = search_objects(request, admin_site, model, request.GET.get("term", ""), page)
    return JsonResponse({"results": [{"id": str(obj.pk), "text": str(obj)} for obj in found],
                         "pagination": {"more": more}})
