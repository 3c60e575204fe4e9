"""Preview of editor templates, as the admin shows them.

Rendering runs in a transaction that is rolled back, so a template cannot
change the database even through a method that writes.
"""

from django.db import transaction

from django_vox.backends import backends as backend_registry

__all__ = ["preview", "sample_object"]


def sample_object(model):
    """A real row of ``model`` when one exists, else an unsaved made-up instance."""
    if model is None:
        return None
    instance = model._default_manager.order_by("-pk").first()
    return instance if instance is not None else model()


def preview(notification, backend_id, content, subject=""):
    """Render ``content`` as backend ``backend_id`` would, against sample objects.

    Runs in a transaction that is rolled back, so an editor's template cannot
    change the database even through a method that writes.
    """
    backend_class = backend_registry.by_id(backend_id)
    backend = backend_class()
    obj = sample_object(notification.get_object_model())
    params = {
        "object": obj, "content": obj,
        "actor": sample_object(notification.get_actor_model()),
        "target": sample_object(notification.get_target_model()),
        "notification": notification,
    }
    params["source"] = params["actor"]
    params["recipient"] = obj
    if not notification.required:  # sample links, so the preview shows where they go
        params["unsubscribe_url"] = "https://example.org/unsubscribe/sample-token/"
        params["preferences_url"] = "https://example.org/preferences/sample-token/"
    with transaction.atomic():
        html = backend.preview_message(subject, content, params)
        transaction.set_rollback(True)
    return html
