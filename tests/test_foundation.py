"""Settings helper, backend registry, base backend contract and system checks."""

import subprocess
import sys
from pathlib import Path

import pytest
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from django_vox import conf
from django_vox.backends import DEFAULT_BACKENDS, backends, inspect_backends, locmem
from django_vox.backends import base as backends_base
from django_vox.exceptions import MissingDependency
from django_vox.messages import Message, MessageAttachment

ROOT = Path(__file__).resolve().parent.parent


# -- settings -----------------------------------------------------------------
def test_settings_default_and_override():
    assert conf.get("DJANGO_VOX_INBOX_LIMIT") == 500
    with override_settings(DJANGO_VOX_INBOX_LIMIT=7):
        assert conf.get("DJANGO_VOX_INBOX_LIMIT") == 7
    assert conf.get("DJANGO_VOX_INBOX_LIMIT") == 500


def test_throw_exceptions_defaults_to_debug(settings):
    del settings.DJANGO_VOX_THROW_EXCEPTIONS
    settings.DEBUG = True
    assert conf.get("DJANGO_VOX_THROW_EXCEPTIONS") is True
    settings.DEBUG = False
    assert conf.get("DJANGO_VOX_THROW_EXCEPTIONS") is False


def test_require_names_missing_setting():
    with pytest.raises(ImproperlyConfigured, match="DJANGO_VOX_POSTMARK_TOKEN"):
        conf.require("DJANGO_VOX_POSTMARK_TOKEN")
    with override_settings(DJANGO_VOX_POSTMARK_TOKEN="abc"):
        assert conf.require("DJANGO_VOX_POSTMARK_TOKEN") == "abc"


def test_unknown_setting_name_is_an_error():
    with pytest.raises(KeyError, match="DJANGO_VOX_NOPE"):
        conf.get("DJANGO_VOX_NOPE")


# -- registry -----------------------------------------------------------------
def test_registry_lookups():
    assert backends.by_id("locmem") is locmem.Backend
    assert backends.by_protocol("sms") == [locmem.SmsBackend]
    assert "email" in backends.protocols() and "sms" in backends.protocols()
    assert locmem.Backend in backends.all()
    assert ("locmem", "In-memory (tests)") in backends.as_choices()
    with pytest.raises(KeyError, match="nope"):
        backends.by_id("nope")


def test_registry_accepts_module_paths_and_rebuilds_on_setting_change():
    with override_settings(DJANGO_VOX_BACKENDS=["django_vox.backends.locmem"]):
        assert backends.ids() == ["locmem"]
    assert "locmem-sms" in backends.ids()


def test_registry_import_error_names_the_entry():
    with override_settings(DJANGO_VOX_BACKENDS=["django_vox.backends.locmem.Backend",
                                                "django_vox.backends.htmll_email.Backend"]):
        with pytest.raises(ImproperlyConfigured, match="htmll_email"):
            backends.all()


def test_registry_rejects_non_backend_class():
    with override_settings(DJANGO_VOX_BACKENDS=["tests.testapp.backends.NotABackend"]):
        with pytest.raises(ImproperlyConfigured, match="NotABackend"):
            backends.all()


def test_registry_duplicate_id_names_both_paths():
    paths = ["django_vox.backends.locmem.Backend", "tests.testapp.backends.DuplicateIdBackend"]
    with override_settings(DJANGO_VOX_BACKENDS=paths):
        with pytest.raises(ImproperlyConfigured) as info:
            backends.all()
    assert paths[0] in str(info.value) and paths[1] in str(info.value)


def test_registry_missing_dependency_of_named_backend_is_an_error():
    with override_settings(DJANGO_VOX_BACKENDS=["tests.testapp.backends.NeedsPackageBackend"]):
        with pytest.raises(ImproperlyConfigured, match="surely_not_installed_pkg.*imaginary"):
            backends.all()


def test_default_list_skips_backends_whose_dependency_is_missing(settings, monkeypatch):
    del settings.DJANGO_VOX_BACKENDS
    monkeypatch.setattr("django_vox.backends.DEFAULT_BACKENDS", (
        "django_vox.backends.locmem.Backend", "tests.testapp.backends.NeedsPackageBackend"))
    classes, problems = inspect_backends()
    assert [cls.ID for cls in classes] == ["locmem"]
    assert problems == []


def test_default_list_is_the_seed_list_without_activity():
    assert "django_vox.backends.activity.Backend" not in DEFAULT_BACKENDS
    assert [p.rsplit(".", 2)[-2] for p in DEFAULT_BACKENDS] == [
        "html_email", "markdown_email", "postmark_email", "template_email",
        "twilio", "twitter", "slack", "json_webhook", "xmpp", "inapp"]


def test_missing_dependency_error_names_extra():
    with pytest.raises(MissingDependency, match=r'django-vox\[imaginary\]'):
        from tests.testapp.backends import NeedsPackageBackend
        NeedsPackageBackend.check_dependencies()


