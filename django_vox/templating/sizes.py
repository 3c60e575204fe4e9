"""How big a template value is, measured before a filter makes a bigger one.

The output budget of a message (``RenderLimits.output``) must hold *before*
the work is done: a filter that concatenates (``|add``), repeats a separator
(``|join``) or splits (``|make_list``) is refused from the sizes of its
inputs, so a template doubling a list through nested ``{% with %}`` blocks is
stopped at the first step over the budget, not after building hundreds of
megabytes.  Sizes are counted in characters of the text the value would
print: a string's length, the sum over a list's items (one more per item for
the separator), a mapping's keys and values, a view's text.  Measuring stops
as soon as the total passes the limit, so it never costs more than the
budget it protects.

This module imports nothing of the package (the engine uses it).
"""

import datetime
import decimal
from collections.abc import Iterable, Mapping

__all__ = ["measure", "estimate"]

#: Characters a date, time or number prints, at most (``{{ d|date:"r" }}``).
_SCALAR = 40
#: Characters one letter of a ``|date``/``|time`` format becomes, at most
#: (``"r"``: an RFC 5322 date; ``"c"``: ISO 8601 with microseconds).
_DATE_LETTER = 40
#: Nesting followed when measuring (deeper values count as over the budget).
_DEPTH = 16


def _items(value):
    if isinstance(value, Mapping):
        for key in value:
            yield key
            yield value[key]
    else:
        yield from value


def measure(value, limit: int, depth: int = 0) -> int:
    """The size of ``value`` in characters, or a number above ``limit`` as
    soon as it is known to be bigger."""
    if isinstance(value, str):
        return len(value)
    if value is None or isinstance(value, (bool, float, decimal.Decimal, datetime.date,
                                           datetime.time, datetime.timedelta)):
        return _SCALAR
    if isinstance(value, int):
        return value.bit_length() // 3 + 2  # digits, without printing a huge number
    if isinstance(value, (bytes, bytearray, memoryview)):
        return len(value)
    if depth >= _DEPTH:
        return limit + 1
    if hasattr(value, "_vox_names"):  # a DataView (an object, a mapping): its text
        return len(str(value)) + 1
    if not isinstance(value, Iterable):
        return len(str(value))
    total = 0
    for item in _items(value):
        total += measure(item, limit - total, depth + 1) + 1
        if total > limit:
            break
    return total


def _count(value, limit):
    if hasattr(value, "__len__"):
        return len(value)
    return measure(value, limit)


def estimate(name: str, value, args, limit: int) -> int:
    """The largest value filter ``name`` can make of ``value`` and ``args``
    (a number above ``limit`` as soon as it is known to be bigger)."""
    size = measure(value, limit)
    if size > limit:
        return size
    if name == "join" and args:
        separator = measure(args[0], limit)
        return size + max(_count(value, limit) - 1, 0) * separator
    if name == "make_list":
        return 2 * size
    if name in ("date", "time") and args:
        return size + _DATE_LETTER * measure(args[0], limit)
    return size + sum(measure(arg, limit) for arg in args)
