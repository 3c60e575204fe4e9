"""Sending logged rows through a backend and recording what happened.

A :class:`BackendSession` opens one backend once (for an issue, a resend or
a one-time message), holds the error if opening failed (every row sent
through it then fails with that error, and is recorded), sends rows and
records their outcomes on the delivery log.  It waits for the backend's rate
limit (:mod:`django_vox.pacing.ratelimit`) before each message, and sends one-address
rows through the backend's ``send_many()`` when it has a batch call of its own
(``Backend.sends_in_batches()``).  With ``DJANGO_VOX_CONCURRENCY`` above 1
it keeps that many connections busy at once (:mod:`django_vox.issuing.lanes`).

Retries are the task layer's business: a caller in a task worker passes a
``schedule_retry(pending, run_after)`` callback, and transient failures are
handed to it instead of being marked failed.  Issuing never imports the tasks.
"""

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from django_vox import conf, deliverylog, signals
from django_vox.backends import backends as backend_registry
from django_vox.backends.base import Backend
from django_vox.exceptions import SendError
from django_vox.issuing import lanes
from django_vox.issuing.recheck import recheck_preferences
from django_vox.messages import Message
from django_vox.models import Delivery
from django_vox.pacing import ratelimit

#: A row and its message; a row and its error (None: sent).
_Pair = tuple[Any, Message]
_Outcome = tuple[Any, BaseException | None]

__all__ = ["BackendSession", "RetryScheduler", "record_failures", "send_deliveries",
           "describe_error", "recheck_preferences"]

logger = logging.getLogger("django_vox")

#: ``schedule_retry({delivery id: attempts}, run_after)``, given by the task layer.
RetryScheduler = Callable[[dict[str, int], datetime], None]

describe_error = deliverylog.describe_error

#: How often rows waiting for a rate limit are touched (seconds).
FRESH_SECONDS = 60


