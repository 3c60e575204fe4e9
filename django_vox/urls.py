"""URLs of django-vox's public views.  Include them with
``path("vox/", include("django_vox.urls"))``."""

from django.urls import path, re_path  # noqa: F401

from django_vox import inbox

app_name = "django_vox"

urlpatterns = [
]

# The activity backend's inboxes (see django_vox.inbox and docs/activities.rst).
urlpatterns += [
    path("activities/<uuid:key>/", inbox.activity_detail, name="activity"),
    re_path(r"^(?P<actor_path>(?:[^/]+/)+)inbox$", inbox.inbox, name="inbox"),
    re_path(r"^(?P<actor_path>(?:[^/]+/)+)outbox$", inbox.outbox, name="outbox"),
]
