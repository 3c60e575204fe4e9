"""Shared fixtures.  Servers the tests need are started by fixtures in the
test modules that use them (see tests/servers.py)."""

import pytest

from django_vox.backends import locmem

pytest_plugins = [
    "tests.fixtures.smtp",
    "tests.fixtures.xmpp",
    "tests.fixtures.browser",
    "tests.fixtures.workers",
    "tests.fixtures.activity",
]


@pytest.fixture(autouse=True)
def _clear_outbox():
    locmem.outbox.clear()
    yield
    locmem.outbox.clear()


@pytest.fixture
def make_template(db):
    """Create a template for a notification: make_template(model, codename, **fields)."""
    from django_vox.models import Notification, Template

    def make(model, codename, **fields):
        notification = Notification.objects.get_for_model(model, codename)
        fields.setdefault("backend", "locmem")
        fields.setdefault("recipients", "c")
        fields.setdefault("content", "Hello")
        attachments = fields.pop("attachments", ())
        template = Template.objects.create(notification=notification, **fields)
        for key in attachments:
            template.attachments.create(key=key)
        return template

    return make


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """``with committed():`` runs on-commit callbacks (deliveries) at block exit,
    as a real commit would, inside a test's transaction."""

    def run():
        return django_capture_on_commit_callbacks(execute=True)

    return run
