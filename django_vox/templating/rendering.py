"""Rendering of editor-written templates.

Editors are trusted with the words of a message, not with the server.  What a
template can *reach* is decided by the context (see :mod:`django_vox.templating.sandbox`:
plain values and read-only views, never live objects).  What a template can
*do* is decided by the engine (:mod:`django_vox.templating.engine`):

* only the tags and filters listed in :data:`ALLOWED_TAGS` and
  :data:`ALLOWED_FILTERS`; ``{% load %}``, ``{% include %}``, ``{% extends %}``,
  ``{% debug %}``, ``{% url %}`` and ``{% csrf_token %}`` are refused with a
  message in plain words;
* a budget per message (:class:`RenderLimits`): loop iterations in total,
  characters of output, seconds, and the size arguments of filters such as
  ``ljust`` or ``wordwrap``;
* every error names the line of the template it comes from.

Compiled templates are cached by source, so one issue to thousands of
recipients parses each template once.
"""

import functools
import re

from django.template import Context
from django.template import TemplateSyntaxError as DjangoTemplateSyntaxError
from django.template.base import (
    FilterExpression,
    Node,
    NodeList,
    Variable,
    VariableDoesNotExist,
    VariableNode,
)
from django.utils.formats import localize
from django.utils.safestring import SafeData, mark_safe
from django.utils.timezone import template_localtime

from django_vox.exceptions import TemplateRenderError
from django_vox.templating.engine import (
    _ENGINES,
    ALLOWED_FILTERS,
    ALLOWED_TAGS,
    REFUSED_TAGS,
    EscapedText,
    RenderLimits,
    TemplateLimitError,
    _BoundedSequence,
    current_limits,
    escaping,
    instrument,
    line_of,
    message_budget,
    with_line,
    wrap_text,
)
from django_vox.templating.sandbox import to_template_value

__all__ = [  # noqa: RUF022
    "ALLOWED_TAGS", "ALLOWED_FILTERS", "REFUSED_TAGS", "RenderLimits", "TemplateLimitError",
    "compile_template", "render", "render_compiled", "check_template", "message_budget",
    "current_limits", "EscapedText", "wrap_text", "fold_header", "parse_key_value_lines",
    "variables_used", "bound_names", "template_data",
]


_UNKNOWN_TAG = re.compile(r"Invalid block tag on line (\d+): '([^']*)'")
_UNKNOWN_FILTER = re.compile(r"Invalid filter: '([^']*)'")


def _syntax_message(err):
    """The editor's version of Django's syntax error message, with its line."""
    message = str(err)
    line = getattr(getattr(err, "token", None), "lineno", None)
    match = _UNKNOWN_TAG.match(message)
    if match:
        line, name = int(match.group(1)), match.group(2)
        if name.startswith("end") or name in {"else", "elif", "empty", "plural"}:
            message = f"{{% {name} %}} has no matching opening tag here."
        else:
            message = (f"{{% {name} %}} is not a tag notification templates can use "
                       f"(they can use: {', '.join(sorted(ALLOWED_TAGS.keys() | {'for'}))}).")
    match = _UNKNOWN_FILTER.match(message)
    if match:
        message = (f"|{match.group(1)} is not a filter notification templates can use "
                   f"(they can use: {', '.join(sorted(ALLOWED_FILTERS))}).")
    if message == str(err) and "is not available:" not in message:
        message = f"Template syntax error: {message}"
    if "on line" in message:
        return message
    return with_line(message, line)


@functools.lru_cache(maxsize=512)
def compile_template(source, autoescape=True, escape=None):
    """Compile ``source`` once; raise TemplateRenderError saying what is wrong and where.

    ``escape`` (a function of one string, hashable) is applied to the output
    of every ``{{ variable }}`` instead of Django's HTML escaping, for markup
    languages (Markdown) that need more than HTML escaping.
    """
    try:
        template = _ENGINES[bool(autoescape)].from_string(source or "")
    except DjangoTemplateSyntaxError as err:
        raise TemplateRenderError(_syntax_message(err)) from err
    if escape is not None:
        value_filter = _escaping_filter(escape)
        for node in template.nodelist.get_nodes_by_type(VariableNode):
            node.filter_expression.filters.append((value_filter, []))
    instrument(template)
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


def render_compiled(template, context):
    """Render a template from :func:`compile_template` within the message's budget."""
    with message_budget():
        try:
            return template.render(context)
        except (DjangoTemplateSyntaxError, VariableDoesNotExist) as err:
            raise TemplateRenderError(f"Template error: {err}") from err
        except RecursionError as err:
            raise TemplateLimitError("The template's values are nested too deeply.") from err


