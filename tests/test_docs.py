"""The reference pages of the docs stay in step with the code."""

import ast
import re
from pathlib import Path

from django_vox import conf
from django_vox.backends import DEFAULT_BACKENDS

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _settings_sections():
    """{setting name: its "Default:" line} from docs/settings.rst."""
    text = (DOCS / "settings.rst").read_text(encoding="utf-8")
    sections = re.findall(r"^([A-Z_]+)\n-+\n\n(Default: .*)$", text, re.MULTILINE)
    return dict(sections)


def test_every_setting_is_documented_with_its_default():
    documented = _settings_sections()
    assert set(documented) == set(conf.DEFAULTS)
    for name, default in conf.DEFAULTS.items():
        if name == "DJANGO_VOX_THROW_EXCEPTIONS":
            expected = "Default: the value of ``DEBUG``"
        else:
            expected = f"Default: ``{default!r}``"
        assert documented[name] == expected, name


def test_backend_table_lists_every_built_in_backend():
    # Read, not imported: the extension needs Sphinx, which the tests do not install.
    tree = ast.parse((DOCS / "_ext" / "voxdocs.py").read_text(encoding="utf-8"))
    [built_in] = [ast.literal_eval(node.value) for node in tree.body
                  if isinstance(node, ast.Assign) and node.targets[0].id == "BUILT_IN"]
    assert set(built_in) == {*DEFAULT_BACKENDS, "django_vox.backends.activity.Backend"}


def test_demo_enables_every_built_in_backend():
    text = (Path(__file__).parent / "demo" / "settings.py").read_text(encoding="utf-8")
    listed = set(re.findall(r'"(django_vox\.backends\.\w+\.Backend)"', text))
    assert listed == {*DEFAULT_BACKENDS, "django_vox.backends.activity.Backend"}
