"""URLs of django-vox's public views.  Include them with
``path("vox/", include("django_vox.urls"))``."""

from django.urls import path, re_path

from django_vox.activities import inbox
from django_vox.preferences import views
from django_vox.tracking import postmark_webhook, twilio_callback

app_name = "django_vox"

urlpatterns = [
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("preferences/", views.preferences, name="preferences"),
    path("preferences/<str:token>/", views.preferences, name="preferences-signed"),
]

# What providers say about sent messages (django_vox.tracking, docs/tracking.rst).
urlpatterns += [
    path("tracking/postmark/", postmark_webhook.postmark_webhook, name="postmark-webhook"),
    path("tracking/twilio/", twilio_callback.twilio_status, name="twilio-status"),
]

# The activity backend's inboxes (see django_vox.inbox and docs/activities.rst).
urlpatterns += [
    path("activities/<uuid:key>/", inbox.activity_detail, name="activity"),
    re_path(r"^(?P<actor_path>(?:[^/]+/)+)inbox$", inbox.inbox, name="inbox"),
    re_path(r"^(?P<actor_path>(?:[^/]+/)+)outbox$", inbox.outbox, name="outbox"),
]
