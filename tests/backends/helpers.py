"""Helpers shared by the backend tests."""

import time

from werkzeug import Response


def slow_handler(seconds, status=200):
    """A pytest-httpserver handler that answers only after ``seconds``."""

    def handler(request):
        time.sleep(seconds)
        return Response("{}", status=status, content_type="application/json")

    return handler
