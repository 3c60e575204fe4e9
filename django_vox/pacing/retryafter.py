"""Reading a provider's ``Retry-After``.

An HTTP 429 (too many requests) or 503 (unavailable) may say when to come
back, as a number of seconds or as an HTTP date.  :func:`retry_after_seconds`
turns either into seconds from now.  It imports nothing else from the
package, so that the HTTP client (:mod:`django_vox.http`), the rate limits
(:mod:`django_vox.pacing.ratelimit`, which re-exports it) and the retry policy
(:mod:`django_vox.pacing.retry`) can all use it; it is the lowest layer of the
import contract in pyproject.toml.
"""

from __future__ import annotations

import email.utils
import math
import time
from datetime import timezone

__all__ = ["RETRY_AFTER_STATUSES", "retry_after_seconds"]

#: The answers whose ``Retry-After`` a send error carries.
RETRY_AFTER_STATUSES = frozenset({429, 503})


def retry_after_seconds(value: object, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header value (seconds or an
    HTTP date; a date in the past is 0); None when absent or unreadable."""
    if value is None:
        return None
    text = str(value).strip()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)
