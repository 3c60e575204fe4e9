"""The 4.x module ``django_vox.middleware``: ``activity_inbox_middleware``.

Part of the compat side: the middleware is :mod:`django_vox.compat.middleware`;
naming it here warns and is removed in django-vox 6.0.
"""

from django_vox.compat import moved_names

__getattr__, __dir__ = moved_names(__name__, {
    name: ("django_vox.compat.middleware",
           "use django_vox.activities.inbox.ActivityInboxMiddleware in MIDDLEWARE (the inbox and outbox; "
           "actor documents are the project's own views).")
    for name in ("activity_inbox_middleware", "ENDPOINTS")
})
