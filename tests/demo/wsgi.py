"""WSGI entry point of the demo blog."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.demo.settings")

application = get_wsgi_application()
