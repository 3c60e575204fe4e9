"""The 4.x compatibility layer fenced off (issue 28): django_vox.compat plugs
into the core's injection points from VoxConfig.ready(), the core never
imports it, and the backend contract (send_many, SEND_MANY_LIMIT) is declared
on the base class."""

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import django.core.checks
import pytest
import tomllib
from django.apps import apps
from django.core.checks.registry import CheckRegistry
from django.core.exceptions import ImproperlyConfigured

import django_vox
from django_vox import checks, conf
from django_vox.backends import backends, base, locmem, postmark_email, set_class_adapter, slack
from django_vox.compat import backends as compat_backends
from django_vox.compat import vox4settings
from django_vox.exceptions import InvalidAddress, RemovedInDjangoVox6Warning
from django_vox.messages import Message
from tests.vox4app.backends import RelayEmailBackend

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = Path(django_vox.__file__).parent
#: The 4.x import paths, thin modules re-exporting from compat: the compat side.
VOX4_PATHS = {"base", "settings", "middleware", "forms", "extra"}


def compat_contract():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    [contract] = [c for c in config["tool"]["importlinter"]["contracts"] if c["id"] == "compat"]
    return contract


def lint_imports(root):
    return subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache", "--contract",
         "compat", str(root / "pyproject.toml")],
        cwd=root, env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=300)


# -- the fence ------------------------------------------------------------------------
def test_the_warning_is_a_deprecation_warning():
    assert issubclass(RemovedInDjangoVox6Warning, DeprecationWarning)
    assert django_vox.compat.RemovedInDjangoVox6Warning is RemovedInDjangoVox6Warning


def test_the_compat_contract_covers_every_core_module():
    contract = compat_contract()
    assert contract["type"] == "forbidden"
    assert contract["forbidden_modules"] == ["django_vox.compat"]
    top = {path.stem for path in PACKAGE.iterdir()
           if path.suffix == ".py" and path.stem != "__init__"
           or path.is_dir() and (path / "__init__.py").exists()}
    sources = {name.removeprefix("django_vox.") for name in contract["source_modules"]}
    assert sources == top - VOX4_PATHS - {"compat"}, (
        "list each new top-level module or package of django_vox in the contract 'compat'")


def test_the_only_doors_are_the_listed_ones():
    assert sorted(compat_contract()["ignore_imports"]) == [
        "django_vox.apps -> django_vox.compat.install",
        "django_vox.backends.base -> django_vox.compat.backends",
        "django_vox.models -> django_vox.compat.models",
    ]


def test_lint_imports_keeps_the_core_away_from_compat():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "the core never imports the 4.x compatibility layer KEPT" in result.stdout