class BackendSession:
    """One backend, opened once, sending rows of the delivery log.

    ``schedule_retry`` (only in a task worker) makes each sent row be marked
    at once, so a worker killed part-way leaves only unsent rows queued, and
    hands transient failures to the callback instead of marking them failed.
    """

    def __init__(self, backend_class: type[Backend], *,
                 schedule_retry: RetryScheduler | None = None) -> None:
        self.backend = backend_class()
        #: The backend's DJANGO_VOX_RATE_LIMITS entry, shared by every process.
        self.limiter = ratelimit.limiter_for(self.backend.ID)
        self.schedule_retry = schedule_retry
        #: Rows of the current send() not yet sent, and when they were last touched.
        self._waiting: dict[Any, Any] = {}
        self._touched_at = 0.0
        self.open_error: BaseException | None = None
        #: How a task worker marks each message sent (opened with the first one).
        self._marks: deliverylog.SentMarks | None = None
        #: Several connections at once (DJANGO_VOX_CONCURRENCY), or None for one.
        self._lanes: lanes.Lanes | None = None
        concurrency = lanes.lane_count(backend_class)
        if concurrency > 1:
            self._lanes = lanes.Lanes(backend_class, concurrency)

    @property
    def background(self) -> bool:
        return self.schedule_retry is not None

    def open(self) -> "BackendSession":
        """Open the backend.  A configuration error (ImproperlyConfigured) is
        raised; any other error is held and recorded on every row sent.
        Several connections (``DJANGO_VOX_CONCURRENCY``) open as rows need them."""
        if self._lanes is not None:
            return self
        try:
            self.backend.open()
        except ImproperlyConfigured:
            raise
        except Exception as err:  # noqa: BLE001 - recorded on every row sent, never lost
            self.open_error = err
        return self

    def close(self) -> None:
        try:
            if self._lanes is not None:
                self._lanes.close()
            else:
                self.backend.close()
        except Exception:  # noqa: BLE001 - closing must not lose the report
            logger.exception("Closing backend %s failed.", self.backend.ID)
        finally:
            marks, self._marks = self._marks, None
            if marks is not None:
                marks.close()

    def __enter__(self) -> "BackendSession":
        return self.open()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    def _take_turn(self, rows: Sequence[Any], count: int) -> float:
        """Take the rate limit's turn of one request (``count`` slots) to
        ``rows``; the seconds until it begins.  One rule for one connection
        and for several (``_send_on_lanes``): for a backend whose addresses
        are endpoints, the turn begins no sooner than the pauses of the
        request's addresses end (each set by its own 429, see ratelimit);
        a pause more than ``ratelimit.MAX_WAIT`` away, or for a synchronous
        sender a turn that far beyond it, raises WaitTooLong."""
        assert self.limiter is not None
        not_before = 0.0
        if self.backend.ADDRESS_IS_ENDPOINT:
            not_before = max((self.limiter.address_paused_until(address)
                              for row in rows for address in row.to_addresses), default=0.0)
        return self.limiter.take(count, max_wait=self._max_wait, not_before=not_before)

    def _wait_turn(self, row: Any) -> None:
        """Before sending ``row``: the open error, else wait for its turn."""
        if self.open_error is not None:
            raise self.open_error
        if self.limiter is not None:
            self.limiter.pace(self._take_turn([row], len(row.to_addresses)),
                              on_wait=self._keep_fresh)

    def _attempt(self, row: Any, message: Message) -> BaseException | None:
        """Send one row; return the error, or None when it was sent.  A
        configuration error is raised (the rows not sent stay queued in the log)."""
        try:
            self._wait_turn(row)
        except ImproperlyConfigured:
            raise
        except Exception as waited:  # noqa: BLE001 - the open error or a wait too long: recorded
            return waited
        err = lanes.attempt(self.backend, row, message)
        self._note_throttling(err, row)
        return err

    def _attempt_many(self, pairs: list[tuple[Any, Message]]
                      ) -> list[tuple[Any, BaseException | None]]:
        """Send one-address rows in one ``send_many`` call; ``[(row, error or None)]``."""
        if self.limiter is not None:
            try:
                self.limiter.pace(self._take_turn([row for row, _message in pairs], len(pairs)),
                                  on_wait=self._keep_fresh)
            except ratelimit.WaitTooLong as err:
                return [(row, err) for row, _message in pairs]
        outcomes = lanes.attempt_batch(self.backend, pairs)
        for row, error in outcomes:
            self._note_throttling(error, row)
        return outcomes

    def _keep_fresh(self) -> None:
        """While waiting for the rate limit, renew the rows still to be sent
        once a minute: recovery takes queued rows untouched for longer than
        ``django_vox.tasks.STALE_AFTER`` for abandoned ones."""
        now = time.time()
        if now - self._touched_at >= FRESH_SECONDS:
            deliverylog.touch(list(self._waiting.values()), timezone.now())
            self._touched_at = now

    @property
    def _max_wait(self) -> float | None:
        """How long a synchronous sender waits for its turn, at most (a task
        worker paces a whole batch, and holds no request)."""
        return None if self.background else ratelimit.MAX_WAIT

    def _note_throttling(self, err: BaseException | None, row: Any = None) -> None:
        """A 429 from the provider slows the backend's rate limit down; one
        from an endpoint the recipient owns pauses only that address."""
        if self.limiter is None or getattr(err, "status", None) != 429:
            return
        retry_after = getattr(err, "retry_after", None)
        if self.backend.ADDRESS_IS_ENDPOINT and row is not None:
            for address in row.to_addresses:
                self.limiter.address_throttled(address, retry_after)
        else:
            self.limiter.throttled(retry_after)

    def _outcomes(self, pairs: list[tuple[Any, Message]]
                  ) -> Iterator[list[tuple[Any, BaseException | None]]]:
        """Send ``[(row, message)]``, yielding ``[(row, error or None)]`` as
        each request is answered: one row, or one ``send_many`` batch."""
        if not self.backend.sends_in_batches() or self.open_error is not None:
            for row, message in pairs:
                yield [(row, self._attempt(row, message))]
            return
        for request in self._batches(pairs):
            yield self._attempt_many(request)
        for row, message in pairs:
            if len(row.to_addresses) != 1:
                yield [(row, self._attempt(row, message))]

    def _batches(self, pairs: list[_Pair]) -> Iterator[list[_Pair]]:
        """The ``send_many`` requests of the one-address rows of ``pairs``."""
        single = [pair for pair in pairs if len(pair[0].to_addresses) == 1]
        size = max(1, int(self.backend.SEND_MANY_LIMIT))
        for start in range(0, len(single), size):
            yield single[start:start + size]

    def _send_on_lanes(self, pairs: list[_Pair],
                       record: Callable[[list[_Outcome]], None]) -> None:
        """Send ``pairs`` over several connections (see :mod:`~django_vox.issuing.lanes`):
        each request's turn is taken here as on one connection (``_take_turn``;
        a turn it may not wait for fails the request, recorded as on one
        connection), each outcome recorded here.  Where an address can be
        paused, two requests to it are never under way at once, so each sees
        the pause the other's 429 set, as one connection would."""
        assert self._lanes is not None

        def slot(request: Sequence[_Pair]) -> float | BaseException:
            if self.limiter is None:
                return 0.0
            rows = [row for row, _message in request]
            count = len(rows) if batched else len(rows[0].to_addresses)
            try:
                return self._take_turn(rows, count)
            except ImproperlyConfigured:
                raise
            except Exception as err:  # noqa: BLE001 - recorded on its rows, as _attempt does
                return err

        def addresses(request: Sequence[_Pair]) -> set[str]:
            return {address for row, _message in request for address in row.to_addresses}

        def noted(outcomes: list[_Outcome]) -> None:
            for row, error in outcomes:
                self._note_throttling(error, row)
            record(outcomes)

        pausable = self.limiter is not None and self.backend.ADDRESS_IS_ENDPOINT
        one_at_a_time = addresses if pausable else None
        batched = self.backend.sends_in_batches()
        if batched:
            self._lanes.run(self._batches(pairs), batch=True, slot=slot, record=noted,
                            on_idle=self._keep_fresh, one_at_a_time=one_at_a_time)
            pairs = [pair for pair in pairs if len(pair[0].to_addresses) != 1]
            batched = False
        self._lanes.run([[pair] for pair in pairs], batch=False, slot=slot, record=noted,
                        on_idle=self._keep_fresh, one_at_a_time=one_at_a_time)

    def _record(self, outcomes: list[_Outcome], sent: list[Any],
                failed: list[tuple[Any, BaseException]]) -> None:
        """Note ``[(row, error or None)]`` as its request is answered; a task
        worker marks the sent rows at once (see :class:`deliverylog.SentMarks`)."""
        for row, _error in outcomes:
            self._waiting.pop(row.pk, None)
        done = [row for row, error in outcomes if error is None]
        failed.extend((row, error) for row, error in outcomes if error is not None)
        sent.extend(done)
        if self._marks is not None and done:
            self._marks.mark_sent(done, timezone.now())

    def send(self, rows: Iterable[Any], messages: Iterable[Message]
             ) -> tuple[int, list[tuple[Any, BaseException]]]:
        """Send each row's message; update the log in two statements.

        Returns ``(number sent, [(row, error) ...])``.
        """
        failed: list[tuple[Any, BaseException]] = []
        sent: list[Any] = []
        pairs = list(zip(rows, messages, strict=True))
        self._waiting = {row.pk: row for row, _message in pairs}
        self._touched_at = time.time()  # written or claimed just now
        if self.background and self._marks is None and pairs:
            # Connected before the first message goes, never between a
            # provider accepting one and its mark.
            self._marks = deliverylog.SentMarks()

        def record(outcomes: list[_Outcome]) -> None:
            self._record(outcomes, sent, failed)

        if self._lanes is not None:
            self._send_on_lanes(pairs, record)
        else:
            for outcomes in self._outcomes(pairs):
                record(outcomes)
        if self._marks is not None:
            self._marks.wait()  # every mark answered before the failures and signals
        now = timezone.now()
        if not self.background:
            deliverylog.mark_sent(sent, now)
        if failed:
            record_failures(failed, now, schedule_retry=self.schedule_retry)
        if signals.message_sent.receivers:
            for row in sent:
                signals.message_sent.send_robust(Delivery, delivery=deliverylog.as_delivery(row),
                                                 backend=self.backend.ID)
        return len(sent), failed


