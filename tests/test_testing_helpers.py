"""django_vox.test, the helpers projects use in their own tests: the
``vox_outbox`` pytest fixture and ``VoxOutboxMixin`` for unittest/Django."""

import os
import subprocess
import sys
import textwrap
import unittest
from pathlib import Path

from django.test import SimpleTestCase

import django_vox
from django_vox.backends import locmem
from django_vox.messages import Message
from django_vox.test import VoxOutboxMixin

ROOT = Path(django_vox.__file__).resolve().parent.parent


def sent(text):
    return locmem.SentMessage("locmem", "email", ["a@example.org"], Message(text=text))


def run_python(args, cwd, **env):
    environ = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    environ.update(PYTHONPATH=str(ROOT), **env)
    return subprocess.run([sys.executable, *args], cwd=cwd, env=environ, capture_output=True,
                          text=True, timeout=120)


def test_pytest_fixture_starts_empty_and_empties_after(tmp_path):
    (tmp_path / "conftest.py").write_text('pytest_plugins = ["django_vox.test"]\n')
    (tmp_path / "test_project.py").write_text(textwrap.dedent("""
        from django_vox.backends import locmem
        from django_vox.messages import Message

        locmem.outbox.append(locmem.SentMessage("locmem", "email", [], Message(text="old")))

        def test_first(vox_outbox):
            assert vox_outbox == [] and vox_outbox is locmem.outbox
            vox_outbox.append("left behind")

        def test_second():
            assert locmem.outbox == []
    """))
    result = run_python(["-m", "pytest", "-q", "-p", "no:django", "-p", "no:cacheprovider"],
                        tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout


def test_mixin_empties_the_outbox_around_each_django_test():
    seen = []

    class Checks(VoxOutboxMixin, SimpleTestCase):
        def test_one(self):
            seen.append(list(self.vox_outbox))
            self.vox_outbox.append(sent("from test_one"))

        def test_two(self):
            seen.append(list(self.vox_outbox))

    locmem.outbox.append(sent("before"))
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(Checks)
    result = unittest.TestResult()
    suite.run(result)
    assert result.wasSuccessful(), result.errors + result.failures
    assert seen == [[], []]
    assert locmem.outbox == []


def test_mixin_works_and_fixture_is_absent_without_pytest(tmp_path):
    script = textwrap.dedent("""
        import sys
        import unittest

        class NoPytest:
            def find_spec(self, name, path=None, target=None):
                if name == "pytest" or name.startswith(("pytest.", "_pytest")):
                    raise ImportError(f"no {name} here")

        sys.modules.pop("pytest", None)
        sys.meta_path.insert(0, NoPytest())
        import django_vox.test as vox_test
        from django_vox.backends import locmem

        assert not hasattr(vox_test, "vox_outbox"), "fixture defined without pytest"
        assert vox_test.__all__ == ["VoxOutboxMixin"]

        class Checks(vox_test.VoxOutboxMixin, unittest.TestCase):
            def test_empty(self):
                assert self.vox_outbox == []
                self.vox_outbox.append("x")

        locmem.outbox.append("old")
        result = unittest.TextTestRunner(stream=sys.stdout).run(
            unittest.defaultTestLoader.loadTestsFromTestCase(Checks))
        assert result.wasSuccessful() and locmem.outbox == []
        print("mixin ok")
    """)
    result = run_python(["-c", script], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "mixin ok" in result.stdout


def test_helper_module_is_not_collected_as_tests():
    result = run_python(["-m", "pytest", "--collect-only", "-q", "-p", "no:django",
                         "-p", "no:cacheprovider", str(ROOT / "django_vox" / "test.py")], ROOT)
    assert result.returncode == 5, result.stdout + result.stderr  # 5: no tests collected
    assert "no tests collected" in result.stdout
