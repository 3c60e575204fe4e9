"""Several connections of one backend kept busy at once (``DJANGO_VOX_CONCURRENCY``).

A provider on the network makes sending latency-bound: one connection waits
for each answer in turn, whatever the machine.  A :class:`Lanes` keeps up to
``DJANGO_VOX_CONCURRENCY`` connections busy for one :class:`BackendSession`:
each *lane* is a thread with a backend instance of its own, which it opens,
sends through and closes itself, so no backend session is ever shared
between threads (a backend need not be thread-safe).  Lanes only talk to
the provider: the session's own thread does everything else (the rate
limit's slots, the delivery log, the marks, the signals), so the database
and cache connections stay in that thread.

Each lane is handed one request at a time (one row, or one ``send_many``
batch).  Its outcome goes back to the session's thread, which records it
(a task worker marks the row sent) before that lane gets its next request:
a lane never has more than one request sent and not yet recorded, so a
process killed part-way leaves at most one message (one batch) per
connection sent but unmarked, as with one connection.  A rate limit's slot
is taken for each request before it is handed over (the lane waits for the
slot to begin), so the limit and any pause after a 429 hold across every
lane, and every worker.  A request whose turn cannot be taken (a pause too
long to wait for) fails without a lane, recorded like any failure.  Where
one address can be paused on its own (an endpoint the recipient owns that
answered 429), two requests to one address are never under way at once:
the second is handed over only after the first's answer was recorded, so
it sees that answer's pause, as on one connection.

Threads, not asyncio: the backends talk through blocking libraries (smtplib
through Django's mail backends, requests), a thread waiting on a socket
releases the GIL, and the measured cost of a thread hand-over per message
is far below the provider's latency (docs/background.rst, "Concurrency").
"""

from __future__ import annotations

import collections
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from django_vox import conf
from django_vox.exceptions import SendError

__all__ = ["Lane", "Lanes", "attempt", "attempt_batch", "lane_count", "message_id"]

logger = logging.getLogger("django_vox")

#: How long the session's thread waits for an outcome before it calls ``on_idle``.
IDLE_SECONDS = 30.0
#: How long closing waits for a lane still sending (seconds; it is a daemon thread).
CLOSE_TIMEOUT = 60.0


def lane_count(backend_class) -> int:
    """How many connections a sender keeps busy for ``backend_class``:
    ``DJANGO_VOX_CONCURRENCY``, or 1 for a backend that allows one session
    (``CONCURRENT_SESSIONS = False``, XMPP)."""
    if not getattr(backend_class, "CONCURRENT_SESSIONS", True):  # a 4.x backend lacks it
        return 1
    return conf.concurrency_for(backend_class.ID)


def attempt(backend, row, message) -> BaseException | None:
    """Send one row's message through ``backend``; the error, or None (the
    provider's message id goes on the row).
    A configuration error (ImproperlyConfigured) is raised."""
    try:
        to = row.to_addresses
        if len(to) == 1:
            sent_id = backend.send(to[0], message)
        else:
            sent_id = backend.send_message(message.from_address, to, message)
    except ImproperlyConfigured:
        raise
    except Exception as err:  # noqa: BLE001 - any backend error is recorded, not lost
        if not isinstance(err, SendError):
            logger.debug("Backend %s raised %r", backend.ID, err)
        return err
    row.provider_message_id = message_id(sent_id)
    return None


def attempt_batch(backend, pairs: list) -> list:
    """Send one-address rows in one ``send_many`` call; ``[(row, error or None)]``."""
    items = [(row.to_addresses[0], message) for row, message in pairs]
    try:
        results = list(backend.send_many(items))
    except ImproperlyConfigured:
        raise
    except Exception as err:  # noqa: BLE001 - the whole request failed: every row did
        return [(row, err) for row, _message in pairs]
    if len(results) != len(pairs):
        err = SendError(f"Backend {backend.ID!r} answered send_many() with "
                        f"{len(results)} results for {len(pairs)} messages.")
        return [(row, err) for row, _message in pairs]
    outcomes = []
    for (row, _message), result in zip(pairs, results):
        # Each result is the error, or (sent) the provider's message id or None.
        if isinstance(result, BaseException):
            outcomes.append((row, result))
        else:
            row.provider_message_id = message_id(result)
            outcomes.append((row, None))
    return outcomes


