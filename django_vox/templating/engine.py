"""The restricted template engine behind :mod:`django_vox.templating.rendering`.

Only the tags and filters an editor needs (:data:`ALLOWED_TAGS`,
:data:`ALLOWED_FILTERS`); tags that reach beyond the message
(:data:`REFUSED_TAGS`) are refused in plain words.  Every render spends from
a budget (:class:`RenderLimits`): loop iterations, characters of output,
seconds, and the size arguments of filters.  Values that come from data are
escaped for the message's markup (:class:`EscapedText`).
"""

import contextlib
import contextvars
import functools
import re
import time
from dataclasses import dataclass, fields, replace

from django.core.exceptions import ImproperlyConfigured
from django.template import Engine, Library, Node, defaultfilters, defaulttags, loader_tags
from django.template import TemplateSyntaxError as DjangoTemplateSyntaxError
from django.templatetags import i18n
from django.utils.safestring import SafeData

from django_vox import conf
from django_vox.exceptions import TemplateRenderError
from django_vox.templating.digestparts import digest_part_tag
from django_vox.templating.escapes import (
    ESCAPE_FILTERS,
    EscapedText,
    active_escape,
    escaped,
    escaping,
    for_markup,
    wrap_text,
)
from django_vox.templating.sizes import estimate, measure

__all__ = [  # noqa: RUF022
    "ALLOWED_TAGS", "ALLOWED_FILTERS", "REFUSED_TAGS", "RenderLimits", "TemplateLimitError",
    "current_limits", "message_budget", "make_engine", "instrument", "line_of", "with_line",
    "EscapedText", "wrap_text", "escaping",
]


class TemplateLimitError(TemplateRenderError):
    """A template went over its budget (loops, output size, time, a filter's size)."""


@dataclass(frozen=True)
class RenderLimits:
    """How much one message may cost.  ``DJANGO_VOX_TEMPLATE_LIMITS`` (a dict
    with any of these keys) overrides the defaults."""

    #: Loop iterations in total, all ``{% for %}`` loops of the message together.
    iterations: int = 10_000
    #: Characters of output (and of any single value a filter makes).
    output: int = 1_000_000
    #: Seconds of rendering.
    seconds: float = 5.0
    #: Largest size argument of a filter (``ljust:"20"``, ``wordwrap:"72"``...).
    width: int = 1_000
    #: Characters of Markdown (or of HTML for its text part) converted, at most.
    markup: int = 500_000
    #: Seconds one conversion (Markdown to HTML, HTML to text) may take.
    markup_seconds: float = 3.0


def current_limits() -> RenderLimits:
    """The limits in force: the defaults updated by ``DJANGO_VOX_TEMPLATE_LIMITS``."""
    overrides = conf.get("DJANGO_VOX_TEMPLATE_LIMITS") or {}
    known = {f.name for f in fields(RenderLimits)}
    unknown = set(overrides) - known
    if unknown:
        raise ImproperlyConfigured(
            f"DJANGO_VOX_TEMPLATE_LIMITS has unknown key(s) {sorted(unknown)}; "
            f"known: {sorted(known)}.")
    return replace(RenderLimits(), **overrides)


# -- the budget ----------------------------------------------------------------

class _Budget:
    """What one message has spent so far."""

    def __init__(self, limits):
        self.limits = limits
        self.iterations = 0
        self.output = 0
        self.deadline = time.monotonic() + limits.seconds

    def tick(self):
        if time.monotonic() > self.deadline:
            raise TemplateLimitError(
                f"The template took longer than {self.limits.seconds:g} seconds to render.")

    def loop(self):
        self.iterations += 1
        if self.iterations > self.limits.iterations:
            raise TemplateLimitError(
                f"The template's loops ran more than {self.limits.iterations} times in all.")
        self.tick()

    def emit(self, text):
        self.output += len(text)
        if self.output > self.limits.output:
            raise TemplateLimitError(
                f"The message would be longer than {self.limits.output} characters.")
        self.tick()

    def check_value(self, value):
        if measure(value, self.limits.output) > self.limits.output:
            raise TemplateLimitError(
                f"A value would be longer than {self.limits.output} characters.")
        self.tick()

    def check_filter(self, name, value, args):
        """Refuse filter ``name`` before it runs when what it could make of
        ``value`` and ``args`` is over the output budget."""
        if estimate(name, value, args, self.limits.output) > self.limits.output:
            raise TemplateLimitError(
                f"The filter |{name} would make a value longer than {self.limits.output} "
                f"characters (from the size of its input).")