def test_lint_imports_catches_a_core_module_importing_compat(tmp_path):
    """The same contract on a copy of the package where pacing/retry.py imports compat."""
    shutil.copytree(PACKAGE, tmp_path / "django_vox",
                    ignore=shutil.ignore_patterns("__pycache__", "static", "templates"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    with open(tmp_path / "django_vox" / "pacing" / "retry.py", "a") as module:
        module.write("\nfrom django_vox.compat import deprecated  # noqa\n")
    result = lint_imports(tmp_path)
    assert result.returncode == 1
    assert "BROKEN" in result.stdout
    assert "django_vox.pacing.retry -> django_vox.compat" in result.stdout


# -- installed from ready() -------------------------------------------------------------
def _is_checks_register(node):
    target = node.func if isinstance(node, ast.Call) else node
    return (isinstance(target, ast.Attribute) and target.attr == "register"
            and isinstance(target.value, ast.Name) and target.value.id == "checks")


def _module_level_registrations(path):
    """``@checks.register`` decorators, and ``checks.register(...)`` run on import."""
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if any(_is_checks_register(d) for d in getattr(node, "decorator_list", [])):
            yield f"{path.relative_to(PACKAGE)}:{node.lineno}"
    for node in tree.body:
        if isinstance(node, ast.Expr) and _is_checks_register(node.value):
            yield f"{path.relative_to(PACKAGE)}:{node.lineno}"


def test_no_check_is_registered_as_an_import_side_effect():
    found = [where for path in PACKAGE.rglob("*.py") for where in _module_level_registrations(path)]
    assert found == []


def test_ready_registers_the_checks_and_the_compat_check(monkeypatch):
    fresh = CheckRegistry()
    monkeypatch.setattr(django.core.checks, "register", fresh.register)
    apps.get_app_config("django_vox").ready()
    registered = fresh.get_checks(include_deployment_checks=True)
    assert {check for check, _tags in checks.CHECKS} | {vox4settings.check_vox4_settings} == set(
        registered)
    assert checks.check_saved_templates in fresh.get_checks()  # a database check, tagged so
    assert fresh.tags_available() >= {"django_vox", "django_vox_templates", "database"}


@pytest.fixture
def without_compat():
    """The core alone: compat's hooks taken out, put back afterwards."""
    set_class_adapter(None)
    conf.set_adapter("DJANGO_VOX_MARKDOWN_EXTRAS", None)
    conf.set_adapter("DJANGO_VOX_ACTIVITY_REGEX", None)
    yield
    apps.get_app_config("django_vox").ready()
    backends.reset()


def test_the_registry_wraps_a_4x_backend_only_through_compats_hook(settings, without_compat):
    settings.DJANGO_VOX_BACKENDS = ["tests.vox4app.backends.RelayEmailBackend"]
    assert backends.by_id("relay-email") is RelayEmailBackend  # the core knows no 4.x
    apps.get_app_config("django_vox").ready()
    with pytest.warns(RemovedInDjangoVox6Warning,
                      match=r"^tests\.vox4app\.backends\.RelayEmailBackend is a django-vox 4\.x "
                            r"backend .* is deprecated and removed in django-vox 6\.0; port it"):
        adapter = backends.by_id("relay-email")
    assert adapter.legacy_class is RelayEmailBackend
    assert issubclass(adapter, compat_backends.Vox4BackendAdapter)


def test_settings_are_adapted_only_through_compats_adapters(settings, without_compat):
    settings.DJANGO_VOX_MARKDOWN_EXTRAS = ["smarty-pants"]
    assert conf.get("DJANGO_VOX_MARKDOWN_EXTRAS") == ["smarty-pants"]
    apps.get_app_config("django_vox").ready()
    with pytest.warns(RemovedInDjangoVox6Warning, match="markdown.extensions.smarty"):
        assert conf.get("DJANGO_VOX_MARKDOWN_EXTRAS") == ["markdown.extensions.smarty"]


def test_the_slack_class_call_warns_naming_the_instance_call():
    with pytest.warns(RemovedInDjangoVox6Warning,
                      match=r"^Calling django_vox\.backends\.slack\.Backend\.build_message\(\) on "
                            r"the class \(the 4\.x form\) is deprecated and removed in django-vox "
                            r"6\.0; call it on an instance, django_vox\.backends\.slack\.Backend\(\)"
                            r"\.build_message\(\.\.\.\), which works with "
                            r"django_vox\.messages\.Message\.$"):
        text = slack.Backend.build_message("", "Hello {{ n }}", {"n": "Ann"}, [])
    assert isinstance(text, str) and "Hello Ann" in text
    assert isinstance(slack.Backend().build_message("", "Hi", {}), Message)


def test_the_4x_helpers_of_backends_base_warn():
    with pytest.warns(RemovedInDjangoVox6Warning,
                      match=r"^django_vox\.backends\.base\.AttachmentData is deprecated and "
                            r"removed in django-vox 6\.0; import AttachmentData from "
                            r"django_vox\.compat\.vox4calls"):
        attachment_data = base.AttachmentData
    assert attachment_data(b"x", "text/plain").mime == "text/plain"
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        base.nothing  # noqa: B018


# -- the backend contract ----------------------------------------------------------------
class RefusingBackend(locmem.Backend):
    ID = "refusing"

    def validate_address(self, address):
        if address.startswith("bad"):
            raise InvalidAddress(address, "refused here")


class MisconfiguredBackend(locmem.Backend):
    ID = "misconfigured"

    def deliver(self, address, message):
        raise ImproperlyConfigured("DJANGO_VOX_SOMETHING is not set")


def test_send_many_and_its_limit_are_declared_on_the_base_class():
    assert base.Backend.SEND_MANY_LIMIT == 100
    assert not base.Backend.sends_in_batches() and not locmem.Backend.sends_in_batches()
    assert postmark_email.Backend.sends_in_batches()
    assert postmark_email.Backend.SEND_MANY_LIMIT == 500


def test_the_default_send_many_sends_each_item_and_answers_per_item():
    locmem.outbox.clear()
    items = [("ann@example.org", Message(text="1")), ("bad@example.org", Message(text="2")),
             ("bob@example.org", Message(text="3"))]
    results = RefusingBackend().send_many(items)
    assert results[0] is None and results[2] is None
    assert isinstance(results[1], InvalidAddress) and "bad@example.org" in str(results[1])
    assert [(m.to, m.body) for m in locmem.outbox] == [
        (["ann@example.org"], "1"), (["bob@example.org"], "3")]


def test_the_default_send_many_refuses_a_string_before_sending_anything():
    locmem.outbox.clear()
    with pytest.raises(TypeError, match=r"locmem\.Backend\.send_many\(\) takes a "
                                        r"django_vox\.messages\.Message, not str"):
        locmem.Backend().send_many([("ann@example.org", Message(text="1")),
                                    ("bob@example.org", "a 4.x string")])
    assert locmem.outbox == []


def test_the_default_send_many_raises_configuration_errors():
    with pytest.raises(ImproperlyConfigured, match="DJANGO_VOX_SOMETHING"):
        MisconfiguredBackend().send_many([("ann@example.org", Message(text="1"))])


def test_dispatch_reads_the_contract_without_getattr():
    source = (PACKAGE / "issuing" / "dispatch.py").read_text()
    assert 'getattr(self.backend, "send_many"' not in source
    assert 'getattr(self.backend, "SEND_MANY_LIMIT"' not in source
