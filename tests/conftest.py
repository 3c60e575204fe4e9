"""Shared fixtures.  The servers the tests need are started by the fixtures in
tests/fixtures/ (pytest plugins listed below); objects of the test app come
from tests/factories.py."""

from pathlib import Path

import pytest

from tests import factories

TESTS = Path(__file__).resolve().parent

# Test modules that need nothing but django-vox without any extra, pytest and
# pytest-django.  ``pytest -m no_extras`` (tox -e minimal) imports only these, so
# the others' imports of optional SDKs and test servers are never attempted.
NO_EXTRAS = {
    "test_activity_backend.py", "test_activity_documents.py", "test_activity_inbox.py",
    "test_activity_uris.py", "test_admin.py", "test_admin_actions.py",
    "test_admin_activity.py", "test_admin_safety.py", "test_deliverylog.py",
    "test_foundation.py", "test_issuing.py", "test_layers.py", "test_layout.py",
    "test_package_layout.py", "test_preferences.py", "test_preferences_views.py",
    "test_registry.py", "test_smoke.py", "test_sync.py", "test_tasks_commands.py",
    "test_testing_helpers.py",
}

pytest_plugins = [
    "tests.fixtures.smtp",
    "tests.fixtures.xmpp",
    "tests.fixtures.browser",
    "tests.fixtures.asgi",
    "tests.fixtures.workers",
    "tests.fixtures.activity",
    "django_vox.test",
]


def _needs_no_extras(path: Path) -> bool:
    return path.is_relative_to(TESTS) and path.relative_to(TESTS).as_posix() in NO_EXTRAS


def pytest_ignore_collect(collection_path, config):
    if ((config.option.markexpr or "").strip() == "no_extras" and collection_path.suffix == ".py"
            and collection_path.name.startswith("test_")
            and not _needs_no_extras(collection_path)):
        return True
    return None


@pytest.hookimpl(tryfirst=True)  # before -m selects by marker
def pytest_collection_modifyitems(config, items):
    for item in items:
        if _needs_no_extras(item.path):
            item.add_marker(pytest.mark.no_extras)


@pytest.fixture(autouse=True)
def _clear_outbox(vox_outbox):
    """Every test starts and ends with an empty locmem outbox."""
    return vox_outbox


@pytest.fixture
def ann(db):
    return factories.make_user("ann", first_name="Ann")


@pytest.fixture
def bob(db):
    return factories.make_user("bob")


@pytest.fixture
def subscribers(db):
    """Three subscribers, S0 to S2, with an email address and a phone number."""
    return factories.make_subscribers(3)


@pytest.fixture
def article(request, db):
    """An article by ``ann`` titled "Hello".  A module or test changes it with
    ``@pytest.mark.article(...)``: ``title``, ``unique`` (a random suffix on the
    title), ``editors`` (names of user fixtures), ``readers`` (names of new
    subscribers), ``comments`` (texts), ``with_fixtures`` (fixtures set up first).
    """
    marker = request.node.get_closest_marker("article")
    options = dict(marker.kwargs) if marker else {}
    for name in options.pop("with_fixtures", ()):
        request.getfixturevalue(name)
    title = options.pop("title", "Hello")
    if options.pop("unique", False):
        title = factories.unique(title)
    editors = [request.getfixturevalue(name) for name in options.pop("editors", ())]
    readers = [factories.make_subscriber(name) for name in options.pop("readers", ())]
    comments = options.pop("comments", ())
    if options:
        raise TypeError(f"@pytest.mark.article: unknown option(s) {sorted(options)}")
    return factories.make_article(request.getfixturevalue("ann"), title, editors=editors,
                                  readers=readers, comments=comments)


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
