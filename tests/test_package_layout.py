"""The activities, preferences and admin packages: the IRI module stands
alone, and every name importable from the old modules still is (issues 16
and 28)."""

import importlib
import pathlib
import subprocess
import sys

import pytest
from django.utils.module_loading import import_string

import django_vox
from django_vox import activities, exceptions, preferences
from django_vox.activities import iri
from django_vox.background import tasks as background_tasks
from django_vox.digests import closing
from django_vox.exceptions import RemovedInDjangoVox6Warning
from django_vox.pacing import retry as pacing_retry
from django_vox.templating import visibility


def test_the_iri_module_imports_nothing_else_from_django_vox():
    code = ("import sys, django_vox.activities.iri; "
            "print(sorted(m for m in sys.modules if m.startswith('django_vox')))")
    root = pathlib.Path(__file__).resolve().parent.parent  # this checkout's django_vox
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=root).stdout
    assert out.strip() == "['django_vox', 'django_vox.activities', 'django_vox.activities.iri']"


@pytest.mark.parametrize("name", activities.__all__)
def test_every_documented_activities_name_resolves(name):
    assert getattr(activities, name) is not None
    assert name in dir(activities)


def test_an_unknown_activities_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no_such_thing"):
        activities.no_such_thing  # noqa: B018


@pytest.mark.parametrize("name", preferences.__all__)
def test_every_preferences_name_resolves(name):
    assert getattr(preferences, name) is not None


def test_exceptions_are_shared_with_their_old_homes():
    assert activities.ActivityIRIError is exceptions.ActivityIRIError
    assert preferences.BadToken is exceptions.BadToken
    assert issubclass(exceptions.ActivityIRIError, (exceptions.VoxError, ValueError))
    assert issubclass(exceptions.BadToken, (exceptions.VoxError, ValueError))


@pytest.mark.parametrize("module, names", [
    ("django_vox.admin", ["notify", "NotificationAdmin", "TemplateInline", "SiteContactAdmin",
                          "DeliveryAdmin", "FailedMessageAdmin", "PreferenceAdmin"]),
    ("django_vox.inbox", ["ActivityInboxMiddleware", "activity_detail", "inbox", "outbox",
                          "inbox_limit"]),
    ("django_vox.views", ["unsubscribe", "preferences"]),
])
def test_old_import_paths_still_work(module, names):
    loaded = importlib.import_module(module)
    for name in names:
        assert hasattr(loaded, name), f"{module}.{name}"


@pytest.mark.parametrize("name", ["TemplateForm", "NotifyForm", "IssueForm", "backend_info",
                                  "template_error", "editor_template_problem"])
def test_the_old_forms_module_warns_naming_the_new_one(name):
    import django_vox.admin.forms
    import django_vox.forms

    with pytest.warns(RemovedInDjangoVox6Warning,
                      match=rf"^django_vox\.forms\.{name} is deprecated and removed in "
                            rf"django-vox 6\.0; import {name} from django_vox\.admin\.forms\.$"):
        found = getattr(django_vox.forms, name)
    assert found is getattr(django_vox.admin.forms, name)


def test_fill_regex_gives_the_path_or_none():
    regex = r"^users/(?P<username>[\w.@+-]+)/$"
    assert iri.fill_regex(regex, {"username": "ann"}) == "users/ann/"
    assert iri.fill_regex(regex, {"username": "a/b"}) is None


def test_relative_path_only_for_this_site():
    base = "https://example.org/"
    assert iri.relative_path("https://EXAMPLE.org/users/a%20b/", base) == "users/a b/"
    assert iri.relative_path("http://example.org/users/ann/", base) is None
    assert iri.relative_path("https://example.org/users/ann/?x=1", base) is None


def test_activity_keys_from_urns_and_paths():
    key = "0F8FAD5B-D9CB-469F-A165-70867728950E"
    assert iri.key_from_urn(f"urn:uuid:{key}") == key.lower()
    assert iri.key_from_urn("urn:uuid:not-a-key") is None
    zero = "00000000-0000-0000-0000-000000000000"
    template = f"/vox/activities/{zero}/"
    assert iri.key_from_path(f"vox/activities/{key}/", template, zero) == key.lower()
    assert iri.key_from_path("vox/activities/nope/", template, zero) is None
    assert iri.key_from_path(f"other/{key}/", template, zero) is None


class _Thing:
    class _meta:  # noqa: N801 - stands in for a model's options
        label = "app.Thing"

    def __init__(self, slug):
        self.slug = slug


def test_object_path_names_the_object_when_it_has_no_path():
    regex = r"^things/(?P<slug>[a-z]+)/$"
    assert iri.object_path(_Thing("abc"), regex) == "things/abc/"
    with pytest.raises(ValueError, match="app.Thing .* has no value for slug"):
        iri.object_path(_Thing(None), regex)
    with pytest.raises(ValueError, match="do not fit its regex"):
        iri.object_path(_Thing("ABC"), regex)


# -- one folder per concept (issue 28): the earlier paths still import ---------------
@pytest.mark.parametrize("old, new", sorted(django_vox.MOVED.items()))
def test_a_moved_module_imports_from_its_old_path_as_the_same_module(old, new):
    module = importlib.import_module(old)
    assert module is importlib.import_module(new)
    assert module.__name__ == new and module.__spec__.name == new


def test_an_old_path_finds_names_through_import_string():
    assert (import_string("django_vox.inbox.ActivityInboxMiddleware")
            is import_string("django_vox.activities.inbox.ActivityInboxMiddleware"))
    assert import_string("django_vox.retry.retry_delay") is pacing_retry.retry_delay
    assert import_string("django_vox.digests.send_digests") is closing.send_digests
    assert import_string("django_vox.digests.describe_digest_context") is (
        visibility.describe_digest_context)


def test_an_unknown_digests_name_is_an_attribute_error():
    import django_vox.digests

    with pytest.raises(AttributeError, match="no_such_thing"):
        django_vox.digests.no_such_thing  # noqa: B018


@pytest.mark.parametrize("name", ["deliver", "send_chunk", "send_due", "send_digests_task"])
def test_tasks_queued_under_the_old_module_path_still_resolve(name):
    # Queued task rows store the task's dotted path; rows written before the
    # tasks moved into django_vox.background name django_vox.tasks.
    task = import_string(f"django_vox.tasks.{name}")
    assert task is getattr(background_tasks, name)
    assert import_string(task.module_path) is task


def test_the_registry_exports_every_public_name():
    from django_vox import registry

    for name in ["objects", "Registration", "SignalRegistration", "Notification", "Channel",
                 "Contact", "provides_contacts", "Attachment", "backends", "TemplateVariable",
                 "ObjectRegistry", "RegistryEntry"]:
        assert getattr(registry, name) is not None, name
