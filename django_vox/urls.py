"""URLs of django-vox's public views.  Include them with
``path("vox/", include("django_vox.urls"))``."""

from django.urls import path

from django_vox import views

app_name = "django_vox"

urlpatterns = [
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("preferences/", views.preferences, name="preferences"),
    path("preferences/<str:token>/", views.preferences, name="preferences-signed"),
]
