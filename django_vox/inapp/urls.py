"""URLs of the in-app messages, included by ``django_vox.urls`` under
``inapp/`` (names in the ``django_vox`` namespace, e.g. ``django_vox:inapp-count``)."""

from django.urls import path

from django_vox.inapp import sse, views

urlpatterns = [
    path("", views.page, name="inapp-page"),
    path("api/messages/", views.messages, name="inapp-messages"),
    path("api/count/", views.count, name="inapp-count"),
    path("api/stream/", sse.stream, name="inapp-stream"),
    path("api/messages/<int:pk>/<str:action>/", views.change, name="inapp-change"),
    path("api/<str:action>-all/", views.mark_all, name="inapp-all"),
]
