"""What the runner and the cases share (paths, the failure, the arrival check).

Imports nothing of ``bench``: see :mod:`bench` for the layers.
"""

from pathlib import Path

#: The project's root: the working directory of every process the runner starts.
ROOT = Path(__file__).resolve().parent.parent


class BenchFailure(Exception):
    """A message went missing, or a worker failed."""


def check_arrivals(arrivals, n):
    """``(lost, doubled)`` addresses among the ``n`` members' emails."""
    got = arrivals["recipients"]
    expected = {f"member{i}@bench.example" for i in range(n)}
    lost = sorted(expected - set(got))
    doubled = sorted(address for address, count in got.items() if count > 1)
    unexpected = sorted(set(got) - expected)
    return lost, doubled + unexpected
