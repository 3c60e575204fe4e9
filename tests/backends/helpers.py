"""Helpers shared by the backend tests."""

import time

from werkzeug import Response


def slow_handler(seconds, status=200):
    """A pytest-httpserver handler that answers only after ``seconds``."""

    def handler(request):
        time.sleep(seconds)
        return Response("{}", status=status, content_type="application/json")

    return handler


def settle(httpserver, count=1, limit=10.0):
    """Wait until the server logged ``count`` requests, so a slow answer still
    running cannot land in the next test's log."""
    deadline = time.monotonic() + limit
    while len(httpserver.log) < count and time.monotonic() < deadline:
        time.sleep(0.05)