def render(source, parameters, autoescape=True, escape=None):
    """Render editor template ``source`` with ``parameters``.

    With ``escape`` (and ``autoescape``), every value taken from
    ``parameters`` is escaped by that function wherever the template prints
    it, instead of Django's HTML escaping: ``{{ variable }}`` (see
    :func:`compile_template`), values printed by tags, and filters' results.
    """
    template = compile_template(source, autoescape, escape)
    values = template_data(parameters)
    if escape is None or not autoescape:
        return render_compiled(template, Context(values, autoescape=autoescape))
    with escaping(escape):
        values = {name: wrap_text(value) for name, value in values.items()}
        return render_compiled(template, Context(values, autoescape=True))


def template_data(parameters) -> dict:
    """``parameters`` with every value made template data (:mod:`django_vox.templating.sandbox`).

    The context builder already gives views (with the registrations'
    declarations); this is the safety net for parameters built by hand: a
    model instance becomes a view with the default rules, a function nothing.
    """
    return {name: to_template_value(value) for name, value in (parameters or {}).items()}


def check_template(source):
    """Return an error message for ``source``, or ``None`` when it compiles."""
    try:
        compile_template(source, True)
    except TemplateRenderError as err:
        return str(err.message)
    return None


# -- the variables a template uses (for the checks of saved templates) -----------

def _parts(obj):
    """What a template object holding variables is made of."""
    if isinstance(obj, FilterExpression):
        return [obj.var] + [arg for _func, args in obj.filters
                            for is_lookup, arg in args if is_lookup]
    if isinstance(obj, (list, tuple)):
        return list(obj)
    if isinstance(obj, dict):
        return list(obj.values())
    if type(obj).__module__.startswith(("django.template", "django_vox.templating.engine")):
        return list(vars(obj).values())  # if-conditions, loop sequences
    return []


def _variables_in(obj, depth=0):
    """Yield the ``Variable`` objects held by one node's attributes."""
    if depth > 8 or obj is None or isinstance(obj, (str, NodeList, Node)):
        return
    if isinstance(obj, Variable):
        if obj.lookups:
            yield obj
        return
    for part in _parts(obj):
        yield from _variables_in(part, depth + 1)


def _nodes(source):
    return compile_template(source or "", True).nodelist.get_nodes_by_type(Node)


def variables_used(source: str) -> list:
    """``[(line, "object.author.name"), ...]``: every variable ``source`` looks up."""
    found = []
    for node in _nodes(source):
        attributes = {k: v for k, v in vars(node).items()
                      if k not in node.child_nodelists and k != "conditions_nodelists"}
        conditions = getattr(node, "conditions_nodelists", ())
        for variable in _variables_in([attributes, [c for c, _nodes in conditions]]):
            path = ".".join(str(bit) for bit in variable.lookups)
            if (line_of(node), path) not in found:
                found.append((line_of(node), path))
    return found


def _plain_path(expression):
    """``"a.b"`` for a filter expression that is a bare variable, else None."""
    if isinstance(expression, _BoundedSequence):
        expression = expression.expression
    var = getattr(expression, "var", None)
    if not isinstance(var, Variable) or not var.lookups or expression.filters:
        return None
    return ".".join(str(bit) for bit in var.lookups)


def bound_names(source: str):
    """``(aliases, local)``: names a template binds to a path (``{% for c in
    object.comments %}``: ``c`` → ``object.comments.0``; ``{% with t=object.title %}``)
    and names it binds to something else (``as`` names, unpacking, filtered values)."""
    aliases, local = {}, {"forloop", "block"}
    for node in _nodes(source):
        loopvars = getattr(node, "loopvars", None)
        if loopvars is not None:
            path = _plain_path(node.sequence)
            if len(loopvars) == 1 and path:
                aliases[loopvars[0]] = f"{path}.0"
            else:
                local.update(loopvars)
        for name, expression in (getattr(node, "extra_context", None) or {}).items():
            path = _plain_path(expression)
            if path:
                aliases[name] = path
            else:
                local.add(name)
        for attribute in ("variable_name", "asvar", "countervar"):
            if getattr(node, attribute, None):
                local.add(getattr(node, attribute))
    return aliases, local


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
    result = []
    for number, line in enumerate((body or "").splitlines(), start=1):
        if not line.strip():
            continue
        key, colon, value = line.partition(":")
        if not colon or not key.strip():
            raise TemplateRenderError(
                f'Line {number} of the {what} must read "key: value", not {line!r}.')
        result.append((key.strip(), value.strip()))
    return result
