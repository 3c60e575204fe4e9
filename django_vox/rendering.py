"""Rendering of editor-written templates.

Templates written in the admin are compiled by a dedicated template engine, not
the project's: it has no loaders, no context processors and no ``{% debug %}``
tag, so an editor's template sees only the context django-vox gives it
(``object``, ``actor``, ``target``, ``recipient``, ``notification`` ...) and can
not reach settings or other templates.  Django's template language already
refuses to call methods marked ``alters_data`` (``save``, ``delete``, related
manager ``create``...).

Compiled templates are cached by source, so one issue to thousands of
recipients parses each template once.
"""

import functools
import re

from django.template import Context, Engine, Library
from django.template import TemplateSyntaxError as DjangoTemplateSyntaxError
from django.template.base import VariableDoesNotExist, VariableNode
from django.template.defaulttags import register as default_tags
from django.utils.formats import localize
from django.utils.safestring import SafeData, mark_safe
from django.utils.timezone import template_localtime

from django_vox.exceptions import TemplateRenderError

__all__ = ["compile_template", "render", "check_template", "fold_header"]  # noqa: RUF022

# Built-in tags minus the ones that reveal or reach beyond the context.
_FORBIDDEN_TAGS = {"debug", "load", "include", "extends", "ssi"}
_safe_tags = Library()
_safe_tags.tags = {k: v for k, v in default_tags.tags.items() if k not in _FORBIDDEN_TAGS}
_safe_tags.filters = dict(default_tags.filters)

_BUILTINS = [
    "django.template.defaultfilters",
    "django.template.loader_tags",
    "django.templatetags.i18n",
    "django.templatetags.l10n",
    "django.templatetags.tz",
]


def _make_engine(autoescape):
    engine = Engine(
        dirs=[],
        app_dirs=False,
        loaders=[("django.template.loaders.locmem.Loader", {})],
        libraries={},
        builtins=_BUILTINS,
        autoescape=autoescape,
        debug=False,
        string_if_invalid="",
    )
    # Replace the default tag library with the reduced one.
    engine.template_builtins = [
        lib for lib in engine.template_builtins if lib is not default_tags
    ]
    engine.template_builtins.insert(0, _safe_tags)
    # ``include``/``extends`` live in loader_tags: keep ``block`` only.
    for lib in engine.template_builtins:
        if "extends" in lib.tags or "include" in lib.tags:
            reduced = Library()
            reduced.tags = {k: v for k, v in lib.tags.items() if k not in _FORBIDDEN_TAGS}
            reduced.filters = dict(lib.filters)
            engine.template_builtins[engine.template_builtins.index(lib)] = reduced
    return engine


_ENGINES = {True: _make_engine(True), False: _make_engine(False)}


#: Attribute names templates may not look up, whatever the object (password
#: hashes).  The template language has no dynamic attribute lookup, so the name
#: has to appear literally inside a tag or variable to be reached.
SENSITIVE_NAMES = frozenset({"password"})
_TAGS = re.compile(r"{{.*?}}|{%.*?%}", re.DOTALL)
_WORDS = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _sensitive_name(source):
    for tag in _TAGS.findall(source or ""):
        for word in _WORDS.findall(tag):
            if word.lower() in SENSITIVE_NAMES:
                return word
    return None


@functools.lru_cache(maxsize=512)
def compile_template(source, autoescape=True, escape=None):
    """Compile ``source`` once; raise TemplateRenderError with the reason.

    ``escape`` (a function of one string, hashable) is applied to the output
    of every ``{{ variable }}`` instead of Django's HTML escaping, for markup
    languages (Markdown) that need more than HTML escaping.
    """
    name = _sensitive_name(source)
    if name:
        raise TemplateRenderError(f"\u201c{name}\u201d may not be used in templates.")
    try:
        template = _ENGINES[bool(autoescape)].from_string(source or "")
    except DjangoTemplateSyntaxError as err:
        raise TemplateRenderError(f"Template syntax error: {err}") from err
    if escape is not None:
        value_filter = _escaping_filter(escape)
        for node in template.nodelist.get_nodes_by_type(VariableNode):
            node.filter_expression.filters.append((value_filter, []))
    return template


def _escaping_filter(escape):
    """A template filter that formats a value as Django would, then escapes it.

    Values marked safe (``|safe``, ``mark_safe``) are left alone, as with
    Django's own autoescaping.
    """
    def escape_value(value):
        if isinstance(value, SafeData):
            return value
        return mark_safe(escape(str(localize(template_localtime(value)))))

    escape_value.is_safe = True
    return escape_value


def render(source, parameters, autoescape=True, escape=None):
    """Render editor template ``source`` with ``parameters``.

    With ``escape``, every ``{{ variable }}`` is escaped by that function
    (see :func:`compile_template`).
    """
    template = compile_template(source, autoescape, escape)
    try:
        return template.render(Context(parameters, autoescape=autoescape))
    except (DjangoTemplateSyntaxError, VariableDoesNotExist) as err:
        raise TemplateRenderError(f"Template error: {err}") from err


def check_template(source):
    """Return an error message for ``source``, or ``None`` when it compiles."""
    try:
        compile_template(source, True)
    except TemplateRenderError as err:
        return str(err.__cause__ or err.message)
    return None


_NEWLINES = re.compile(r"[\r\n]+\s*")


def fold_header(value):
    """Fold CR/LF (and the whitespace after) into single spaces for headers."""
    return _NEWLINES.sub(" ", value or "").strip()


def parse_key_value_lines(body, what="template"):
    """``[(key, value template), ...]`` from the ``key: value`` lines of ``body``.

    Used by the backends whose content is a set of named values (JSON
    webhooks, Postmark template models).  The first colon splits; blank lines
    are ignored; any other line without a colon, or with an empty key, is an
    error naming its line number.
    """
    fields = []
    for number, line in enumerate((body or "").splitlines(), start=1):
        if not line.strip():
            continue
        key, colon, value = line.partition(":")
        if not colon or not key.strip():
            raise TemplateRenderError(
                f'Line {number} of the {what} must read "key: value", not {line!r}.')
        fields.append((key.strip(), value.strip()))
    return fields
