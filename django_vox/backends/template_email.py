"""Email whose template spells out its parts as Django template blocks::

    {% block subject %}...{% endblock %}
    {% block text_body %}...{% endblock %}
    {% block html_body %}...{% endblock %}

Any subset works: without ``subject`` the template's subject field is used,
without ``text_body`` the text is made from the HTML, without ``html_body``
the email is text only.  A template with no blocks at all is a text body.
"""

from collections.abc import Iterable
from typing import Any

from django.template import Context
from django.template import TemplateSyntaxError as DjangoTemplateSyntaxError
from django.template.base import VariableDoesNotExist
from django.template.loader_tags import BlockNode
from django.utils.translation import gettext_lazy as _

from django_vox.backends._email import EmailBackend
from django_vox.backends.html_email import html_to_text
from django_vox.exceptions import TemplateRenderError
from django_vox.messages import Message
from django_vox.templating import rendering

__all__ = ["BLOCKS", "Backend", "render_block"]

BLOCKS = ("subject", "text_body", "html_body")


def _blocks(source: str, autoescape: bool) -> tuple[Any, dict[str, BlockNode]]:
    template = rendering.compile_template(source, autoescape)
    return template, {node.name: node for node in template.nodelist.get_nodes_by_type(BlockNode)}


def render_block(source: str, name: str, parameters: dict[str, Any],
                 autoescape: bool) -> str | None:
    """Render block ``name`` of ``source`` on its own; None when there is no such block."""
    template, blocks = _blocks(source, autoescape)
    node = blocks.get(name)
    if node is None:
        return None
    context = Context(rendering.template_data(parameters), autoescape=autoescape)
    try:
        with rendering.message_budget(), context.render_context.push_state(template), \
                context.bind_template(template):
            rendered: str = node.render(context)
            return rendered
    except (DjangoTemplateSyntaxError, VariableDoesNotExist) as err:
        raise TemplateRenderError(f"Template error in block {name!r}: {err}") from err


class Backend(EmailBackend):
    """Subject, text and HTML parts from the blocks of one template."""

    ID = "email"
    VERBOSE_NAME = _("Email (template blocks)")
    EDITOR_TYPE = "basic"

    def build_message(self, subject: str, body: str, parameters: dict[str, Any],
                      attachments: Iterable[Any] = ()) -> Message:
        _template, blocks = _blocks(body, False)
        if not blocks.keys() & set(BLOCKS):
            return Message(subject=self.render_subject(subject, parameters),
                           text=self.render(body, parameters, autoescape=False),
                           attachments=list(attachments))
        block_subject = render_block(body, "subject", parameters, autoescape=False)
        text = render_block(body, "text_body", parameters, autoescape=False)
        html = render_block(body, "html_body", parameters, autoescape=True)
        if text is None:
            text = html_to_text(html) if html is not None else ""
        folded: str = (rendering.fold_header(block_subject) if block_subject is not None
                       else self.render_subject(subject, parameters))
        return Message(
            subject=folded,
            # Blocks are stripped as in 4.x; a text body ends with one newline.
            text=text.strip() + "\n" if text.strip() else "",
            html=html.strip() if html is not None else None,
            attachments=list(attachments),
        )
