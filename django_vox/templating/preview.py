"""Preview of editor templates, as the admin shows them.

The objects in a preview are the newest rows of the notification's models
only for an editor allowed to view those models (or for code previewing
without a user, as ``Notification.preview()`` does); any other editor sees a
made-up sample built from the field types ("Sample title"), so a preview
never shows data its reader may not see.
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

__all__ = ["preview", "preview_digest", "sample_object", "may_view"]


def may_view(user: Any, model: type) -> bool:
    """Whether ``user`` has the view (or change) permission on ``model``; code
    previewing without a user (``Notification.preview()``) may."""
    if user is None:
        return True
    opts = model._meta
    return any(user.has_perm(f"{opts.app_label}.{action}_{opts.model_name}")
               for action in ("view", "change"))


def sample_object(model: type | None, user: Any = None) -> Any:
    """What a preview shows for ``model``: its newest row when ``user`` may view
    the model and there is one, else a made-up instance (see :mod:`django_vox.templating.samples`)."""
    if model is None:
        return None
    if may_view(user, model):
        instance = model._default_manager.order_by("-pk").first()
        if instance is not None:
            return instance
    return samples.made_up(model)


def sample_context(notification: Notification, user: Any = None):
    """The template context of a preview: sample object, actor and target (see
    :func:`sample_object`), the object as recipient, and sample links."""
    obj = sample_object(notification.get_object_model(), user)
    links = {}
    if not notification.required:  # sample links, so the preview shows where they go
        links = {"unsubscribe_url": "https://example.org/unsubscribe/sample-token/",
                 "preferences_url": "https://example.org/preferences/sample-token/"}
    return build_context(obj, notification=notification,
                         actor=sample_object(notification.get_actor_model(), user),
                         target=sample_object(notification.get_target_model(), user),
                         recipient=obj, **links)


def preview(notification: Notification, backend_id: str, content: str, subject: str = "",
            *, user: Any = None) -> str:
    """Render ``content`` as backend ``backend_id`` would, against sample objects:
    real ones only for a ``user`` allowed to view them (the admin always passes
    the editor), or for code calling without a user; see the module."""
    backend = backend_registry.by_id(backend_id)()
    params = sample_context(notification, user)
    with rendering_without_writes():
        return backend.preview_message(subject, content, params)


def preview_digest(notification: Notification, backend_id: str, content: str, subject: str = "",
                   *, item_content: str = "", item_subject: str = "", count: int = 2,
                   user: Any = None) -> str:
    """Render a digest template (``content``, ``subject``; blank: the one made
    from the individual template) as backend ``backend_id`` would, with
    ``count`` sample items rendered from ``item_content``/``item_subject``
    (the individual template), in a transaction that is rolled back.  The
    sample objects are chosen as :func:`preview` chooses them for ``user``."""
    backend = backend_registry.by_id(backend_id)()
    if not content:
        subject, content = digests.digest_source(
            Template(backend=backend_id, subject=item_subject, digest_subject=subject))
    params = sample_context(notification, user)
    now = timezone.now()
    start, end = holding.window(Template.HOURLY, now)
    with rendering_without_writes():
        message = backend.build_message(item_subject, item_content, params)
        context = digests.digest_context(
            params, [(params, message, now)] * count,
            {"name": Template.HOURLY, "start": start, "end": end})
        return backend.preview_message(subject, content, context)
