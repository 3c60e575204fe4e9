"""URLs of django-vox's public views.  Include them with
``path("vox/", include("django_vox.urls"))``."""

from django.urls import path  # noqa: F401

app_name = "django_vox"

urlpatterns = [
]
