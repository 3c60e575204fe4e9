"""A URLconf without django_vox.urls (tests of the tracking settings)."""

urlpatterns = []
