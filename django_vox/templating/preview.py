"""Preview of editor templates, as the admin shows them.

The objects in a preview are chosen by the previewing editor's *reach* (the
admin's rule, :class:`django_vox.admin.reach.EditorReach`): the newest object
the editor may reach of each model they may view, a made-up sample built from
the field types ("Sample title") for the others, and related objects of models
they may not view render as nothing.  Code previewing without a reach (as
``Notification.preview()`` does) gets the newest rows.
Rendering runs in a transaction that is rolled back, so a template cannot
change the database either.
"""

from typing import Any

from django.utils import timezone

from django_vox.backends import backends as backend_registry
from django_vox.digests import closing as digests
from django_vox.digests import holding
from django_vox.issuing import build_context, rendering_without_writes
from django_vox.models import Notification, Template
from django_vox.templating import samples

__all__ = ["preview", "preview_digest", "sample_object", "sample_context"]


def sample_object(model: type | None, reach: Any = None) -> Any:
    """What a preview shows for ``model``: the newest object ``reach`` reaches
    (any newest row without a reach), else a made-up instance (see
    :mod:`django_vox.templating.samples`)."""
    if model is None:
        return None
    if reach is None:
        instance = model._default_manager.order_by("-pk").first()
    else:
        instance = reach.newest(model) if reach.may_view(model) else None
    return instance if instance is not None else samples.made_up(model)


def sample_context(notification: Notification, reach: Any = None):
    """The template context of a preview: sample object, actor and target (see
    :func:`sample_object`), the object as recipient, and sample links."""
    obj = sample_object(notification.get_object_model(), reach)
    links = {}
    if not notification.required:  # sample links, so the preview shows where they go
        links = {"unsubscribe_url": "https://example.org/unsubscribe/sample-token/",
                 "preferences_url": "https://example.org/preferences/sample-token/"}
    return build_context(obj, notification=notification,
                         actor=sample_object(notification.get_actor_model(), reach),
                         target=sample_object(notification.get_target_model(), reach),
                         recipient=obj, reach=reach, **links)


def preview(notification: Notification, backend_id: str, content: str, subject: str = "",
            *, reach: Any = None) -> str:
    """Render ``content`` as backend ``backend_id`` would, against sample objects
    chosen by the editor's ``reach`` (the admin always passes one); see the module."""
    backend = backend_registry.by_id(backend_id)()
    params = sample_context(notification, reach)
    with rendering_without_writes():
        return backend.preview_message(subject, content, params)


def preview_digest(notification: Notification, backend_id: str, content: str, subject: str = "",
                   *, item_content: str = "", item_subject: str = "", count: int = 2,
                   reach: Any = None) -> str:
    """Render a digest template (``content``, ``subject``; blank: the one made
    from the individual template) as backend ``backend_id`` would, with
    ``count`` sample items rendered from ``item_content``/``item_subject``
    (the individual template), in a transaction that is rolled back.  The
    sample objects are chosen as :func:`preview` chooses them for ``reach``."""
    backend = backend_registry.by_id(backend_id)()
    if not content:
        subject, content = digests.digest_source(
            Template(backend=backend_id, subject=item_subject, digest_subject=subject))
    params = sample_context(notification, reach)
    now = timezone.now()
    start, end = holding.window(Template.HOURLY, now)
    with rendering_without_writes():
        message = backend.build_message(item_subject, item_content, params)
        context = digests.digest_context(
            params, [(params, message, now)] * count,
            {"name": Template.HOURLY, "start": start, "end": end}, escaped_text=backend.ESCAPED_TEXT)
        return backend.preview_message(subject, content, context)
