"""The digest's parts as tags (``{% digest_subject %}``, ``{% digest_items %}``),
so the digest content an editor starts from reads in words, not a loop.

The parts are rendered by the message's own engine (:mod:`django_vox.templating.engine`
lists the tags), so escaping and the render budget apply to them as to the rest.
Imports nothing of django-vox's.
"""

import functools

from django.template import Node
from django.template import TemplateSyntaxError as DjangoTemplateSyntaxError

__all__ = ["DIGEST_PARTS", "digest_part_tag"]

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


@functools.lru_cache(maxsize=8)
def _digest_part(engine, name):
    return engine.from_string(DIGEST_PARTS[name]).nodelist


class _DigestPartNode(Node):
    def __init__(self, name):
        self.name = name

    def render(self, context):
        return _digest_part(context.template.engine, self.name).render(context)


def digest_part_tag(parser, token):
    name, *args = token.split_contents()
    if args:
        raise DjangoTemplateSyntaxError(f"{{% {name} %}} takes nothing after its name.")
    return _DigestPartNode(name)
