"""Preview of editor templates, as the admin shows them.

Rendering runs in a transaction that is rolled back, so a template cannot
change the database even through a method that writes.
"""

from typing import Any

from django.utils import timezone

from django_vox import digests
from django_vox.backends import backends as backend_registry
from django_vox.issuing import build_context, holding, rendering_without_writes
from django_vox.models import Notification, Template

__all__ = ["preview", "preview_digest", "sample_object"]


def sample_object(model: type | None) -> Any:
    """A real row of ``model`` when one exists, else an unsaved made-up instance."""
    if model is None:
        return None
    instance = model._default_manager.order_by("-pk").first()
    return instance if instance is not None else model()


def preview(notification: Notification, backend_id: str, content: str, subject: str = "") -> str:
    """Render ``content`` as backend ``backend_id`` would, against sample objects.

    Runs in a transaction that is rolled back, so an editor's template cannot
    change the database even through a method that writes.
    """
    backend_class = backend_registry.by_id(backend_id)
    backend = backend_class()
    obj = sample_object(notification.get_object_model())
    links = {}
    if not notification.required:  # sample links, so the preview shows where they go
        links = {"unsubscribe_url": "https://example.org/unsubscribe/sample-token/",
                 "preferences_url": "https://example.org/preferences/sample-token/"}
    params = build_context(obj, notification=notification,
                           actor=sample_object(notification.get_actor_model()),
                           target=sample_object(notification.get_target_model()),
                           recipient=obj, **links)
    with rendering_without_writes():
        return backend.preview_message(subject, content, params)


def preview_digest(notification: Notification, backend_id: str, content: str, subject: str = "",
                   *, item_content: str = "", item_subject: str = "", count: int = 2) -> str:
    """Render a digest template (``content``, ``subject``; blank: the one made
    from the individual template) as backend ``backend_id`` would, with
    ``count`` sample items rendered from ``item_content``/``item_subject``
    (the individual template), in a transaction that is rolled back."""
    backend = backend_registry.by_id(backend_id)()
    if not content:
        subject, content = digests.digest_source(
            Template(backend=backend_id, subject=item_subject, digest_subject=subject))
    obj = sample_object(notification.get_object_model())
    links = {}
    if not notification.required:
        links = {"unsubscribe_url": "https://example.org/unsubscribe/sample-token/",
                 "preferences_url": "https://example.org/preferences/sample-token/"}
    params = build_context(obj, notification=notification,
                           actor=sample_object(notification.get_actor_model()),
                           target=sample_object(notification.get_target_model()),
                           recipient=obj, **links)
    now = timezone.now()
    start, end = holding.window(Template.HOURLY, now)
    with rendering_without_writes():
        message = backend.build_message(item_subject, item_content, params)
        item = dict(params, subject=message.subject, text=message.text, html=message.html,
                    created_at=now)
        context = {"notification": notification, "recipient": obj, "items": [item] * count,
                   "count": count, "window": {"name": Template.HOURLY, "start": start,
                                              "end": end}, **links}
        return backend.preview_message(subject, content, context)
