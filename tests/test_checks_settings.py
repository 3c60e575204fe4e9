"""``manage.py check`` reports every setting that cannot work, backend entries
that are not dotted paths or raise on import, and templates whose backend is
not enabled."""

import io

import pytest
from django.core import checks as django_checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from django_vox import checks, conf
from tests.testapp.models import Article


def ids_of(messages):
    return [(message.id, message.obj) for message in messages]


def setting_errors():
    return ids_of(checks.check_settings())


def test_defaults_and_test_settings_pass():
    assert setting_errors() == []


@pytest.mark.parametrize(("name", "value", "check_id", "says"), [
    ("SITE_DOMAIN", "ftp://example.org", "E010", "only http and https"),
    ("SITE_DOMAIN", "example.org/shop", "E010", "must be a host name"),
    ("DJANGO_VOX_ISSUE_METHOD", "no_such_module.issue", "E011", "could not be imported"),
    ("DJANGO_VOX_ISSUE_METHOD", "django_vox.conf.DEFAULTS", "E011", "is not a function"),
    ("DJANGO_VOX_HTTP_TIMEOUT", None, "E012", "blocks its worker"),
    ("DJANGO_VOX_HTTP_TIMEOUT", 0, "E012", "above 0"),
    ("DJANGO_VOX_HTTP_TIMEOUT", "10", "E012", "above 0"),
    ("DJANGO_VOX_MARKDOWN_EXTRAS", ["markdown.extensions.no_such"], "E013", "could not be loaded"),
    ("DJANGO_VOX_MARKDOWN_EXTRAS", "tables", "E013", "must be a list"),
    ("DJANGO_VOX_ACTIVITY_REGEX", "(unclosed", "E014", "is invalid"),
    ("DJANGO_VOX_ACTIVITY_REGEX", r"^/(?P<path>.+)$", "E014", "named groups"),
    ("DJANGO_VOX_XMPP_SERVER", "xmpp.example.org", "E015", "host:port"),
    ("DJANGO_VOX_XMPP_SERVER", "xmpp.example.org:70000", "E015", "host:port"),
    ("DJANGO_VOX_MAX_ATTEMPTS", 0, "E016", "at least 1"),
    ("DJANGO_VOX_MAX_ATTEMPTS", "many", "E016", "at least 1"),
    ("DJANGO_VOX_BATCH_SIZE", 2.5, "E017", "at least 1"),
    ("DJANGO_VOX_CHUNK_SIZE", 0, "E023", "at least 1"),
    ("DJANGO_VOX_CHUNK_SIZE", "auto", "E023", "at least 1"),
    ("DJANGO_VOX_CONCURRENCY", 0, "E022", "at least 1"),
    ("DJANGO_VOX_CONCURRENCY", 65, "E022", "at most 64"),
    ("DJANGO_VOX_CONCURRENCY", {"email-html": 0}, "E022", "['email-html']"),
    ("DJANGO_VOX_CONCURRENCY", {4: 4}, "E022", "backend IDs"),
])
def test_a_setting_that_cannot_work_is_a_check_error(settings, name, value, check_id, says):
    pytest.importorskip("markdown") if name == "DJANGO_VOX_MARKDOWN_EXTRAS" else None
    setattr(settings, name, value)
    (message,) = checks.check_settings()
    assert (message.id, message.obj) == (f"django_vox.{check_id}", name)
    assert says in message.msg and name in message.msg


