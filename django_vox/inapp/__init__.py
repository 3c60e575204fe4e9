"""In-app notifications: the messages the ``inapp`` backend stores for
signed-in users, and what a site shows them with (a bell widget, JSON
endpoints, a page listing them).

The package: :mod:`~django_vox.inapp.models` (the model, its manager and
queryset API; imports nothing of django-vox, so ``django_vox.models`` can
register it), :mod:`~django_vox.inapp.store` (how the backend writes rows in
one statement), :mod:`~django_vox.inapp.views` (the JSON endpoints and the
page), :mod:`~django_vox.inapp.sse` (the server-sent events stream for ASGI
sites), :mod:`~django_vox.inapp.urls` (included by ``django_vox.urls``) and
:mod:`~django_vox.inapp.purge` (retention, run by ``vox_purge``).
See docs/in-app.rst.
"""
