"""Sphinx helpers for the django-vox docs.

* ``.. vox-backend-table::`` renders the capability table of the built-in
  backends from their class attributes, so it cannot drift from the code.
* Pages written alongside these docs (the backend pages under ``backends/``
  and the feature pages) are added to the toctrees where a line
  ``.. vox-toctree:: NAME [CAPTION]`` stands, but only those that exist, so the build
  stays warning-free (``-W``) while pages come and go.  Sphinx warns about a
  ``:glob:`` pattern that matches nothing, hence this.
"""

from pathlib import Path

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective

#: The built-in backends, in the order of the table.
BUILT_IN = [
    "django_vox.backends.activity.Backend",
    "django_vox.backends.html_email.Backend",
    "django_vox.backends.markdown_email.Backend",
    "django_vox.backends.template_email.Backend",
    "django_vox.backends.postmark_email.Backend",
    "django_vox.backends.twilio.Backend",
    "django_vox.backends.twitter.Backend",
    "django_vox.backends.slack.Backend",
    "django_vox.backends.json_webhook.Backend",
    "django_vox.backends.xmpp.Backend",
    "django_vox.backends.inapp.Backend",
]

#: Feature pages, in reading order.
FEATURE_PAGES = ["admin", "in-app", "activities", "background", "preferences", "digests",
                 "tracking", "languages", "benchmarks"]


def _yes(flag):
    return "yes" if flag else "–"


class BackendTable(SphinxDirective):
    """The capability table of every built-in backend this build can import."""

    def run(self):
        from django_vox.backends.base import load_backend_class

        rows = []
        for path in BUILT_IN:
            try:
                cls = load_backend_class(path)
            except ImportError:
                continue  # not part of this checkout
            rows.append([
                f"``{cls.ID}``", f"``{cls.PROTOCOL}``",
                f"``{path.rsplit('.', 2)[-2]}``",
                f"``[{cls.EXTRA}]``" if cls.EXTRA else "–",
                _yes(cls.USE_SUBJECT), _yes(cls.USE_ATTACHMENTS),
                _yes(cls.USE_FROM_ADDRESS), cls.EDITOR_TYPE,
            ])
        if not rows:
            return [nodes.paragraph(text="No built-in backend is part of this build.")]
        header = ["ID", "Protocol", "Module", "Extra", "Subject", "Attachments",
                  "From address", "Editor"]
        lines = [".. list-table::", "   :header-rows: 1", "   :widths: auto", ""]
        for row in [header, *rows]:
            lines.append(f"   * - {row[0]}")
            lines.extend(f"     - {cell}" for cell in row[1:])
        container = nodes.container()
        self.state.nested_parse(StringList(lines, source="vox-backend-table"),
                                self.content_offset, container)
        return container.children


def _toctree(srcdir, name, caption=""):
    if name == "backends":
        pages = sorted(f"backends/{p.stem}" for p in (Path(srcdir) / "backends").glob("*.rst"))
    elif name == "features":
        pages = [p for p in FEATURE_PAGES if (Path(srcdir) / f"{p}.rst").exists()]
    else:
        raise ValueError(f"unknown vox-toctree {name!r}")
    if not pages:
        return ""
    options = ["   :maxdepth: 1"] + ([f"   :caption: {caption}"] if caption else [])
    return "\n".join([".. toctree::", *options, "", *(f"   {p}" for p in pages), ""])


def _insert_toctrees(app, docname, source):
    lines = source[0].split("\n")
    for i, line in enumerate(lines):
        if line.startswith(".. vox-toctree:: "):
            name, _space, caption = line.split("::", 1)[1].strip().partition(" ")
            lines[i] = _toctree(app.srcdir, name, caption)
    source[0] = "\n".join(lines)


def _reread_toctree_pages(app, env, added, changed, removed):
    """Pages with generated toctrees are read again on every build: the pages
    they list may have appeared or gone since the last one."""
    return [name for name in ("index", "backends") if name in env.found_docs]


def setup(app):
    app.add_directive("vox-backend-table", BackendTable)
    app.connect("source-read", _insert_toctrees)
    app.connect("env-get-outdated", _reread_toctree_pages)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
