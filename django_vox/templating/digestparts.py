"""The digest's parts as tags (``{% digest_subject %}``, ``{% digest_items %}``),
so the digest content an editor starts from reads in words, not a loop.

``{% digest_items %}`` lists the items as plain text; ``{% digest_items html %}``
and ``{% digest_items markdown %}`` lay them out for a backend whose content is
HTML or Markdown (its ``EDITOR_TYPE``): a heading per item's subject, its text
(in HTML, its HTML: an item is a message already rendered, and escaped, by
the same backend), a rule between items.

The parts are rendered by the message's own engine (:mod:`django_vox.templating.engine`
lists the tags), so escaping and the render budget apply to them as to the rest.
Imports nothing of django-vox's.
"""

import functools

from django.template import Node
from django.template import TemplateSyntaxError as DjangoTemplateSyntaxError

__all__ = ["DIGEST_ITEMS_FOR", "DIGEST_PARTS", "digest_part_tag"]

#: The parts of the digest made for a template (django_vox.digests), as tags:
#: the content an editor starts from reads ``{% digest_items %}``, not a loop.
#: Rendered by the message's own engine, so escaping and budget apply.
DIGEST_PARTS = {
    "digest_subject": ('{{ items.0.subject }}{% if count > 1 %} (and {{ count|add:"-1" }} '
                       'more){% endif %}'),
    "digest_items": ("{% for item in items %}{% if item.subject %}{{ item.subject }}\n"
                     "{% endif %}{{ item.text }}\n{% if not forloop.last %}\n---\n\n"
                     "{% endif %}{% endfor %}"),
}

#: ``{% digest_items <format> %}``: the items laid out for content in that
#: markup, by the backends' ``EDITOR_TYPE``.  Subjects are printed as values
#: (escaped for the markup); in HTML an item's own HTML is printed as it is
#: (``|safe``: the backend rendered and escaped it when the item was made),
#: its text with line breaks when it has no HTML.  In Markdown a blank line
#: parts heading and text, and blank lines around ``---`` make it a rule.
DIGEST_ITEMS_FOR = {
    "html": ("{% for item in items %}{% if item.subject %}<h3>{{ item.subject }}</h3>\n"
             "{% endif %}{% if item.html %}{{ item.html|safe }}{% else %}"
             "{{ item.text|linebreaks }}{% endif %}\n{% if not forloop.last %}<hr>\n"
             "{% endif %}{% endfor %}"),
    "markdown": ("{% for item in items %}{% if item.subject %}### {{ item.subject }}\n\n"
                 "{% endif %}{{ item.text }}\n{% if not forloop.last %}\n---\n\n"
                 "{% endif %}{% endfor %}"),
}


@functools.lru_cache(maxsize=16)
def _digest_part(engine, name, markup):
    return engine.from_string(DIGEST_ITEMS_FOR[markup] if markup else DIGEST_PARTS[name]).nodelist


class _DigestPartNode(Node):
    def __init__(self, name, markup=""):
        self.name, self.markup = name, markup

    def render(self, context):
        return _digest_part(context.template.engine, self.name, self.markup).render(context)


def digest_part_tag(parser, token):
    name, *args = token.split_contents()
    if name == "digest_items" and len(args) == 1 and args[0] in DIGEST_ITEMS_FOR:
        return _DigestPartNode(name, args[0])
    if args:
        also = f" or one of: {', '.join(DIGEST_ITEMS_FOR)}" if name == "digest_items" else ""
        raise DjangoTemplateSyntaxError(f"{{% {name} %}} takes nothing after its name{also}.")
    return _DigestPartNode(name)
