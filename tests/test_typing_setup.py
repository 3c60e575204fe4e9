"""The type information ships and the lint checks it (issue 28).

mypy itself runs in ``tox -e lint`` (``make lint``), strict on the modules
listed in pyproject.toml; these tests keep that wiring from coming apart
silently: the marker file is in the package data, the lint runs mypy, and
every listed module exists (a moved module must move in the list too).
"""

import configparser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_py_typed_ships_with_the_package():
    assert (ROOT / "django_vox" / "py.typed").is_file()
    setup = configparser.ConfigParser()
    setup.read(ROOT / "setup.cfg")
    assert "py.typed" in setup["options.package_data"]["django_vox"].split()


def test_the_lint_environment_runs_mypy():
    tox = configparser.ConfigParser()
    tox.read(ROOT / "tox.ini")
    commands = [line.strip() for line in tox["testenv:lint"]["commands"].splitlines()]
    assert "mypy" in commands
    assert "typecheck" in tox["testenv:lint"]["extras"]


def test_every_strictly_typed_module_exists():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+; the lint env has it
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    assert config["strict"] is True
    missing = [path for path in config["files"] if not (ROOT / path).is_file()]
    assert not missing, f"[tool.mypy] files lists modules that do not exist: {missing}"
    assert "django_vox/backends/base.py" in config["files"]