_budget = contextvars.ContextVar("django_vox_render_budget", default=None)


@contextlib.contextmanager
def message_budget(limits=None):
    """Share one budget between every render of one message (subject, body...).

    Outside such a block each :func:`render` call gets a budget of its own.
    """
    if _budget.get() is not None:
        yield _budget.get()
        return
    budget = _Budget(limits or current_limits())
    token = _budget.set(budget)
    try:
        yield budget
    finally:
        _budget.reset(token)


def _spend():
    budget = _budget.get()
    if budget is None:  # compiled templates rendered outside render(): a budget of their own
        raise TemplateRenderError("Editor templates must be rendered through django_vox.rendering.")
    return budget


# -- tags ----------------------------------------------------------------------

#: Tags an editor may use (``else``, ``empty``, ``endif``... belong to them).
ALLOWED_TAGS = {
    "if": defaulttags.do_if,
    "with": defaulttags.do_with,
    "firstof": defaulttags.firstof,
    "cycle": defaulttags.cycle,
    "now": defaulttags.now,
    "spaceless": defaulttags.spaceless,
    "autoescape": defaulttags.autoescape,
    "comment": defaulttags.comment,
    "block": loader_tags.do_block,  # the parts of a template-block email
    "translate": i18n.do_translate,
    "trans": i18n.do_translate,
    "blocktranslate": i18n.do_block_translate,
    "blocktrans": i18n.do_block_translate,
    "digest_subject": digest_part_tag,
    "digest_items": digest_part_tag,
}

#: Tags refused by name, with the reason given to the editor.
REFUSED_TAGS = {
    "load": "notification templates cannot load tag libraries",
    "include": "notification templates cannot use other templates",
    "extends": "notification templates cannot use other templates",
    "ssi": "notification templates cannot read files",
    "debug": "it would show the server's internals",
    "url": "links are given as variables of the objects (ask a developer to declare one)",
    "csrf_token": "messages contain no forms",
}


class _BoundedSequence:
    """Stands in for a ``{% for %}`` loop's sequence: every item costs one
    iteration of the message's budget."""

    def __init__(self, expression):
        self.expression = expression

    def __str__(self):
        return str(self.expression)

    def resolve(self, context, ignore_failures=False):
        values = self.expression.resolve(context, ignore_failures=ignore_failures)
        if values is None:
            return None
        return _CountedItems(values)


class _CountedItems:
    def __init__(self, values):
        if not hasattr(values, "__len__"):
            budget = _spend()
            items = []
            for item in values:
                budget.loop()
                items.append(item)
            values = items
        self.values = values

    def __len__(self):
        return len(self.values)

    def _counted(self, items):
        budget = _spend()
        for item in items:
            budget.loop()
            yield item

    def __iter__(self):
        return self._counted(iter(self.values))

    def __reversed__(self):
        return self._counted(reversed(self.values))


def _for_tag(parser, token):
    node = defaulttags.do_for(parser, token)
    node.sequence = _BoundedSequence(node.sequence)
    return node


def _refused_tag(name, reason):
    def refuse(parser, token):
        raise DjangoTemplateSyntaxError(f"{{% {name} %}} is not available: {reason}.")

    return refuse


# -- filters -------------------------------------------------------------------

