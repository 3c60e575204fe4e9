"""The test URLs plus a page with the bell (tests/test_inapp_browser.py)."""

from django.urls import path

from tests.inapp_helpers import bell_page
from tests.urls import urlpatterns as base

urlpatterns = [*base, path("bell/", bell_page)]
