"""The body of an in-app message: the editor's Markdown as sanitized HTML.

What makes the HTML safe to put in a page of the site:

* values from the template context (user data) are escaped for Markdown and
  for HTML (:func:`django_vox.backends.markdown_email.markdown_escaper`, the
  same escaping as Markdown email), so a user's name cannot add markup, a
  link or emphasis;
* raw HTML in the editor's own text is not passed through: Python-Markdown's
  raw-HTML block and inline handlers are removed, so ``<script>`` typed in the
  template is shown as text;
* links and images keep only ``http``, ``https``, ``mailto`` and relative
  URLs (``javascript:`` and ``data:`` addresses are dropped, also when written
  with entities or spaces), and no ``on…`` or ``style`` attribute survives
  (an extension such as ``attr_list`` in ``DJANGO_VOX_MARKDOWN_EXTRAS`` could
  add them).

Without the ``markdown`` extra the body is the plain text, escaped, with its
line breaks kept.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured
from django.utils.html import escape, linebreaks

from django_vox import conf
from django_vox.backends.markdown_email import markdown_escaper
from django_vox.templating import rendering

__all__ = ["render_body", "make_markdown", "markdown_available", "safe_url", "SAFE_SCHEMES"]

SAFE_SCHEMES = frozenset({"", "http", "https", "mailto"})
_INVISIBLE = re.compile(r"[\x00-\x20\x7f]")
_URL_ATTRIBUTES = ("href", "src")


def safe_url(value: str) -> bool:
    """Whether a browser would open ``value`` with a harmless scheme."""
    plain = _INVISIBLE.sub("", html.unescape(value or ""))
    try:
        return urlsplit(plain).scheme.lower() in SAFE_SCHEMES
    except ValueError:  # e.g. a malformed IPv6 host
        return False


def _sanitizer():
    import markdown
    from markdown.treeprocessors import Treeprocessor

    class Sanitize(Treeprocessor):
        def run(self, root):
            for element in root.iter():
                for name in list(element.attrib):
                    lowered = name.lower()
                    if lowered.startswith("on") or lowered == "style" or (
                            lowered in _URL_ATTRIBUTES and not safe_url(element.attrib[name])):
                        del element.attrib[name]

    class SanitizeExtension(markdown.Extension):
        def extendMarkdown(self, md):  # noqa: N802 - Python-Markdown's name
            md.preprocessors.deregister("html_block")
            md.inlinePatterns.deregister("html")
            md.treeprocessors.register(Sanitize(md), "vox_sanitize", 0)

    return SanitizeExtension()


def make_markdown():
    import markdown

    extras = conf.get("DJANGO_VOX_MARKDOWN_EXTRAS") or []
    try:
        return markdown.Markdown(extensions=[*extras, _sanitizer()])
    except (ImportError, AttributeError, TypeError) as err:
        raise ImproperlyConfigured(
            f"DJANGO_VOX_MARKDOWN_EXTRAS {extras!r} could not be loaded: {err}") from err


def markdown_available() -> bool:
    try:
        import markdown  # noqa: F401 - the optional extra
    except ImportError:
        return False
    return True


def render_body(body: str, parameters, md=None) -> str:
    """The sanitized HTML of the template ``body`` rendered with ``parameters``.

    ``md``: a Markdown instance of :func:`make_markdown` to reuse (a fan-out
    renders thousands of bodies); None makes one, or without the ``markdown``
    extra, escapes the text.
    """
    if md is None and not markdown_available():
        text = rendering.render(body, parameters, autoescape=False)
        return linebreaks(escape(text.strip()))
    md = md or make_markdown()
    source = rendering.render(body, parameters, autoescape=True,
                              escape=markdown_escaper(tuple(md.ESCAPED_CHARS)))
    return md.reset().convert(source)