_TEXT_FILTERS = (
    "addslashes", "capfirst", "center", "cut", "default", "default_if_none", "escape",
    "force_escape", "first", "iriencode", "join", "last", "length", "linebreaks",
    "linebreaksbr", "linenumbers", "ljust", "lower", "make_list", "rjust", "safe", "slice",
    "slugify", "striptags", "title", "truncatechars", "truncatechars_html", "truncatewords",
    "truncatewords_html", "upper", "urlencode", "urlize", "urlizetrunc", "wordcount",
    "wordwrap", "yesno",
)
_NUMBER_FILTERS = ("add", "divisibleby", "filesizeformat", "floatformat", "get_digit",
                   "pluralize", "stringformat")
_DATE_FILTERS = ("date", "time", "timesince", "timeuntil")

#: Filters an editor may use.
ALLOWED_FILTERS = _TEXT_FILTERS + _NUMBER_FILTERS + _DATE_FILTERS

#: Filters whose argument is a size, checked against ``RenderLimits.width``.
_SIZE_FILTERS = {"center", "ljust", "rjust", "wordwrap", "truncatechars", "truncatechars_html",
                 "truncatewords", "truncatewords_html", "urlizetrunc", "floatformat",
                 "stringformat"}
_NUMBERS = re.compile(r"\d+")


def _check_size_argument(name, arg, limit):
    numbers = [int(n) for n in _NUMBERS.findall(str(arg))]
    if any(n > limit for n in numbers):
        raise TemplateLimitError(
            f'The filter {name}:"{arg}" asks for more than {limit} characters.')


def _guarded(name, func):
    """``func`` with the message's budget checked before and after each call
    (before: from the sizes of its inputs), and data escaped for the
    message's markup wherever the filter would print it (see
    :func:`~django_vox.templating.escapes.for_markup`)."""
    sized = name in _SIZE_FILTERS

    @functools.wraps(func)
    def guarded(value, *args, **kwargs):
        budget = _spend()
        budget.tick()
        if sized and args:
            _check_size_argument(name, args[0], budget.limits.width)
        budget.check_filter(name, value, args)
        escape = active_escape()
        if escape is not None and kwargs.get("autoescape", True):
            if name in ESCAPE_FILTERS and not isinstance(value, SafeData):
                return escaped(escape, value)
            value = for_markup(name, value, escape)
        result = func(value, *args, **kwargs)
        budget.check_value(result)
        return wrap_text(result)

    return guarded


def _library():
    library = Library()
    for name, compile_function in ALLOWED_TAGS.items():
        library.tags[name] = compile_function
    library.tags["for"] = _for_tag
    for name, reason in REFUSED_TAGS.items():
        library.tags[name] = _refused_tag(name, reason)
    for name in ALLOWED_FILTERS:
        library.filters[name] = _guarded(name, defaultfilters.register.filters[name])
    return library


_LIBRARY = _library()


def make_engine(autoescape):
    engine = Engine(dirs=[], app_dirs=False, libraries={}, builtins=[],
                    loaders=[("django.template.loaders.locmem.Loader", {})],
                    autoescape=autoescape, debug=False, string_if_invalid="")
    engine.template_builtins = [_LIBRARY]
    engine.template_libraries = {}
    return engine


_ENGINES = {True: make_engine(True), False: make_engine(False)}


# -- line numbers and the output budget -----------------------------------------

def line_of(node):
    token = getattr(node, "token", None)
    return getattr(token, "lineno", None)


def with_line(message, line):
    if line is None or message.startswith("Line "):
        return message
    return f"Line {line}: {message}"


def _watch(node, leaf):
    """Wrap ``node``'s rendering: errors get its line; a leaf's output is counted."""
    render_annotated = node.render_annotated

    def watched(context):
        try:
            output = render_annotated(context)
        except TemplateRenderError as err:
            if not getattr(err, "vox_line_known", False):
                err.message = with_line(err.message, line_of(node))
                err.args = (err.message,)
                err.vox_line_known = True
            raise
        if leaf:
            _spend().emit(output)
        return output

    node.render_annotated = watched


def _is_leaf(node):
    return not any(getattr(node, attr, None) for attr in node.child_nodelists)


def instrument(template):
    for node in template.nodelist.get_nodes_by_type(Node):
        _watch(node, _is_leaf(node))
