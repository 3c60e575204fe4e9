"""The test project as an ASGI application, its static files included (the
bell's script), for the browser tests that run under a real ASGI server
(``asgi_server`` in tests/fixtures/asgi.py).  ``DJANGO_SETTINGS_MODULE`` is
tests.settings, as pytest sets it."""

import os

from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

application = ASGIStaticFilesHandler(get_asgi_application())
