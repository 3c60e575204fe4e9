"""Per-backend rate limits shared by every worker and process.

``DJANGO_VOX_RATE_LIMITS = {"twilio": "1/s", "email-html": "20/m"}`` caps how
fast each backend sends, counted across everything that shares the cache
named by ``DJANGO_VOX_RATE_LIMIT_CACHE``.  A sender waits for its turn instead
of provoking HTTP 429 answers and the retries that follow them.

How it works: a limit of N per period cuts time into *send slots* of
``period / N`` seconds, numbered from the Unix epoch.  Each message (one per
address) takes one slot, and may be sent once its slot has begun.  A slot is
taken with ``cache.add()``, which succeeds for exactly one caller on every
Django cache backend (``SET NX`` on Redis, an ``INSERT`` on the primary key in
the database cache, a lock in memcached and in the local-memory cache), so two
processes never take the same slot.  This is a token bucket holding one token:
sends are spaced evenly and never burst, which is what providers that count
per second expect.  A shared hint of the last slot taken lets a sender skip
the slots others already hold; it is only a hint, ``add()`` decides.

A provider that answers 429 anyway (its own limit is lower than the
configured one, or other software shares the account) slows the bucket down
for every process: nobody sends until its ``Retry-After`` has passed (one
second when it gave none), and for :data:`SLOWDOWN_SECONDS` afterwards only
every second slot is used; each further 429 doubles that, up to
:data:`MAX_SLOWDOWN`.

A 429 from an endpoint the *recipient* owns (a JSON webhook or Slack URL
given as the address, ``Backend.ADDRESS_IS_ENDPOINT``) pauses only that
address (:meth:`RateLimiter.address_throttled`): one customer's webhook cannot
slow a backend down for everyone.

No sender sleeps through a pause (the backend's or an address's) that ends
more than :data:`MAX_WAIT` seconds from now, and a synchronous sender (a web
request) waits at most that long for its turn once any pause has ended: the
message fails transiently instead (:class:`WaitTooLong`, with the seconds to
wait as ``retry_after``): a task worker retries it then, and a synchronous
send records it failed, to be resent.  A sender takes its turn with
:meth:`RateLimiter.take` (never before the pauses of the addresses it sends
to end: :meth:`RateLimiter.address_paused_until`) and sleeps it with
:meth:`RateLimiter.pace`, or hands it to a connection of its own
(:mod:`django_vox.issuing.lanes`).

The local-memory cache is per process, so limits held there apply to each
process separately; use Redis, memcached or the database cache when several
workers send.  The processes' clocks must agree (NTP) to within a slot or so.
"""

from __future__ import annotations

import hashlib
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.core.cache import InvalidCacheBackendError, caches
from django.core.cache.backends.base import BaseCache
from django.core.exceptions import ImproperlyConfigured

from django_vox import conf
from django_vox.exceptions import TransientSendError
from django_vox.pacing.retryafter import retry_after_seconds  # re-exported: the docs name it here

__all__ = ["MAX_PAUSE", "MAX_SLOWDOWN", "MAX_WAIT", "SLOWDOWN_SECONDS", "Rate", "RateLimiter",
           "WaitTooLong", "limiter_for", "parse_rate", "rate_limits", "retry_after_seconds"]

#: Seconds per unit of a rate ("20/s", "100/m", "1000/h").
UNITS = {"s": 1, "m": 60, "h": 3600}
#: How long one 429 keeps the bucket slowed down (seconds after the pause).
SLOWDOWN_SECONDS = 60
#: The most a bucket is slowed down: every 8th slot.
MAX_SLOWDOWN = 8
#: The longest pause a Retry-After can impose (seconds).
MAX_PAUSE = 3600
#: The longest stretch :meth:`RateLimiter.acquire` sleeps between calls of its ``on_wait``.
WAIT_SLICE = 30.0
#: The pause after a 429 that said nothing about when to come back.
DEFAULT_PAUSE = 1.0
#: The longest a sender sleeps in its process for a pause (every sender) or
#: for its turn (a synchronous sender); see :class:`WaitTooLong`.
MAX_WAIT = 5.0


class WaitTooLong(TransientSendError):
    """Sending now would mean sleeping longer than :data:`MAX_WAIT`: the
    message fails transiently, ``retry_after`` saying when to try again."""

_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smh])\s*$")
SETTING = "DJANGO_VOX_RATE_LIMITS"


@dataclass(frozen=True)
class Rate:
    """``count`` messages per ``seconds``."""

    count: int
    seconds: int

    @property
    def interval(self) -> float:
        """Seconds between two sends."""
        return self.seconds / self.count

    def __str__(self) -> str:
        return f"{self.count}/{self.seconds}s"


