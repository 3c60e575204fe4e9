"""The layered core (issue 16): one home per concern, one direction of imports.

The site-URL helper, the exception home, the resend result, the contact
policy injection point, the backend session and the import layers.
"""

import ast
import pathlib

import pytest
from django.core.exceptions import ImproperlyConfigured

import django_vox
from django_vox import conf, deliverylog, exceptions, issuing
from django_vox.backends import locmem
from django_vox.issuing import BackendSession, build_context, policy, resending
from django_vox.models import Delivery, FailedMessage
from django_vox.registry import Contact
from tests.testapp.backends import FlakyBackend
from tests.testapp.models import Article, Subscriber
from tests.testapp.registrations import ArticleRegistration

PACKAGE = pathlib.Path(django_vox.__file__).parent


# -- conf: the one site-URL helper -------------------------------------------------
@pytest.mark.parametrize("domain, ssl, base", [
    ("example.org", True, "https://example.org"),
    ("example.org", False, "http://example.org"),
    ("example.org/", True, "https://example.org"),
    ("example.org:8000", False, "http://example.org:8000"),
    ("https://example.org/", False, "https://example.org"),  # a written scheme wins
    ("http://example.org", True, "http://example.org"),
    ("  https://Example.org:8443//  ", True, "https://Example.org:8443"),
])
def test_site_base_url_accepts_domains_with_or_without_scheme(settings, domain, ssl, base):
    settings.SITE_DOMAIN, settings.SITE_SSL = domain, ssl
    assert conf.site_base_url() == base
    assert conf.site_url("/vox/unsubscribe/t/") == base + "/vox/unsubscribe/t/"
    assert conf.site_url("") == base + "/"


@pytest.mark.parametrize("domain", ["example.org/blog", "ftp://example.org", "https://",
                                    "example.org?x=1"])
def test_site_base_url_names_the_setting_for_what_it_cannot_use(settings, domain):
    settings.SITE_DOMAIN = domain
    with pytest.raises(ImproperlyConfigured, match="SITE_DOMAIN") as info:
        conf.site_base_url()
    assert repr(domain) in str(info.value)


@pytest.mark.django_db
def test_site_base_url_falls_back_to_the_sites_framework(settings):
    from django.contrib.sites.models import Site

    settings.SITE_DOMAIN = None
    Site.objects.update_or_create(pk=settings.SITE_ID, defaults={"domain": "sites.example.org"})
    Site.objects.clear_cache()
    assert conf.site_base_url() == "https://sites.example.org"


def test_site_base_url_without_any_site(settings):
    settings.SITE_DOMAIN = None
    settings.INSTALLED_APPS = [app for app in settings.INSTALLED_APPS
                               if app != "django.contrib.sites"]
    assert conf.site_base_url(required=False) is None
    assert conf.site_url("/x/", required=False) is None
    with pytest.raises(ImproperlyConfigured, match="SITE_DOMAIN"):
        conf.site_base_url()


@pytest.mark.parametrize("value", [0, -3, "many", None, True])
def test_positive_int_names_the_setting(settings, value):
    settings.DJANGO_VOX_BATCH_SIZE = value
    with pytest.raises(ImproperlyConfigured, match="DJANGO_VOX_BATCH_SIZE"):
        conf.positive_int("DJANGO_VOX_BATCH_SIZE")


# -- exceptions: one module, re-exported where documented --------------------------
def test_every_exception_class_lives_in_exceptions():
    for path in PACKAGE.rglob("*.py"):
        if path.name == "exceptions.py" or "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases = {getattr(b, "id", getattr(b, "attr", "")) for b in node.bases}
                assert not bases & {"Exception", "VoxError", "ValueError", "RuntimeError"}, (
                    f"{path.relative_to(PACKAGE)} defines exception {node.name}")


def test_documented_exception_paths_still_import():
    assert issuing.IssueError is exceptions.IssueError
    assert issubclass(exceptions.IssueError, ValueError)
    assert issubclass(exceptions.RequiredNotificationError, exceptions.VoxError)
    assert issubclass(exceptions.RequiredNotificationError, RuntimeError)


@pytest.mark.django_db
def test_required_notification_that_sends_nothing_raises_its_own_error(make_template):
    from django.contrib.auth import get_user_model

    author = get_user_model().objects.create(username="ann", email="ann@example.org")
    article = Article.objects.create(author=author, title="Hello")
    make_template(Article, "urgent", recipients="c:subs")  # no subscribers: reaches nobody
    with pytest.raises(exceptions.RequiredNotificationError, match="urgent.*would send nothing"):
        ArticleRegistration.urgent.issue(article)
    assert Delivery.objects.count() == 0