def record_failures(failed: Sequence[tuple[Any, BaseException]], now: datetime | None = None, *,
                    schedule_retry: RetryScheduler | None = None) -> None:
    """Record ``[(row, error)]`` on the log (one statement) and tell the
    ``message_failed`` receivers.

    With ``schedule_retry`` (deliveries sent by a task worker), a transient
    failure with attempts left stays queued and the callback is called for
    them once the transaction commits; anything else is marked failed.
    """
    now = now or timezone.now()
    retrying = deliverylog.record_failures(failed, now, retry=schedule_retry is not None)
    if retrying:
        pending = {str(row.pk): row.attempts for row in retrying}
        run_after = max(row.next_attempt_at for row in retrying)
        transaction.on_commit(lambda: schedule_retry(pending, run_after))  # type: ignore[misc]
    if signals.message_failed.receivers:
        for row, err in failed:
            if row.status == Delivery.FAILED:
                signals.message_failed.send_robust(
                    Delivery, delivery=deliverylog.as_delivery(row), backend=row.backend,
                    error=err)


def _send_backend_rows(backend_id: str, rows: list[Any], schedule_retry: RetryScheduler | None
                       ) -> list[tuple[Any, BaseException]]:
    """Send claimed ``rows`` of one backend; returns the [(row, error)] that failed."""
    backend_class = backend_registry.get(backend_id)
    if backend_class is None:
        err = SendError(f"Backend {backend_id!r} is not enabled")
        failed: list[tuple[Any, BaseException]] = [(row, err) for row in rows]
        record_failures(failed)
        return failed
    with BackendSession(backend_class, schedule_retry=schedule_retry) as session:
        _sent, failed = session.send(rows, [row.get_message() for row in rows])
    return failed


