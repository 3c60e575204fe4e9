"""Values from data, escaped for the message's markup wherever they reach output.

While a template is rendered for a markup language (Markdown), every value
that came from data (not from the editor) is escaped for that language, by
whichever way it reaches the output:

* ``{{ value }}``: the escaping filter :func:`~django_vox.templating.rendering.compile_template`
  appends;
* tags that print values (``{% firstof %}``, ``{% cycle %}``,
  ``{% blocktranslate %}``) and filters that escape their items (``|join``):
  Django escapes a value through its ``__html__``, and text from data (strings,
  and the text of objects and lists: see :mod:`django_vox.templating.sandbox`)
  is :class:`EscapedText`, whose ``__html__`` is the markup's escape;
* filters that escape data for HTML themselves and mark the result safe
  (``|escape``, ``|force_escape``, ``|linebreaks``, ``|urlize``...): they get
  the data already escaped for the markup (:func:`for_markup`), or, for the
  escaping filters, the markup's escape is their result.

The editor's own text (literals in the template, ``|safe``) is left as it is.
This module imports nothing of the package.
"""

import contextlib
import contextvars

from django.utils.html import conditional_escape
from django.utils.safestring import SafeData, mark_safe

__all__ = ["EscapedText", "wrap_text", "escaping", "active_escape", "escaped", "for_markup",
           "ESCAPE_FILTERS", "SAFE_MAKING_FILTERS"]

_value_escape = contextvars.ContextVar("django_vox_value_escape", default=None)


class EscapedText(str):
    """Text that came from data (not from the editor): while a template is
    rendered for a markup language, it escapes itself for that language
    wherever Django escapes a value (``{{ }}``, ``{% firstof %}``, ``{% cycle %}``,
    ``{% blocktranslate %}``, filters such as ``linebreaksbr`` or ``join``)."""

    def __html__(self):
        escape = _value_escape.get()
        if escape is None:
            return conditional_escape(str(self))
        return mark_safe(escape(str(self)))


def wrap_text(value):
    """``value`` as :class:`EscapedText` while a markup escape is active (plain
    ``str`` only: safe strings are the editor's or the developer's choice)."""
    if type(value) is str and _value_escape.get() is not None:
        return EscapedText(value)
    return value


def active_escape():
    """The markup escape in force (a function of one string), or ``None``."""
    return _value_escape.get()


@contextlib.contextmanager
def escaping(escape):
    """Escape data values with ``escape`` (see :class:`EscapedText`) inside the block."""
    token = _value_escape.set(escape)
    try:
        yield
    finally:
        _value_escape.reset(token)


#: Filters that HTML-escape data themselves and mark their result safe
#: (adding ``<br>``, ``<p>``, links): while a markup escape is active, data is
#: escaped for the message's markup before they run and handed to them
#: marked safe, so they escape nothing again and their result stays inert.
SAFE_MAKING_FILTERS = {"linebreaks", "linebreaksbr", "linenumbers", "urlize", "urlizetrunc"}
#: Of those, the filters whose result is a block of HTML (``<p>``), which a
#: markup language such as Markdown passes through untouched: the escape's
#: ``for_html_blocks`` variant (if it has one) is used, so the reader sees no
#: escape characters there.
BLOCK_FILTERS = {"linebreaks"}
#: Filters whose job is escaping: data gets the message's markup escape.
ESCAPE_FILTERS = {"escape", "force_escape"}


def escaped(escape, value):
    """``value`` escaped by ``escape`` and marked safe, unless already safe."""
    if isinstance(value, SafeData):  # the editor's text (a literal, |safe)
        return value
    return mark_safe(escape(str(value)))


def for_markup(name, value, escape):
    """``value`` as filter ``name`` gets it while ``escape`` is active: data
    that the filter would escape for HTML only (and mark safe) is escaped for
    the markup first; a join's items one by one (objects, a string's letters)."""
    if name == "join" and not isinstance(value, SafeData):
        try:
            return [escaped(escape, item) for item in value]
        except TypeError:  # not iterable: |join returns it as it is
            return value
    if name in BLOCK_FILTERS:
        return escaped(getattr(escape, "for_html_blocks", escape), value)
    if name in SAFE_MAKING_FILTERS:
        return escaped(escape, value)
    return value
