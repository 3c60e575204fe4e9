"""The README's quickstart and docs/getting-started.rst run as written (issue 29).

Each page is followed in a fresh temporary directory, block by block, as a new
user would: ``django-admin startproject``, the files the page shows, the
``manage.py`` commands, the shell sessions; then we look for the mail the
development email backend prints.  A page that drifts from what django-vox
does fails here.

The convention for marking blocks (readers never see it: an rST comment)
------------------------------------------------------------------------
An rST comment ``.. vox-extract: WHAT`` directly before a ``.. code-block::``
says what to do with that block:

``.. vox-extract: console``
    run each line as a command, in order: ``django-admin ...`` and
    ``python manage.py ...`` (with the test's interpreter), ``cd DIR``.
    Any other command fails the test, so a page cannot ask for a step the
    test skips.  (``pip install`` lines stay unmarked: the test runs in the
    environment the suite already has.)
``.. vox-extract: PATH``
    write the block to the file PATH, relative to the current directory
    (after ``cd mysite``: the project's), replacing what ``startproject`` or
    ``startapp`` put there.
``.. vox-extract: PATH +``
    append the block to PATH (settings added to the end of ``settings.py``).
``.. vox-extract: shell``
    paste the block into ``python manage.py shell``.

Any of them may end with ``django<X.Y`` or ``django>=X.Y``: the block is
followed only on those Django versions (Django 6.1's ``startproject``
configures ``MAILERS``, where an ``EMAIL_BACKEND`` line is an error).

Blocks without the comment (``pip install``, template snippets for the admin)
are for reading only.  Each command must succeed; the outputs are kept for
the assertions at the end.
"""

import os
import re
import shlex
import subprocess
import sys
import textwrap
from pathlib import Path

import django
import pytest

ROOT = Path(__file__).resolve().parent.parent
MARK = re.compile(r"^(?P<indent> *)\.\. vox-extract: (?P<what>\S+)(?P<append> \+)?"
                  r"(?: django(?P<op><|>=)(?P<version>\d+\.\d+))?\s*$")
DIRECTIVE = re.compile(r"^ *\.\. code-block::")


def extract(path):
    """``[(what, append, code)]`` of the marked blocks of an rST file, in order."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks = []
    for number, line in enumerate(lines):
        match = MARK.match(line)
        if not match:
            continue
        following = [i for i in range(number + 1, len(lines)) if lines[i].strip()]
        start = following[0] if following else None
        if start is None or not DIRECTIVE.match(lines[start]):
            raise AssertionError(f"{path.name}:{number + 1}: '.. vox-extract:' is not "
                                 f"followed by a code-block")
        directive_indent = len(lines[start]) - len(lines[start].lstrip())
        body = []
        for line in lines[start + 1:]:
            if line.strip() and len(line) - len(line.lstrip()) <= directive_indent:
                break
            body.append(line)
        code = textwrap.dedent("\n".join(body))
        code = "\n".join(line for line in code.splitlines()
                         if not line.startswith(":")).strip("\n") + "\n"  # directive options
        if match["version"]:
            wanted = tuple(int(part) for part in match["version"].split("."))
            if (django.VERSION[:2] < wanted) != (match["op"] == "<"):
                continue  # for another Django version
        blocks.append((match["what"], bool(match["append"]), code))
    return blocks


class Follower:
    """Follows a page's marked blocks in a temporary directory."""

    def __init__(self, workdir):
        self.cwd = workdir
        self.outputs = []
        # The checkout's django_vox, not whatever else the interpreter would find.
        self.env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
        self.env.pop("DJANGO_SETTINGS_MODULE", None)

    def run(self, argv, stdin=None):
        done = subprocess.run(argv, cwd=self.cwd, env=self.env, input=stdin, text=True,
                              capture_output=True, timeout=300)
        output = done.stdout + done.stderr
        assert done.returncode == 0, f"{shlex.join(argv)} failed:\n{output}"
        self.outputs.append((shlex.join(argv), output))
        return output

    def console(self, code):
        for line in code.splitlines():
            if not line.strip():
                continue
            words = shlex.split(line)
            if words[0] == "cd" and len(words) == 2:
                self.cwd = self.cwd / words[1]
            elif words[0] == "django-admin":
                self.run([sys.executable, "-m", "django", *words[1:]])
            elif words[:2] == ["python", "manage.py"]:
                self.run([sys.executable, *words[1:]])
            else:
                raise AssertionError(f"the test cannot follow the command {line!r}")

    def follow(self, page):
        blocks = extract(page)
        assert blocks, f"{page.name} has no '.. vox-extract:' blocks"
        for what, append, code in blocks:
            if what == "console":
                self.console(code)
            elif what == "shell":
                self.run([sys.executable, "manage.py", "shell"], stdin=code)
            else:
                target = self.cwd / what
                assert append or target.parent.is_dir(), f"{what}: no such directory"
                if append:
                    assert target.exists(), f"{what} is appended to but does not exist"
                    code = target.read_text() + "\n\n" + code
                target.write_text(code)

    def output_of(self, command_end):
        return "".join(out for command, out in self.outputs if command.endswith(command_end))


@pytest.fixture
def follower(tmp_path):
    return Follower(tmp_path)


def test_the_convention_is_parsed_as_documented(tmp_path):
    page = tmp_path / "page.rst"
    page.write_text(textwrap.dedent("""\
        Text.

        .. vox-extract: app/x.py +

        .. code-block:: python
           :caption: x

           X = 1

           if X:
               Y = 2
        After.

        .. code-block:: console

           pip install nothing
        """))
    assert extract(page) == [("app/x.py", True, "X = 1\n\nif X:\n    Y = 2\n")]
    page.write_text(".. vox-extract: a.py django<1.0\n\n.. code-block:: python\n\n   A = 1\n"
                    ".. vox-extract: b.py django>=1.0\n\n.. code-block:: python\n\n   B = 1\n")
    assert extract(page) == [("b.py", False, "B = 1\n")]
    page.write_text(".. vox-extract: console\n\nPlain text.\n")
    with pytest.raises(AssertionError, match="is not followed by a code-block"):
        extract(page)


def test_getting_started_runs_verbatim_from_startproject(follower):
    follower.follow(ROOT / "docs" / "getting-started.rst")
    assert "System check identified no issues" in follower.output_of("manage.py check")
    mail = follower.output_of("manage.py shell")
    # The template written in code, sent to Ada twice (issue(), then notify()).
    assert mail.count("Subject: Thanks for order 1") == 2
    assert mail.count("To: ada@example.com") == 2
    assert "From: shop@example.com" in mail
    assert "Hello Ada," in mail
    assert "Traceback" not in mail


def test_readme_quickstart_runs_verbatim(follower):
    follower.follow(ROOT / "README.rst")
    assert "System check identified no issues" in follower.output_of("manage.py check")
    mail = follower.output_of("manage.py shell")
    assert mail.count("Subject: Welcome, ada") == 1
    assert "To: ada@example.com" in mail
    assert "Traceback" not in mail
