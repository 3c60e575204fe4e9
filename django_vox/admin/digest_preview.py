"""The digest's preview: the main preview's equal for a template's digest.

The same choosers (sample object, recipient) and the same From, To and
Subject lines; the items are the template's own message rendered for the
chosen object and the next newest ones the editor may view (made-up ones
otherwise), each for the chosen recipient, then gathered by the digest's
subject and content as :mod:`django_vox.digests` gathers held messages.
"""

import dataclasses

from django.utils import timezone
from django.utils.translation import gettext as _

from django_vox import digests
from django_vox.admin.checks import made_up, unclosed_tag
from django_vox.admin.editor_preview import (
    PreviewError,
    PreviewRequest,
    answer,
    backend_class_for,
    sample_rendering,
)
from django_vox.admin.reach import EditorReach
from django_vox.exceptions import VoxError
from django_vox.issuing import build_context, holding, rendering_without_writes
from django_vox.models import Template
from django_vox.templating.rendering import check_template

__all__ = ["DIGEST_ITEMS", "digest_answer"]

#: How many items the digest's preview shows.
DIGEST_ITEMS = 3


def _item_objects(reach: EditorReach, model, sample) -> list:
    """The chosen sample, then the next newest objects the editor may view
    (through the model's admin queryset: the editor's ``reach``), the sample
    twice when it is the only one: a digest gathers several."""
    if sample is None:
        return [None] * DIGEST_ITEMS
    if sample.made_up or not reach.may_view(model):
        return [sample.obj] + [made_up(model) for _ in range(DIGEST_ITEMS - 1)]
    others = list(reach.queryset(model).exclude(pk=sample.obj.pk).order_by("-pk")
                  [:DIGEST_ITEMS - 1])
    return [sample.obj, *(others or [sample.obj])]


def _check(sources: dict) -> None:
    labels = {"subject": _("Digest subject"), "content": _("Digest content")}
    for name, source in sources.items():
        problem = check_template(source or "") or unclosed_tag(source)
        if problem:
            raise PreviewError(f"{labels[name]}: {problem}")


def digest_answer(reach: EditorReach, notification, wanted: PreviewRequest, post) -> dict:
    """The JSON answer for the digest's preview (``post``: the editor's form,
    with ``digest_subject``, ``digest_content`` and ``digest_window``)."""
    backend_class = backend_class_for(wanted)  # checks the template's own fields
    sources = {"subject": post.get("digest_subject", ""), "content": post.get("digest_content", "")}
    _check(sources)
    subject, content = digests.digest_source(Template(
        backend=wanted.backend_id, subject=wanted.subject,
        digest_subject=sources["subject"], digest_content=sources["content"]))
    rendering = sample_rendering(reach, notification, wanted, backend_class)
    backend = backend_class()
    now = timezone.now()
    kind = post.get("digest_window") or Template.DAILY
    start, end = holding.window(kind if kind in dict(Template.WINDOWS) else Template.DAILY, now)
    instances = rendering.instances
    items = []
    try:
        with rendering_without_writes():
            for obj in _item_objects(reach, notification.get_object_model(), rendering.sample):
                params = build_context(obj, notification=notification, actor=instances["actor"],
                                       target=instances["target"], contact=rendering.contact,
                                       reach=reach, **rendering.extra)
                message = backend.build_message(
                    wanted.subject if backend_class.USE_SUBJECT else "", wanted.content, params)
                items.append((params, message, now))
    except (VoxError, ValueError) as err:
        raise PreviewError(str(getattr(err, "message", err))) from err
    context = digests.digest_context(rendering.params, items,
                                     {"name": kind, "start": start, "end": end},
                                     escaped_text=backend_class.ESCAPED_TEXT)
    digest = dataclasses.replace(wanted, subject=subject, content=content)
    result = answer(backend_class, digest,
                    dataclasses.replace(rendering, params=context))
    result["warnings"] = reach.notes()
    return result