# -- base backend contract ------------------------------------------------------
class PlainBackend(backends_base.Backend):
    ID = "plain"
    PROTOCOL = "email"
    USE_SUBJECT = True
    USE_FROM_ADDRESS = True

    def __init__(self):
        super().__init__()
        self.sent = []

    def get_default_from_address(self):
        return "default@example.org"

    def send(self, address, message):
        self.sent.append((address, message.from_address, message.text))


def test_base_lifecycle_and_context_manager():
    backend = PlainBackend()
    assert backend.open() is True
    assert backend.open() is False  # already open
    backend.close()
    backend.close()  # idempotent
    with PlainBackend() as b:
        assert b.is_open
    assert not b.is_open


def test_context_manager_closes_when_open_fails():
    closed = []

    class Broken(PlainBackend):
        def open(self):
            raise OSError("cannot connect")

        def close(self):
            closed.append(True)

    with pytest.raises(OSError):
        with Broken():
            pass
    assert closed == [True]


def test_build_message_renders_subject_and_body():
    message = PlainBackend().build_message("Hi {{ name }}\r\nBcc: x@y", "Body {{ name }}",
                                           {"name": "Ann"})
    assert message.subject == "Hi Ann Bcc: x@y"  # newlines folded: no header injection
    assert message.text == "Body Ann"


def test_from_address_rendered_or_default():
    backend = PlainBackend()
    assert backend.get_from_address("{{ who }}@example.org", {"who": "desk"}) == "desk@example.org"
    assert backend.get_from_address("", {}) == "default@example.org"


def test_send_message_loops_over_send():
    backend = PlainBackend()
    backend.send_message("me@example.org", ["a@x", "b@x"], Message(text="t"))
    assert backend.sent == [("a@x", "me@example.org", "t"), ("b@x", "me@example.org", "t")]


def test_base_send_must_be_implemented():
    with pytest.raises(NotImplementedError):
        backends_base.Backend().send("a", Message())


def test_message_round_trip():
    message = Message(subject="S", text="T", html="<p>T</p>", data={"k": 1},
                      attachments=[MessageAttachment("a.txt", b"\x00\xff", "text/plain")],
                      from_address="f@x", headers={"X-A": "1"})
    assert Message.from_dict(message.to_dict()) == message


# -- system checks ----------------------------------------------------------------
def _check_ids():
    return [(m.id, m.obj) for m in checks.run_checks(tags=["django_vox"])]


def test_check_e001_names_misspelled_entry():
    with override_settings(DJANGO_VOX_BACKENDS=["django_vox.backends.locmem.Bakend"]):
        messages = checks.run_checks(tags=["django_vox"])
    assert [m.id for m in messages] == ["django_vox.E001"]
    assert "django_vox.backends.locmem.Bakend" in messages[0].msg


def test_check_e002_duplicate_id():
    with override_settings(DJANGO_VOX_BACKENDS=["django_vox.backends.locmem.Backend",
                                                "tests.testapp.backends.DuplicateIdBackend"]):
        assert [i for i, _o in _check_ids()] == ["django_vox.E002"]


def test_check_e003_missing_dependency():
    with override_settings(DJANGO_VOX_BACKENDS=["tests.testapp.backends.NeedsPackageBackend"]):
        assert _check_ids() == [("django_vox.E003", "tests.testapp.backends.NeedsPackageBackend")]


def test_check_w001_names_each_missing_setting():
    with override_settings(DJANGO_VOX_BACKENDS=["tests.testapp.backends.NeedsSettingsBackend"]):
        messages = checks.run_checks(tags=["django_vox"])
        assert [m.id for m in messages] == ["django_vox.W001"]
        assert "DJANGO_VOX_TWILIO_ACCOUNT_SID" in messages[0].msg
        assert "DJANGO_VOX_TWILIO_AUTH_TOKEN" in messages[0].msg
        with override_settings(DJANGO_VOX_TWILIO_ACCOUNT_SID="a", DJANGO_VOX_TWILIO_AUTH_TOKEN="b"):
            assert checks.run_checks(tags=["django_vox"]) == []


def test_clean_configuration_has_no_check_messages():
    assert checks.run_checks(tags=["django_vox"]) == []


def test_manage_py_check_reports_e001(tmp_path):
    settings_file = tmp_path / "badsettings.py"
    settings_file.write_text(
        "from tests.settings import *\n"
        "DJANGO_VOX_BACKENDS = ['django_vox.backends.html_emial.Backend']\n")
    result = subprocess.run(
        [sys.executable, "-m", "django", "check", "--settings=badsettings"],
        cwd=ROOT, env={"PYTHONPATH": f"{tmp_path}:{ROOT}", "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "django_vox.E001" in result.stderr
    assert "django_vox.backends.html_emial.Backend" in result.stderr
