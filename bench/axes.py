"""The plots' axis scale, shared by :mod:`bench.report` and :mod:`bench.scaleplot`."""

import math


def nice_max(value):
    """The smallest 1, 2, 2.5 or 5 × 10ⁿ at or above ``value`` (1 for nothing)."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power