# -- resending: one path, one result -------------------------------------------------
@pytest.fixture
def logged(db, make_template, committed, settings):
    """Three deliveries of one issue: one sent, one failed, one suppressed."""
    from django.contrib.auth import get_user_model

    settings.DJANGO_VOX_BACKENDS = ["django_vox.backends.locmem.Backend",
                                    "tests.testapp.backends.FlakyBackend"]
    author = get_user_model().objects.create(username="ann", email="ann@example.org")
    article = Article.objects.create(author=author, title="Hello")
    for i in range(2):
        Subscriber.objects.create(name=f"S{i}", email=f"s{i}@example.org")
    make_template(Article, "published", backend="flaky", recipients="c:subs", content="Hi")
    FlakyBackend.failing = {"s1@example.org"}
    try:
        with committed():
            ArticleRegistration.published.issue(article)
    finally:
        FlakyBackend.failing = set()
    sent = Delivery.objects.get(status=Delivery.SENT)
    failed = FailedMessage.objects.get()
    suppressed = Delivery.objects.create(backend="flaky", to_addresses=["x@example.org"],
                                         status=Delivery.SUPPRESSED, message={"text": "Hi"})
    locmem.outbox.clear()
    return sent, failed, suppressed


def test_resend_counts_each_outcome(logged):
    sent, failed, suppressed = logged
    result = resending.resend([sent, failed, suppressed])
    assert (result.sent, result.failed, result.skipped, result.suppressed) == (1, 0, 1, 1)
    assert result == {"sent": 1, "failed": 0, "skipped": 1, "suppressed": 1}
    assert result.outcomes == {sent.pk: True, failed.pk: True, suppressed.pk: False}
    assert [m.to for m in locmem.outbox] == [["s1@example.org"]]
    assert Delivery.objects.get(pk=suppressed.pk).status == Delivery.SUPPRESSED


def test_model_resend_goes_through_the_same_path(logged):
    _sent, failed, suppressed = logged
    assert failed.resend() is True
    assert suppressed.resend() is False
    assert [m.to for m in locmem.outbox] == [["s1@example.org"]]


# -- issuing: the contact policy injection point -----------------------------------------
class _SuppressEveryone:
    def __init__(self, notification, protocol):
        self.protocol = protocol

    def split(self, contacts):
        return [], [(contact, f"no {self.protocol} today") for contact in contacts]


@pytest.fixture
def policy_restored():
    saved = policy._filter_factory, policy._links_factory
    yield
    policy.install_contact_policy(*saved)


def test_preferences_are_installed_as_the_contact_policy_at_startup():
    from django_vox.preferences import PreferenceFilter, unsubscribe_links

    # The suppression list (django_vox.tracking) is checked before the preferences.
    assert policy._filter_factory.wrapped is PreferenceFilter
    assert policy._links_factory is unsubscribe_links


@pytest.mark.django_db
def test_an_installed_policy_decides_who_is_written_to(policy_restored, make_template, committed):
    from django.contrib.auth import get_user_model

    author = get_user_model().objects.create(username="ann", email="ann@example.org")
    article = Article.objects.create(author=author, title="Hello")
    make_template(Article, "published", recipients="c:author")
    issuing.install_contact_policy(_SuppressEveryone, policy.NoLinks)
    with committed():
        ArticleRegistration.published.issue(article)
    assert locmem.outbox == []
    row = Delivery.objects.get()
    assert (row.status, row.error, row.to_addresses) == (
        Delivery.SUPPRESSED, "no email today", ["ann@example.org"])
    issuing.install_contact_policy(policy.AllowAll, policy.NoLinks)
    with committed():
        ArticleRegistration.published.issue(article)
    assert [m.to for m in locmem.outbox] == [["ann@example.org"]]
    assert "unsubscribe_url" not in locmem.outbox[0].body


# -- issuing: the backend session and the context -----------------------------------------
class _WontOpen(locmem.Backend):
    ID = "wont-open"
    closed = 0

    def open(self):
        raise ConnectionRefusedError("no route to the server")

    def close(self):
        type(self).closed += 1


@pytest.mark.django_db
def test_backend_session_records_an_open_failure_on_every_row():
    writer = deliverylog.LogWriter(backend="wont-open", protocol="email", object_id="")
    rows = writer.write([writer.row([f"p{i}@example.org"]) for i in range(2)])
    messages = [Delivery(message={"text": "Hi"}).get_message() for _ in rows]
    with BackendSession(_WontOpen) as session:
        sent, failed = session.send(rows, messages)
    assert sent == 0 and [row.pk for row, _err in failed] == [row.pk for row in rows]
    assert _WontOpen.closed == 1
    for saved in Delivery.objects.all():
        assert saved.status == Delivery.FAILED
        assert saved.error == "ConnectionRefusedError: no route to the server"


