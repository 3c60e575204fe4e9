"""When to try a failed delivery again.

A failure is *transient* when trying again later may succeed: the provider
could not be reached (refused or reset connection, timeout), was overloaded
(HTTP 429 and 5xx) or asked to come back (SMTP 4xx).  Backends say so by
raising a :class:`~django_vox.exceptions.SendError` whose ``transient`` is
true.  Everything else (HTTP 4xx, SMTP 5xx, a bad address, a template that
does not render, a bug) is permanent: retrying would fail the same way.

Retries wait ``DJANGO_VOX_RETRY_BACKOFF`` seconds after the first failure,
twice that after the second, and so on (capped at :data:`MAX_DELAY`), each
delay shortened by up to a quarter at random so that many deliveries that
failed together do not all come back at the same instant.  A delivery is
tried at most ``DJANGO_VOX_MAX_ATTEMPTS`` times in all.

A provider that said when to come back (an HTTP 429 or 503 with
``Retry-After``, which the backends put on the error as ``retry_after`` in
seconds) is not asked again before then: :func:`retry_delay` waits the longer
of the backoff and ``retry_after``, still capped at :data:`MAX_DELAY`.  The
wait counts from when the failure is recorded, after the answer came, so the
retry never comes before the time the provider named.
"""

import math
import random
import socket
from datetime import timedelta
from typing import Any

from django_vox import conf
from django_vox.exceptions import SendError

__all__ = ["JITTER", "MAX_DELAY", "backoff_delay", "is_transient", "max_attempts", "retry_delay",
           "should_retry"]

#: No retry waits longer than this, however many attempts came before.
MAX_DELAY = timedelta(hours=6)
#: The share of each delay that is random: delays fall in ``[d * (1 - JITTER), d]``.
JITTER = 0.25

_TRANSIENT_BUILTINS = (ConnectionError, TimeoutError, socket.timeout)


def is_transient(error: BaseException) -> bool:
    """Whether ``error`` may go away if the delivery is tried again later."""
    if isinstance(error, SendError):
        return bool(error.transient)
    # A backend that let a network error escape unwrapped.
    return isinstance(error, _TRANSIENT_BUILTINS)


def max_attempts() -> int:
    value = conf.get("DJANGO_VOX_MAX_ATTEMPTS")
    try:
        number = int(value)
    except (TypeError, ValueError):
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            f"DJANGO_VOX_MAX_ATTEMPTS must be a whole number, not {value!r}.") from None
    return max(1, number)


def backoff_delay(attempts: int, *, rng: random.Random | None = None) -> timedelta:
    """How long to wait after the ``attempts``-th failed attempt (1 for the first)."""
    base = float(conf.get("DJANGO_VOX_RETRY_BACKOFF"))
    exponent = max(0, attempts - 1)
    full = min(base * (2 ** min(exponent, 32)), MAX_DELAY.total_seconds())
    share = (rng or random).random() * JITTER
    return timedelta(seconds=full * (1 - share))


def should_retry(error: BaseException, attempts: int) -> bool:
    """Retry after ``attempts`` failed attempts ending with ``error``?"""
    return is_transient(error) and attempts < max_attempts()


def retry_delay(error: BaseException, attempts: int, *,
                rng: random.Random | None = None) -> timedelta:
    """How long to wait before trying again after ``error`` ended the
    ``attempts``-th attempt: the backoff, or the error's ``retry_after``
    seconds when that is longer, never more than :data:`MAX_DELAY`."""
    delay = backoff_delay(attempts, rng=rng)
    asked = _seconds(getattr(error, "retry_after", None))
    if asked is not None:
        delay = max(delay, timedelta(seconds=min(asked, MAX_DELAY.total_seconds())))
    return min(delay, MAX_DELAY)


def _seconds(value: Any) -> float | None:
    """``value`` as a finite number of seconds (at least 0), or None."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, seconds) if math.isfinite(seconds) else None