def message_id(value) -> str:
    """What is recorded as the provider's message id of a sent row (at most 255 characters)."""
    return str(value).strip().strip("<>")[:255] if value else ""


def send_request(backend, request: Sequence, batch: bool) -> list:
    """``[(row, error or None)]`` of one request: one row, or a ``send_many`` batch."""
    if batch:
        return attempt_batch(backend, list(request))
    ((row, message),) = request
    return [(row, attempt(backend, row, message))]


class Lane:
    """One thread and one backend instance (one connection to the provider)."""

    def __init__(self, backend_class, number: int, outcomes: queue.SimpleQueue):
        self.backend = backend_class()
        self.number = number
        self.open_error: BaseException | None = None
        self._outcomes = outcomes
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._opened = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True,
                                       name=f"django-vox-{backend_class.ID}-{number}")
        self.thread.start()

    def wait_open(self) -> None:
        self._opened.wait()

    def submit(self, request: Sequence, batch: bool, not_before: float) -> None:
        """Send ``request`` once the clock reaches ``not_before`` (its rate-limit slot)."""
        self._jobs.put((request, batch, not_before))

    def stop(self) -> None:
        self._jobs.put(None)

    def _run(self) -> None:
        try:
            self.backend.open()
        except BaseException as err:  # noqa: BLE001 - handed to the session's thread
            self.open_error = err
        finally:
            self._opened.set()
        try:
            while (job := self._jobs.get()) is not None:
                request, batch, not_before = job
                delay = not_before - time.time()
                if delay > 0:
                    time.sleep(delay)
                try:
                    outcome: Any = send_request(self.backend, request, batch)
                except BaseException as err:  # noqa: BLE001 - raised in the session's thread
                    outcome = err
                self._outcomes.put((self, outcome))
        finally:
            if self.open_error is None:
                try:
                    self.backend.close()
                except Exception:  # noqa: BLE001 - closing must not lose the report
                    logger.exception("Closing backend %s (lane %d) failed.", self.backend.ID,
                                     self.number)


class _Pending:
    """The requests not yet handed to a lane, in order.  With ``one_at_a_time``
    (a request's keys: its addresses), a request sharing a key with one under
    way waits, parked on that key, until that one is answered."""

    def __init__(self, requests: Iterable[Sequence],
                 one_at_a_time: Callable[[Sequence], Iterable[str]] | None):
        self._ready = collections.deque(requests)
        self._one_at_a_time = one_at_a_time
        self._parked: dict[str, list[Sequence]] = {}
        self._under_way: set[str] = set()
        self._held: dict[Lane, frozenset[str]] = {}

    def __bool__(self) -> bool:
        return bool(self._ready or self._parked)

    def next(self) -> tuple[Sequence, frozenset[str]] | None:
        """The next request that may go now and its keys; None when each
        waits for an answer."""
        while self._ready:
            request = self._ready.popleft()
            if self._one_at_a_time is None:
                return request, frozenset()
            keys = frozenset(self._one_at_a_time(request))
            busy = next((key for key in keys if key in self._under_way), None)
            if busy is None:
                return request, keys
            self._parked.setdefault(busy, []).append(request)
        return None

    def sending(self, lane: Lane, keys: frozenset[str]) -> None:
        if keys:
            self._held[lane] = keys
            self._under_way |= keys

    def answered(self, lane: Lane) -> None:
        """``lane``'s request was answered and recorded: what waited for its keys may go."""
        keys = self._held.pop(lane, frozenset())
        self._under_way -= keys
        woken = [request for key in keys for request in self._parked.pop(key, [])]
        self._ready.extendleft(reversed(woken))


