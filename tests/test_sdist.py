"""The sdist carries what its own test suite needs (issue 29): every tracked file
of tests/, docs/ and bench/ (the tests import the benchmarks), and the files
that run them.  ``make sdist-check`` goes further and runs tox from the sdist.

Skipped outside a git checkout (such as the unpacked sdist itself), where
there is no list of tracked files to compare with.
"""

import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOP_LEVEL = {"CHANGELOG.rst", "LICENSE", "Makefile", "README.rst", "pyproject.toml", "setup.cfg",
             "setup.py", "tox.ini", "MANIFEST.in", ".ci/run"}


def _tracked(*folders):
    out = subprocess.run(["git", "ls-files", "-z", *folders], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    return {name for name in out.split("\0") if name}


def _build(tmp_path_factory, kind):
    """Build the package's ``kind`` ("sdist" or "wheel") into a folder of its
    own and return the one file built."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip(f"not a git checkout: no tracked files to compare the {kind} with")
    out = tmp_path_factory.mktemp(kind)
    subprocess.run([sys.executable, "-m", "build", f"--{kind}", "--outdir", str(out), str(ROOT)],
                   check=True, capture_output=True)
    (built,) = out.glob("django_vox-*")
    return built


@pytest.fixture(scope="module")
def sdist_files(tmp_path_factory):
    with tarfile.open(_build(tmp_path_factory, "sdist")) as tar:
        names = [member.name for member in tar.getmembers() if member.isfile()]
    prefix = names[0].split("/", 1)[0] + "/"
    return {name.removeprefix(prefix) for name in names}


def test_the_sdist_carries_every_tracked_test_doc_and_benchmark_file(sdist_files):
    missing = sorted(_tracked("tests", "docs", "bench") - sdist_files)
    assert missing == []


def test_the_sdist_carries_the_files_that_run_the_tests(sdist_files):
    assert sorted(TOP_LEVEL - sdist_files) == []


def test_the_sdist_carries_no_build_output_nor_bytecode(sdist_files):
    stray = sorted(name for name in sdist_files
                   if "__pycache__" in name or name.endswith((".pyc", ".sqlite3"))
                   or name.startswith(("docs/_build/", "bench/results/")))
    assert stray == []


@pytest.fixture(scope="module")
def wheel_files(tmp_path_factory):
    with zipfile.ZipFile(_build(tmp_path_factory, "wheel")) as archive:
        return set(archive.namelist())


def test_the_wheel_carries_every_translation_catalog_compiled(wheel_files):
    """An installed django-vox is translated without gettext tools: the .mo
    files ship, next to the .po files they are compiled from."""
    catalogs = {name for name in _tracked("django_vox/locale") if name.endswith(".po")}
    assert catalogs, "no catalog in django_vox/locale"
    expected = catalogs | {name.removesuffix(".po") + ".mo" for name in catalogs}
    assert sorted(expected - wheel_files) == []