def parse_rate(value: object, *, backend_id: str = "") -> Rate:
    """``"N/s"``, ``"N/m"``, ``"N/h"`` (or ``"N/10s"``) as a :class:`Rate`.

    ImproperlyConfigured naming the setting and the backend otherwise.
    """
    match = _RATE.match(value) if isinstance(value, str) else None
    count = int(match.group(1)) if match else 0
    multiple = int(match.group(2) or 1) if match else 0
    if match is None or count < 1 or multiple < 1:
        where = f"{SETTING}[{backend_id!r}]" if backend_id else SETTING
        raise ImproperlyConfigured(
            f"{where} must be a rate such as '20/s', '100/m' or '1000/h' (a whole number of "
            f"at least 1 per s, m or h), not {value!r}.")
    return Rate(count, multiple * UNITS[match.group(3)])


def rate_limits() -> dict[str, Rate]:
    """``{backend ID: Rate}`` from ``DJANGO_VOX_RATE_LIMITS`` (validated)."""
    value = conf.get(SETTING)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ImproperlyConfigured(
            f"{SETTING} must be a dict of backend ID to rate, such as "
            f"{{'twilio': '1/s'}}, not {value!r}.")
    limits: dict[str, Rate] = {}
    for backend_id, rate in value.items():
        if not isinstance(backend_id, str) or not backend_id:
            raise ImproperlyConfigured(
                f"{SETTING} keys must be backend IDs (strings such as 'twilio'), "
                f"not {backend_id!r}.")
        limits[backend_id] = parse_rate(rate, backend_id=backend_id)
    return limits


def limit_cache() -> BaseCache:
    """The cache the limits are held in (``DJANGO_VOX_RATE_LIMIT_CACHE``)."""
    alias = conf.get("DJANGO_VOX_RATE_LIMIT_CACHE")
    try:
        return caches[alias]
    except InvalidCacheBackendError as err:
        raise ImproperlyConfigured(
            f"DJANGO_VOX_RATE_LIMIT_CACHE names the cache {alias!r}, which is not in "
            f"CACHES.") from err


def limiter_for(backend_id: str) -> RateLimiter | None:
    """The limiter of ``backend_id``, or None when it has no limit."""
    rate = rate_limits().get(backend_id)
    if rate is None:
        return None
    return RateLimiter(backend_id, rate, cache=limit_cache())


def wait(seconds: float) -> None:
    """How a limiter waits for its turn (``time.sleep``)."""
    time.sleep(seconds)


def _timeout(seconds: float) -> int:
    """A cache timeout covering ``seconds`` from now, and a little more."""
    return max(2, math.ceil(seconds) + 2)