class Lanes:
    """Up to ``size`` lanes of one backend, opened as requests need them.

    ``open_error`` is set when no lane could be opened (every request then
    fails with it, as a session's own failed opening does); a lane whose
    opening failed while others opened is left out, with a warning.
    """

    def __init__(self, backend_class, size: int):
        self.backend_class = backend_class
        self.size = size
        self.lanes: list[Lane] = []
        self.open_error: BaseException | None = None
        self._tried = 0
        self._busy = 0
        self._outcomes: queue.SimpleQueue = queue.SimpleQueue()

    def _open(self, wanted: int) -> None:
        """Open lanes (in parallel) until ``wanted`` are open or ``size`` were tried."""
        new = [Lane(self.backend_class, number, self._outcomes)
               for number in range(self._tried + 1, min(self.size, wanted) + 1)]
        self._tried += len(new)
        for lane in new:
            lane.wait_open()
        for lane in new:
            if isinstance(lane.open_error, ImproperlyConfigured):
                raise lane.open_error
            if lane.open_error is None:
                self.lanes.append(lane)
            else:
                logger.warning("Backend %s: connection %d of %d could not be opened: %s",
                               self.backend_class.ID, lane.number, self.size, lane.open_error)
                if self.open_error is None:
                    self.open_error = lane.open_error
                lane.stop()
        if self.lanes:
            self.open_error = None

    def run(self, requests: Iterable[Sequence], *, batch: bool,
            slot: Callable[[Sequence], float | BaseException],
            record: Callable[[list], None], on_idle: Callable[[], None],
            one_at_a_time: Callable[[Sequence], Iterable[str]] | None = None) -> None:
        """Send every request on a free lane, calling ``record(outcomes)`` in
        this thread as each is answered, before its lane gets another.

        ``slot(request)`` takes the request's rate-limit slot and returns the
        seconds until it begins, or the error the request fails with unsent;
        ``on_idle`` is called while waiting long.  With ``one_at_a_time``,
        two requests sharing one of its keys are never under way at once.
        """
        requests = list(requests)
        if len(self.lanes) < min(self.size, len(requests)) and self._tried < self.size:
            self._open(len(requests))
        if not self.lanes:
            err = self.open_error or SendError(f"Backend {self.backend_class.ID!r}: "
                                               f"no connection could be opened.")
            for request in requests:
                record([(row, err) for row, _message in request])
            return
        free, pending = list(self.lanes), _Pending(requests, one_at_a_time)
        try:
            while pending or self._busy:
                item = pending.next() if free else None
                if item is None:
                    lane = self._answer(record, on_idle)
                    pending.answered(lane)
                    free.append(lane)
                    continue
                request, keys = item
                wait = slot(request)
                if isinstance(wait, BaseException):
                    record([(row, wait) for row, _message in request])
                    continue
                lane = free.pop()
                pending.sending(lane, keys)
                lane.submit(request, batch, time.time() + wait)
                self._busy += 1
        except BaseException:
            self._settle(record)
            raise

    def _answer(self, record, on_idle) -> Lane:
        """Wait for one lane's outcome, record it; return that lane."""
        while True:
            try:
                lane, outcome = self._outcomes.get(timeout=IDLE_SECONDS)
            except queue.Empty:
                on_idle()
                continue
            self._busy -= 1
            if isinstance(outcome, BaseException):
                raise outcome
            record(outcome)
            return lane

    def _settle(self, record) -> None:
        """Something raised: record what the other lanes still send (a message
        the provider took is marked sent, never left to be sent again)."""
        while self._busy:
            try:
                _lane, outcome = self._outcomes.get(timeout=CLOSE_TIMEOUT)
            except queue.Empty:
                logger.error("Backend %s: %d lane(s) did not answer within %s s.",
                             self.backend_class.ID, self._busy, CLOSE_TIMEOUT)
                return
            self._busy -= 1
            if isinstance(outcome, BaseException):
                continue
            try:
                record(outcome)
            except Exception:  # noqa: BLE001 - the first error is the one raised
                logger.exception("Backend %s: recording an outcome failed.",
                                 self.backend_class.ID)

    def close(self) -> None:
        for lane in self.lanes:
            lane.stop()
        for lane in self.lanes:
            lane.thread.join(CLOSE_TIMEOUT)
        self.lanes = []
