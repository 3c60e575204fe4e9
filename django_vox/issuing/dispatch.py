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
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from django_vox import conf, deliverylog, signals
from django_vox.backends import backends as backend_registry
from django_vox.exceptions import SendError
from django_vox.issuing import lanes, policy
from django_vox.models import Delivery, Notification
from django_vox.pacing import ratelimit
from django_vox.registry import Contact

__all__ = ["BackendSession", "RetryScheduler", "record_failures", "send_deliveries",
           "describe_error", "recheck_preferences"]

logger = logging.getLogger("django_vox")

#: ``schedule_retry({delivery id: attempts}, run_after)``, given by the task layer.
RetryScheduler = Callable[[dict, datetime], None]

describe_error = deliverylog.describe_error

#: How often rows waiting for a rate limit are touched (seconds).
FRESH_SECONDS = 60


class BackendSession:
    """One backend, opened once, sending rows of the delivery log.

    ``schedule_retry`` (only in a task worker) makes each sent row be marked
    at once, so a worker killed part-way leaves only unsent rows queued, and
    hands transient failures to the callback instead of marking them failed.
    """

    def __init__(self, backend_class, *, schedule_retry: RetryScheduler | None = None):
        self.backend = backend_class()
        #: The backend's DJANGO_VOX_RATE_LIMITS entry, shared by every process.
        self.limiter = ratelimit.limiter_for(self.backend.ID)
        self.schedule_retry = schedule_retry
        #: Rows of the current send() not yet sent, and when they were last touched.
        self._waiting: dict = {}
        self._touched_at = 0.0
        self.open_error: BaseException | None = None
        #: How a task worker marks each message sent (opened with the first one).
        self._marks: deliverylog.SentMarks | None = None
        #: Several connections at once (DJANGO_VOX_CONCURRENCY), or None for one.
        self._lanes: lanes.Lanes | None = None
        concurrency = conf.concurrency_for(self.backend.ID)
        if concurrency > 1 and getattr(backend_class, "CONCURRENT_SESSIONS", True):
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

    def __enter__(self):
        return self.open()

    def __exit__(self, *exc_info):
        self.close()

    def _send_one(self, row, message) -> None:
        if self.open_error is not None:
            raise self.open_error
        if self.limiter is not None:
            self.limiter.acquire(len(row.to_addresses), on_wait=self._keep_fresh)

    def _attempt(self, row, message) -> BaseException | None:
        """Send one row; return the error, or None when it was sent.  A
        configuration error is raised (the rows not sent stay queued in the log)."""
        try:
            self._send_one(row, message)
        except ImproperlyConfigured:
            raise
        except Exception as err:  # noqa: BLE001 - any backend error is recorded, not lost
            if not isinstance(err, SendError):
                logger.debug("Backend %s raised %r", self.backend.ID, err)
            self._note_throttling(err)
            return err
        err = lanes.attempt(self.backend, row, message)
        self._note_throttling(err)
        return err

    def _attempt_many(self, pairs: list) -> list:
        """Send one-address rows in one ``send_many`` call; ``[(row, error or None)]``."""
        if self.limiter is not None:
            self.limiter.acquire(len(pairs), on_wait=self._keep_fresh)
        outcomes = lanes.attempt_batch(self.backend, pairs)
        for _row, error in outcomes:
            self._note_throttling(error)
        return outcomes

    def _keep_fresh(self) -> None:
        """While waiting for the rate limit, renew the rows still to be sent
        once a minute: recovery takes queued rows untouched for longer than
        ``django_vox.tasks.STALE_AFTER`` for abandoned ones."""
        now = time.time()
        if now - self._touched_at >= FRESH_SECONDS:
            deliverylog.touch(list(self._waiting.values()), timezone.now())
            self._touched_at = now

    def _note_throttling(self, err) -> None:
        """A 429 from the provider slows the backend's rate limit down."""
        if self.limiter is not None and getattr(err, "status", None) == 429:
            self.limiter.throttled(getattr(err, "retry_after", None))

    def _outcomes(self, pairs: list) -> Iterator[list]:
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

    def _batches(self, pairs: list) -> Iterator[list]:
        """The ``send_many`` requests of the one-address rows of ``pairs``."""
        single = [pair for pair in pairs if len(pair[0].to_addresses) == 1]
        size = max(1, int(self.backend.SEND_MANY_LIMIT))
        for start in range(0, len(single), size):
            yield single[start:start + size]

    def _send_on_lanes(self, pairs: list, record: Callable[[list], None]) -> None:
        """Send ``pairs`` over several connections (see :mod:`~django_vox.issuing.lanes`):
        rate-limit slots are taken here, each outcome recorded here."""
        assert self._lanes is not None

        def slot(request) -> float:
            if self.limiter is None:
                return 0.0
            count = len(request) if batched else len(request[0][0].to_addresses)
            return self.limiter.reserve(count)

        def noted(outcomes: list) -> None:
            for _row, error in outcomes:
                self._note_throttling(error)
            record(outcomes)

        batched = self.backend.sends_in_batches()
        if batched:
            self._lanes.run(self._batches(pairs), batch=True, slot=slot, record=noted,
                            on_idle=self._keep_fresh)
            pairs = [pair for pair in pairs if len(pair[0].to_addresses) != 1]
            batched = False
        self._lanes.run([[pair] for pair in pairs], batch=False, slot=slot, record=noted,
                        on_idle=self._keep_fresh)

    def _record(self, outcomes: list, sent: list, failed: list) -> None:
        """Note ``[(row, error or None)]`` as its request is answered; a task
        worker marks the sent rows at once (see :class:`deliverylog.SentMarks`)."""
        for row, _error in outcomes:
            self._waiting.pop(row.pk, None)
        done = [row for row, error in outcomes if error is None]
        failed.extend((row, error) for row, error in outcomes if error is not None)
        sent.extend(done)
        if self._marks is not None and done:
            self._marks.mark_sent(done, timezone.now())

    def send(self, rows: Iterable, messages: Iterable) -> tuple[int, list]:
        """Send each row's message; update the log in two statements.

        Returns ``(number sent, [(row, error) ...])``.
        """
        sent, failed = [], []
        pairs = list(zip(rows, messages, strict=True))
        self._waiting = {row.pk: row for row, _message in pairs}
        self._touched_at = time.time()  # written or claimed just now
        if self.background and self._marks is None and pairs:
            # Connected before the first message goes, never between a
            # provider accepting one and its mark.
            self._marks = deliverylog.SentMarks()

        def record(outcomes: list) -> None:
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


