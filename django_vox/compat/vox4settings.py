"""4.x values of settings whose meaning changed, recognised and translated.

* ``DJANGO_VOX_MARKDOWN_EXTRAS`` held markdown2 extra names; the Markdown
  backend now uses Python-Markdown.  :func:`markdown_extensions` maps each
  markdown2 name to the Python-Markdown extension doing the same job and
  leaves out (with the check ``django_vox.W030``) those with none.
* ``DJANGO_VOX_ACTIVITY_REGEX`` was the pattern of activity ids (a group
  ``id``); it now chooses the inbox paths (groups ``path`` and ``box``).
  :func:`is_vox4_activity_regex` recognises the old form, which is then
  ignored (check ``django_vox.W031``).

:func:`install` (run from ``VoxConfig.ready()``) registers :data:`ADAPTERS`
with :func:`django_vox.conf.set_adapter`, so that every ``conf.get()`` of these
settings (the backend, the inbox, conf's validators) sees the translated value,
and registers the check.  Nothing happens on import.
"""

import re

from django.conf import settings as django_settings
from django.core import checks

from django_vox import conf
from django_vox.compat import deprecated

__all__ = ["ADAPTERS", "MARKDOWN2_EXTRAS", "activity_regex", "check_vox4_settings", "install",
           "is_vox4_activity_regex", "markdown_extensions", "markdown_extras"]

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


def markdown_extras(value):
    """The adapter of DJANGO_VOX_MARKDOWN_EXTRAS: markdown2 names translated
    (with a warning), those with no counterpart left out (check W030)."""
    if not isinstance(value, (list, tuple)):
        return value  # conf's validator names the culprit
    extensions, unsupported = markdown_extensions(value)
    if unsupported or any(_markdown2_name(entry) for entry in value):
        deprecated("A DJANGO_VOX_MARKDOWN_EXTRAS value naming markdown2 extras",
                   f"list Python-Markdown extensions instead: {extensions!r}.", stacklevel=3)
    return extensions


def activity_regex(value):
    """The adapter of DJANGO_VOX_ACTIVITY_REGEX: a 4.x pattern (of activity
    ids) is ignored, with a warning (check W031)."""
    if not is_vox4_activity_regex(value):
        return value
    deprecated("A DJANGO_VOX_ACTIVITY_REGEX of the 4.x form (a pattern of activity ids), "
               "ignored,", "remove the setting, or give a regex with the named groups 'path' "
               "and 'box'.", stacklevel=3)
    return None


#: setting → the adapter translating its 4.x values.
ADAPTERS = {
    "DJANGO_VOX_MARKDOWN_EXTRAS": markdown_extras,
    "DJANGO_VOX_ACTIVITY_REGEX": activity_regex,
}


def install() -> None:
    """Register the adapters with conf and the check with Django (idempotent)."""
    for name, adapter in ADAPTERS.items():
        conf.set_adapter(name, adapter)
    checks.register(check_vox4_settings, "django_vox")


def _raw(name):
    """The setting as the project wrote it (conf.get answers the adapted value)."""
    return getattr(django_settings, name, None)


def check_vox4_settings(app_configs=None, **kwargs):
    messages = []
    extras = _raw("DJANGO_VOX_MARKDOWN_EXTRAS")
    _extensions, unsupported = markdown_extensions(
        extras if isinstance(extras, (list, tuple)) else ())
    if unsupported:
        messages.append(checks.Warning(
            f"DJANGO_VOX_MARKDOWN_EXTRAS names markdown2 extras that Python-Markdown has no "
            f"counterpart for; they are left out: {', '.join(map(str, unsupported))}.",
            hint="Remove them, or name a Python-Markdown extension that does the same job.",
            obj="DJANGO_VOX_MARKDOWN_EXTRAS", id="django_vox.W030"))
    if is_vox4_activity_regex(_raw("DJANGO_VOX_ACTIVITY_REGEX")):
        messages.append(checks.Warning(
            "DJANGO_VOX_ACTIVITY_REGEX has its 4.x form (a pattern of activity ids); it is "
            "ignored, and the inbox middleware answers at the default paths.",
            hint="Remove the setting, or give a regex with the named groups 'path' and 'box'.",
            obj="DJANGO_VOX_ACTIVITY_REGEX", id="django_vox.W031"))
    return messages
