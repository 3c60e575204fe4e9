"""Email written in HTML; the plain-text part is made from it (html2text)."""

from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext_lazy as _

from django_vox.backends._email import EmailBackend
from django_vox.messages import Message
from django_vox.templating import markup

__all__ = ["Backend", "html_to_text"]


def html_to_text(html: str) -> str:
    """A readable plain-text version of ``html`` for the text/plain part
    (html2text, within the size and time limits of :mod:`django_vox.templating.markup`)."""
    text: str = markup.convert("html2text", html, what="HTML for the text part")
    return text.strip() + "\n"


class Backend(EmailBackend):
    """The template is HTML (values are HTML-escaped); the subject is plain text."""

    ID = "email-html"
    VERBOSE_NAME = _("Email (HTML)")
    ESCAPE_HTML = True
    EDITOR_TYPE = "html"
    DEPENDS = ("html2text",)

    def build_message(self, subject: str, body: str, parameters: dict[str, Any],
                      attachments: Iterable[Any] = ()) -> Message:
        html = self.render(body, parameters, autoescape=True)
        return Message(
            subject=self.render_subject(subject, parameters),
            text=html_to_text(html),
            html=html,
            attachments=list(attachments),
        )