def test_background_issue_needs_a_retry_callback():
    with pytest.raises(ValueError, match="schedule_retry"):
        issuing.Issue(object(), object(), templates=[], background=True)


def test_build_context_for_a_notification_and_a_one_time_message():
    contact = Contact("Ann", "email", "ann@example.org", obj="ANN")
    full = build_context("OBJ", notification="N", actor="A", contact=contact,
                         unsubscribe_url="u")
    # The objects themselves stay in ``live`` (for backends); templates get data (issue 17).
    assert full.live == {"object": "OBJ", "content": "OBJ", "actor": "A", "source": "A",
                         "target": None, "notification": "N", "contact": contact,
                         "recipient": "ANN", "unsubscribe_url": "u"}
    assert {name: value for name, value in full.items() if name != "contact"} == {
        "object": "OBJ", "content": "OBJ", "actor": "A", "source": "A", "target": None,
        "notification": "N", "recipient": "ANN", "unsubscribe_url": "u"}
    assert full["contact"]["address"] == "ann@example.org"
    one_time = build_context("OBJ", contact=Contact("Ann", "email", "ann@example.org"))
    assert set(one_time) == {"object", "content", "contact", "recipient"}
    assert one_time["recipient"] is one_time["contact"]


# -- the layers ---------------------------------------------------------------------------
def _module_level_imports(relative):
    tree = ast.parse((PACKAGE / relative).read_text())
    found = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("django_vox"):
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("django_vox")}
    return found


@pytest.mark.parametrize("module, forbidden", [
    *[(f"models/{name}", ("django_vox.registry", "django_vox.issuing", "django_vox.deliverylog",
                          "django_vox.tasks", "django_vox.background",
                          "django_vox.issuing.resending", "django_vox.preferences"))
      for name in ("__init__.py", "notifications.py", "contacts.py", "deliveries.py",
                   "activities.py", "preferences.py", "background.py")],
    *[(f"registry/{name}", ("django_vox.issuing", "django_vox.deliverylog", "django_vox.tasks",
                            "django_vox.background", "django_vox.preferences",
                            "django_vox.activities"))
      for name in ("__init__.py", "declarations.py", "registrations.py")],
    *[(f"deliverylog/{name}", ("django_vox.issuing", "django_vox.tasks", "django_vox.background",
                               "django_vox.issuing.resending", "django_vox.preferences",
                               "django_vox.registry"))
      for name in ("__init__.py", "states.py", "writer.py", "pipelining.py")],
    *[(f"issuing/{name}", ("django_vox.tasks", "django_vox.background",
                           "django_vox.issuing.resending",
                           "django_vox.preferences", "django_vox.activities"))
      for name in ("__init__.py", "recipients.py", "context.py", "issue.py", "dispatch.py",
                   "policy.py")],
    ("issuing/resending.py", ("django_vox.tasks", "django_vox.background",
                              "django_vox.preferences")),
    # Digest options and holding sit below issuing; the models use the options.
    ("digests/options.py", ("django_vox.models", "django_vox.registry", "django_vox.issuing",
                            "django_vox.deliverylog", "django_vox.digests.closing")),
    ("digests/holding.py", ("django_vox.registry", "django_vox.issuing",
                            "django_vox.deliverylog", "django_vox.digests.closing")),
    # Rate limits sit beside retry: settings and the cache only.
    ("pacing/ratelimit.py", ("django_vox.models", "django_vox.registry", "django_vox.deliverylog",
                             "django_vox.issuing", "django_vox.backends", "django_vox.tasks")),
    ("pacing/retry.py", ("django_vox.models", "django_vox.registry", "django_vox.deliverylog",
                         "django_vox.issuing", "django_vox.backends", "django_vox.tasks")),
    # The Retry-After parser is below everything, the HTTP client included.
    ("pacing/retryafter.py", ("django_vox.",)),
])
def test_lower_layers_never_import_higher_ones(module, forbidden):
    # django_vox.activities.iri imports nothing of the package: any layer may use it.
    imported = _module_level_imports(module) - {"django_vox.activities.iri"}
    assert not {name for name in imported if name.startswith(forbidden)}


def test_only_tasks_imports_the_tasks_framework():
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text()
        if path.relative_to(PACKAGE).as_posix() != "background/tasks.py":
            assert "django_tasks" not in text and "django.tasks" not in text, path