class RateLimiter:
    """The send slots of one backend, held in a Django cache.

    ``clock`` (wall-clock seconds, shared by all processes) and ``sleep``
    (default :func:`wait`) are parameters so that tests can drive them.
    """

    def __init__(self, backend_id: str, rate: Rate, *, cache: BaseCache | None = None,
                 clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], None] | None = None) -> None:
        self.backend_id = backend_id
        self.rate = rate
        self.cache = cache if cache is not None else limit_cache()
        self.clock = clock
        self.sleep = sleep or wait
        #: The slot the last :meth:`reserve` ended on (its number since the epoch).
        self.last_slot: int | None = None
        #: The slots the last :meth:`reserve` took.
        self.taken: list[int] = []
        # The rate is part of the key: changing a limit starts a new timeline.
        self.prefix = f"django_vox:rate:{backend_id}:{rate.count}/{rate.seconds}"

    def _key(self, name: object) -> str:
        return f"{self.prefix}:{name}"

    def _state(self) -> tuple[float, int, int | None]:
        """``(paused until, slowdown factor, last slot taken)``, one round trip."""
        keys = [self._key("pause"), self._key("slow"), self._key("hint")]
        found = self.cache.get_many(keys)
        return (float(found.get(keys[0]) or 0.0), int(found.get(keys[1]) or 1),
                found.get(keys[2]))

    def reserve(self, count: int = 1, not_before: float = 0.0) -> float:
        """Take ``count`` send slots, none beginning before ``not_before``
        (a clock time: the end of an address's pause); return the seconds to
        wait before the last of them begins (0 when it already has)."""
        now = self.clock()
        interval = self.rate.interval
        paused_until, step, hint = self._state()
        if paused_until - now > MAX_WAIT:
            raise WaitTooLong(f"Backend {self.backend_id!r} is paused for another "
                              f"{paused_until - now:.0f} seconds (its provider answered 429).",
                              retry_after=paused_until - now)
        slot = math.floor(max(now, paused_until, not_before) / interval)
        if hint is not None:
            slot = max(slot, int(hint) + 1)
        slot = math.ceil(slot / step) * step  # slowed down: only every step-th slot
        taken: list[int] = []
        while True:
            if self.cache.add(self._key(slot), 1, _timeout(slot * interval - now + interval)):
                taken.append(slot)
                if len(taken) == count:
                    break
            slot += step
        self.last_slot = slot
        self.taken = taken
        delay = max(0.0, slot * self.rate.seconds / self.rate.count - now)
        if hint is None or slot > int(hint):
            self.cache.set(self._key("hint"), slot, _timeout(delay + interval))
        return delay

    def take(self, count: int = 1, *, max_wait: float | None = None,
             not_before: float = 0.0) -> float:
        """:meth:`reserve` ``count`` slots, none before ``not_before``; return
        the seconds until the last begins.  With ``max_wait`` (a synchronous
        sender), a turn further than that beyond ``not_before`` gives the
        slots back and raises :class:`WaitTooLong` instead."""
        now = self.clock()
        delay = self.reserve(count, not_before)
        if max_wait is not None and delay - max(0.0, not_before - now) > max_wait:
            self.cache.delete_many([self._key(slot) for slot in self.taken])
            raise WaitTooLong(f"Backend {self.backend_id!r} may send again in {delay:.0f} "
                              f"seconds (rate limit {self.rate}), longer than a synchronous "
                              f"sender waits.", retry_after=delay)
        return delay

    def pace(self, delay: float, on_wait: Callable[[], None] | None = None) -> None:
        """Sleep ``delay`` seconds (a turn :meth:`take` gave), calling
        ``on_wait`` before each stretch of at most :data:`WAIT_SLICE` seconds
        (the pipeline keeps the rows it is waiting to send from looking
        abandoned)."""
        remaining = delay
        while remaining > 0:
            step = min(remaining, WAIT_SLICE) if on_wait is not None else remaining
            if on_wait is not None:
                on_wait()
            self.sleep(step)
            remaining -= step

    def acquire(self, count: int = 1, on_wait: Callable[[], None] | None = None,
                max_wait: float | None = None) -> float:
        """Wait until ``count`` more messages may be sent; return the wait
        (:meth:`take`, then :meth:`pace`)."""
        delay = self.take(count, max_wait=max_wait)
        self.pace(delay, on_wait)
        return delay

    def throttled(self, retry_after: float | None = None) -> None:
        """The provider answered 429: pause every sender for ``retry_after``
        seconds (:data:`DEFAULT_PAUSE` when None) and slow the bucket down."""
        pause = retry_after if retry_after is not None and retry_after > 0 else DEFAULT_PAUSE
        pause = min(float(pause), MAX_PAUSE)
        now = self.clock()
        until = now + pause
        pause_key = self._key("pause")
        current = float(self.cache.get(pause_key) or 0.0)
        if current > now:
            # Paused already: 429s of messages that were under way when it
            # began slow it no further, but may make it longer.
            if until > current:
                self.cache.set(pause_key, until, _timeout(pause))
            return
        # Not paused: the first 429 (of any process) begins a pause and
        # slows the bucket down; the others racing with it stop here.
        if not self.cache.add(self._key(f"throttle:{current!r}"), 1, _timeout(pause)):
            return
        self.cache.set(pause_key, until, _timeout(pause))
        slow_key = self._key("slow")
        factor = min(MAX_SLOWDOWN, int(self.cache.get(slow_key) or 1) * 2)
        self.cache.set(slow_key, factor, _timeout(pause + SLOWDOWN_SECONDS))

    def _address_key(self, address: str) -> str:
        return self._key("address:" + hashlib.sha256(address.encode()).hexdigest()[:32])

    def address_throttled(self, address: str, retry_after: float | None = None) -> None:
        """An endpoint the recipient owns (``address``) answered 429: pause
        sending to that address only, for ``retry_after`` seconds."""
        pause = retry_after if retry_after is not None and retry_after > 0 else DEFAULT_PAUSE
        pause = min(float(pause), MAX_PAUSE)
        key = self._address_key(address)
        until = self.clock() + pause
        if until > float(self.cache.get(key) or 0.0):
            self.cache.set(key, until, _timeout(pause))

    def address_paused_until(self, address: str) -> float:
        """When the pause of ``address`` ends (a clock time; 0 when it has
        none).  A pause more than :data:`MAX_WAIT` seconds away raises
        :class:`WaitTooLong`: no sender sleeps through it."""
        until = float(self.cache.get(self._address_key(address)) or 0.0)
        remaining = until - self.clock()
        if remaining > MAX_WAIT:
            raise WaitTooLong(f"The endpoint {address} asked for a pause of another "
                              f"{remaining:.0f} seconds (it answered 429).",
                              retry_after=remaining)
        return until

    def slowdown(self) -> int:
        """1 at the configured rate, 2 at half of it, and so on."""
        return self._state()[1]

    def paused_until(self) -> float:
        return self._state()[0]
