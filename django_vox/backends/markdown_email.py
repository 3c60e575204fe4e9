"""Email written in Markdown: the text part is the Markdown, the HTML part
is made from it by Python-Markdown (extensions: DJANGO_VOX_MARKDOWN_EXTRAS),
within the size and time limits of :mod:`django_vox.templating.markup`.

Values substituted into the HTML part are escaped for Markdown *and* HTML,
so data such as a user's name cannot add links, emphasis or markup; see
:func:`markdown_escaper`.
"""

import functools
import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured
from django.utils.html import escape as html_escape
from django.utils.translation import gettext_lazy as _

from django_vox import conf
from django_vox.backends._email import EmailBackend
from django_vox.messages import Message
from django_vox.templating import markup, rendering

if TYPE_CHECKING:
    import markdown

__all__ = ["Backend", "markdown_escaper"]


_LINE_START = re.compile(r"(^|\n)([ \t]*)([=~])")


_BACKSLASHED = re.compile(r"\\(.)", re.DOTALL)


def _numeric(match: re.Match[str]) -> str:
    return f"&#{ord(match.group(1))};"


def _entity(match: re.Match[str]) -> str:
    return f"{match.group(1)}{match.group(2)}&#{ord(match.group(3))};"


@functools.lru_cache(maxsize=32)
def markdown_escaper(escaped_chars: tuple[str, ...]) -> Callable[[str], str]:
    """A function escaping text for Markdown, then for HTML.

    Every character Markdown lets a backslash escape (``ESCAPED_CHARS`` of the
    configured Markdown instance, so extensions' syntax is covered) gets a
    backslash, which Markdown removes again: the reader sees the value as
    typed.  HTML special characters become entities instead (an entity is
    never Markdown syntax, and a backslash before one would stay visible).
    An ``=`` or ``~`` starting a line (a line of them underlines a setext
    heading or opens a fence, and Markdown has no backslash escape for them)
    becomes a numeric entity.  The function is cached per character set so compiled
    templates are reused.
    """
    table = str.maketrans({char: "\\" + char for char in escaped_chars if char not in "<>&\"'"})

    def escape(text: str) -> str:
        return _LINE_START.sub(_entity, str(html_escape(text.translate(table))))

    def for_html_blocks(text: str) -> str:
        return _BACKSLASHED.sub(_numeric, escape(text))

    escape.for_html_blocks = for_html_blocks  # type: ignore[attr-defined]
    return escape


class Backend(EmailBackend):
    """Markdown template; values are escaped in the HTML part."""

    ID = "email-md"
    VERBOSE_NAME = _("Email (Markdown)")
    EDITOR_TYPE = "markdown"
    DEPENDS = ("markdown",)
    EXTRA = "markdown"

    def make_markdown(self) -> "markdown.Markdown":
        import markdown

        extras = conf.get("DJANGO_VOX_MARKDOWN_EXTRAS") or []
        try:
            return markdown.Markdown(extensions=list(extras))
        except (ImportError, AttributeError, TypeError) as err:
            raise ImproperlyConfigured(
                f"DJANGO_VOX_MARKDOWN_EXTRAS {extras!r} could not be loaded: {err}") from err

    def build_message(self, subject: str, body: str, parameters: dict[str, Any],
                      attachments: Iterable[Any] = ()) -> Message:
        md = self.make_markdown()
        source: str = rendering.render(body, parameters, autoescape=True,
                                  escape=markdown_escaper(tuple(md.ESCAPED_CHARS)))
        return Message(
            subject=self.render_subject(subject, parameters),
            text=self.render(body, parameters, autoescape=False),
            html=markup.convert("markdown", source, conf.get("DJANGO_VOX_MARKDOWN_EXTRAS") or [],
                                what="Markdown"),
            attachments=list(attachments),
        )