def record_failures(failed: list, now: datetime | None = None, *,
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
        transaction.on_commit(lambda: schedule_retry(pending, run_after))
    if signals.message_failed.receivers:
        for row, err in failed:
            if row.status == Delivery.FAILED:
                signals.message_failed.send_robust(
                    Delivery, delivery=deliverylog.as_delivery(row), backend=row.backend,
                    error=err)


def _recipient_objects(rows) -> dict:
    """``{(content type id, pk): instance}`` of the rows' recipients (one query per model)."""
    wanted = {}
    for row in rows:
        if row.recipient_type_id and row.recipient_id:
            wanted.setdefault(row.recipient_type_id, set()).add(row.recipient_id)
    found = {}
    for type_id, pks in wanted.items():
        model = ContentType.objects.get_for_id(type_id).model_class()
        if model is None:
            continue
        for pk, obj in model._default_manager.in_bulk(list(pks)).items():
            found[(type_id, str(pk))] = obj
    return found


def _split_group(notification, protocol, rows, objs) -> dict:
    """``{row: [(address, reason)]}`` of the addresses the contact policy now refuses."""
    contacts, owners = [], {}
    for row in rows:
        obj = objs.get((row.recipient_type_id, row.recipient_id))
        for address in row.to_addresses:
            contact = Contact("", protocol, address, obj)
            contacts.append(contact)
            owners[id(contact)] = row
    _allowed, suppressed = policy.contact_filter(notification, protocol).split(contacts)
    refused = {}
    for contact, reason in suppressed:
        refused.setdefault(owners[id(contact)], []).append((contact.address, reason))
    return refused


def recheck_preferences(rows: list) -> list:
    """The claimed ``rows`` their recipients still want; the others are marked
    suppressed with the reason (through the installed contact policy).

    A message to several addresses (a bulk template) loses the addresses that
    opted out; it is suppressed when none is left.
    """
    groups = {}
    for row in rows:
        if row.notification_id is not None:
            groups.setdefault((row.notification_id, row.protocol), []).append(row)
    if not groups:
        return rows
    notifications = Notification.objects.in_bulk({nid for nid, _protocol in groups})
    objs = _recipient_objects(rows)
    dropped, narrowed = [], []
    for (nid, protocol), group in groups.items():
        notification = notifications.get(nid)
        if notification is None:
            continue
        for row, refused in _split_group(notification, protocol, group, objs).items():
            gone = {address for address, _reason in refused}
            row.error = refused[0][1]
            row.to_addresses = [a for a in row.to_addresses if a not in gone]
            if row.to_addresses:
                narrowed.append(row)
            else:
                row.to_addresses = sorted(gone)
                row.status, row.next_attempt_at = Delivery.SUPPRESSED, None
                dropped.append(row)
    now = timezone.now()
    deliverylog.mark_failed(dropped, now, fields=("status", "error", "next_attempt_at"))
    deliverylog.mark_failed(narrowed, now, fields=("to_addresses", "error"))
    return [row for row in rows if row.status != Delivery.SUPPRESSED]


def _send_backend_rows(backend_id, rows, schedule_retry):
    """Send claimed ``rows`` of one backend; returns the [(row, error)] that failed."""
    backend_class = backend_registry.get(backend_id)
    if backend_class is None:
        err = SendError(f"Backend {backend_id!r} is not enabled")
        failed = [(row, err) for row in rows]
        record_failures(failed)
        return failed
    with BackendSession(backend_class, schedule_retry=schedule_retry) as session:
        _sent, failed = session.send(rows, [row.get_message() for row in rows])
    return failed


def send_deliveries(deliveries: Iterable, *, raise_errors: bool | None = None,
                    schedule_retry: RetryScheduler | None = None,
                    stale_before: datetime | None = None) -> dict:
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
    results, by_backend = {}, {}
    for row in deliveries:
        if row.pk in taken:
            by_backend.setdefault(row.backend, []).append(row)
        else:
            results[row.pk] = row.status == Delivery.SENT
    errors = []
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