@pytest.mark.parametrize(("name", "value"), [
    ("SITE_DOMAIN", "https://example.org/"),
    ("SITE_DOMAIN", "example.org:8000"),
    ("DJANGO_VOX_ISSUE_METHOD", "django_vox.tasks.issue"),
    ("DJANGO_VOX_ISSUE_METHOD", "django_vox.models.Notification.issue_now"),
    ("DJANGO_VOX_HTTP_TIMEOUT", 2.5),
    ("DJANGO_VOX_HTTP_TIMEOUT", (3, 30)),
    ("DJANGO_VOX_MARKDOWN_EXTRAS", ["markdown.extensions.tables"]),
    ("DJANGO_VOX_ACTIVITY_REGEX", r"^/(?P<path>.+)/(?P<box>inbox|outbox)/$"),
    ("DJANGO_VOX_XMPP_SERVER", "[::1]:5222"),
    ("DJANGO_VOX_MAX_ATTEMPTS", 3),
    ("DJANGO_VOX_CHUNK_SIZE", None),
    ("DJANGO_VOX_CHUNK_SIZE", 250),
    ("DJANGO_VOX_CONCURRENCY", 4),
    ("DJANGO_VOX_CONCURRENCY", {"email-html": 8, "twilio": 2}),
])
def test_values_that_work_pass(settings, name, value):
    setattr(settings, name, value)
    assert setting_errors() == []
    conf.validate(name)


def test_4x_forms_are_accepted_through_the_adapters_compat_installs(settings):
    from django.core.exceptions import ImproperlyConfigured

    from django_vox.exceptions import RemovedInDjangoVox6Warning

    settings.DJANGO_VOX_ACTIVITY_REGEX = r"^/activities/(?P<id>\d+)/$"  # the 4.x meaning
    pytest.importorskip("markdown")
    settings.DJANGO_VOX_MARKDOWN_EXTRAS = ["fenced-code-blocks", "tables", "latex"]  # markdown2
    # django_vox.compat adapts both settings before conf's validators see them
    with pytest.warns(RemovedInDjangoVox6Warning, match="DJANGO_VOX_ACTIVITY_REGEX"), \
            pytest.warns(RemovedInDjangoVox6Warning, match="DJANGO_VOX_MARKDOWN_EXTRAS"):
        assert setting_errors() == []
        found = {m.id for m in django_checks.run_checks(tags=["django_vox"])}
    assert {"django_vox.W030", "django_vox.W031"} <= found
    with pytest.raises(ImproperlyConfigured, match="named groups"):
        conf.validate_activity_regex(settings.DJANGO_VOX_ACTIVITY_REGEX)
    settings.DJANGO_VOX_MARKDOWN_EXTRAS = ["fenced-code-blocks", "no_such_extension"]
    with pytest.warns(RemovedInDjangoVox6Warning, match="DJANGO_VOX_ACTIVITY_REGEX"), \
            pytest.warns(RemovedInDjangoVox6Warning, match="DJANGO_VOX_MARKDOWN_EXTRAS"):
        assert ids_of(checks.check_settings()) == [
            ("django_vox.E013", "DJANGO_VOX_MARKDOWN_EXTRAS")]


class NotABackend:
    pass


@pytest.mark.django_db
def test_backend_entries_that_are_not_strings_or_raise_on_import(settings):
    settings.DJANGO_VOX_BACKENDS = ["django_vox.backends.locmem.Backend", NotABackend,
                                    "tests.exploding_backend.Backend"]
    found = {message.id: message.msg for message in checks.check_backends()}
    assert "must be dotted paths (strings)" in found["django_vox.E004"]
    assert "NotABackend" in found["django_vox.E004"]
    assert "'tests.exploding_backend.Backend' could not be imported" in found["django_vox.E001"]
    assert "RuntimeError: the SDK is broken" in found["django_vox.E001"]
    with pytest.raises(SystemCheckError, match="E004"):
        call_command("check")


@pytest.mark.django_db
def test_template_of_a_backend_not_enabled_is_a_warning(make_template):
    kept = make_template(Article, "published", backend="locmem")
    orphan = make_template(Article, "published", backend="gone-backend")
    make_template(Article, "published", backend="gone-backend", enabled=False)
    messages = checks.check_templates()
    assert [(m.id, m.obj) for m in messages] == [("django_vox.W002", orphan)]
    assert "'gone-backend', which is not enabled" in messages[0].msg
    assert kept not in [m.obj for m in messages]
    out, err = io.StringIO(), io.StringIO()
    call_command("check", stdout=out, stderr=err)
    assert "django_vox.W002" in err.getvalue() + out.getvalue()