def send_deliveries(deliveries: Iterable[Any], *, raise_errors: bool | None = None,
                    schedule_retry: RetryScheduler | None = None,
                    stale_before: datetime | None = None) -> dict[Any, bool]:
    """(Re)send logged deliveries exactly as rendered; never one already sent.

    Returns ``{pk: sent?}`` (True for those sent before).  Each row is claimed
    first (see :func:`django_vox.deliverylog.claim`), so concurrent resends
    send it once; a row that someone else is sending right now counts as not
    sent here.  With ``schedule_retry`` (a task worker), transient failures are
    scheduled for another attempt.  Each backend is opened once for all of them.
    Each row's recipient is asked again (:func:`recheck_preferences`): one who
    has opted out since is not sent to, and the row becomes suppressed.
    """
    if raise_errors is None:
        raise_errors = conf.get("DJANGO_VOX_THROW_EXCEPTIONS")
    deliveries = list(deliveries)
    claimed = deliverylog.claim(deliveries, stale_before=stale_before)
    taken = {row.pk for row in recheck_preferences(claimed)}
    results: dict[Any, bool]
    by_backend: dict[str, list[Any]]
    results, by_backend = {}, {}
    for row in deliveries:
        if row.pk in taken:
            by_backend.setdefault(row.backend, []).append(row)
        else:
            results[row.pk] = row.status == Delivery.SENT
    errors: list[BaseException] = []
    for backend_id, rows in by_backend.items():
        failed = _send_backend_rows(backend_id, rows, schedule_retry)
        failed_pks = {row.pk for row, _err in failed}
        errors.extend(err for _row, err in failed)
        for row in rows:
            results[row.pk] = row.pk not in failed_pks
            if row.pk not in failed_pks:
                row.status = Delivery.SENT
    if errors and raise_errors:
        raise errors[0]
    return results
