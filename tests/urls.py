import importlib.util

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("vox/", include("django_vox.urls")),
]

if importlib.util.find_spec("anymail") is not None:  # the "anymail" extra (tests of tracking)
    urlpatterns.append(path("anymail/", include("anymail.urls")))
