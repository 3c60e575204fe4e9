"""4.x values of settings whose meaning changed, recognised and translated.

* ``DJANGO_VOX_MARKDOWN_EXTRAS`` held markdown2 extra names; the Markdown
  backend now uses Python-Markdown.  :func:`markdown_extensions` maps each
  markdown2 name to the Python-Markdown extension doing the same job and
  leaves out (with the check ``django_vox.W030``) those with none.
* ``DJANGO_VOX_ACTIVITY_REGEX`` was the pattern of activity ids (a group
  ``id``); it now chooses the inbox paths (groups ``path`` and ``box``).
  :func:`is_vox4_activity_regex` recognises the old form, which is then
  ignored (check ``django_vox.W031``).
"""

import re

from django.core import checks

from django_vox import conf

__all__ = ["MARKDOWN2_EXTRAS", "check_vox4_settings", "is_vox4_activity_regex",
           "markdown_extensions"]

#: markdown2 extra → the Python-Markdown extension doing the same, or None.
#: Names that are the same in both (footnotes, tables, toc) need no entry.
MARKDOWN2_EXTRAS = {
    "admonitions": "markdown.extensions.admonition",
    "break-on-newline": "markdown.extensions.nl2br",
    "code-color": "markdown.extensions.codehilite",
    "fenced-code-blocks": "markdown.extensions.fenced_code",
    "header-ids": "markdown.extensions.toc",
    "markdown-in-html": "markdown.extensions.md_in_html",
    "metadata": "markdown.extensions.meta",
    "smarty-pants": "markdown.extensions.smarty",
    "code-friendly": None,
    "cuddled-lists": None,
    "demote-headers": None,
    "html-classes": None,
    "latex": None,
    "link-patterns": None,
    "mermaid": None,
    "middle-word-em": None,
    "nofollow": None,
    "numbering": None,
    "pyshell": None,
    "spoiler": None,
    "strike": None,
    "tag-friendly": None,
    "target-blank-links": None,
    "task-list": None,
    "use-file-vars": None,
    "wiki-tables": None,
    "xml": None,
}


def _markdown2_name(name):
    """The markdown2 spelling of ``name`` (4.x accepted ``link_patterns`` too), or None."""
    if not isinstance(name, str) or "." in name:
        return None
    key = name.replace("_", "-")
    return key if key in MARKDOWN2_EXTRAS else None


def markdown_extensions(value):
    """``(extensions for Python-Markdown, markdown2 names left out)`` for a
    DJANGO_VOX_MARKDOWN_EXTRAS value.  Other entries (extension names and
    objects) pass through unchanged, without repeats."""
    extensions, unsupported = [], []
    for entry in value or ():
        key = _markdown2_name(entry)
        if key is None:
            extensions.append(entry)
        elif MARKDOWN2_EXTRAS[key] is None:
            unsupported.append(entry)
        else:
            extensions.append(MARKDOWN2_EXTRAS[key])
    unique = []
    for entry in extensions:
        if entry not in unique:
            unique.append(entry)
    return unique, unsupported


def is_vox4_activity_regex(value) -> bool:
    """Whether ``value`` is a 4.x DJANGO_VOX_ACTIVITY_REGEX (an activity id
    pattern with a group ``id`` and no group ``path``)."""
    if not isinstance(value, str):
        return False
    try:
        groups = re.compile(value).groupindex
    except re.error:
        return False
    return "id" in groups and "path" not in groups


@checks.register("django_vox")
def check_vox4_settings(app_configs=None, **kwargs):
    messages = []
    _extensions, unsupported = markdown_extensions(conf.get("DJANGO_VOX_MARKDOWN_EXTRAS"))
    if unsupported:
        messages.append(checks.Warning(
            f"DJANGO_VOX_MARKDOWN_EXTRAS names markdown2 extras that Python-Markdown has no "
            f"counterpart for; they are left out: {', '.join(map(str, unsupported))}.",
            hint="Remove them, or name a Python-Markdown extension that does the same job.",
            obj="DJANGO_VOX_MARKDOWN_EXTRAS", id="django_vox.W030"))
    if is_vox4_activity_regex(conf.get("DJANGO_VOX_ACTIVITY_REGEX")):
        messages.append(checks.Warning(
            "DJANGO_VOX_ACTIVITY_REGEX has its 4.x form (a pattern of activity ids); it is "
            "ignored, and the inbox middleware answers at the default paths.",
            hint="Remove the setting, or give a regex with the named groups 'path' and 'box'.",
            obj="DJANGO_VOX_ACTIVITY_REGEX", id="django_vox.W031"))
    return messages
