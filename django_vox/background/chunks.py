"""Background issues that survive a killed worker: a row first, then chunks.

A background issue is a :class:`~django_vox.models.BackgroundIssue` row,
written when its planning task starts.  Planning walks each template's
contacts once and writes them, ``DJANGO_VOX_CHUNK_SIZE`` at a time (by
default a size chosen from the template's number of contacts and its
backend's connections per sender: :func:`chunk_size_for`), into numbered
:class:`~django_vox.models.IssueChunk`
rows; each chunk is then a
task of its own that any worker can take, so the chunks of one issue run in
parallel.  Chunk boundaries are fixed when they are written (the contacts
themselves are stored, not an offset into a stream that could change), so a
chunk run again reaches exactly the same people.

Who runs what is decided by conditional UPDATEs, never by the task
framework's own state (django-tasks-db leaves a killed task "running"
forever): a chunk is taken by moving it from pending to running; a planner
holds its issue by its planning attempt number.  A chunk run again skips the
contacts its issue already logged for that template, so nobody gets a
message twice; what the killed run logged but did not send is sent by
:func:`django_vox.tasks.recover` like any abandoned delivery.
"""

import itertools
import logging
import math
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured, ObjectDoesNotExist
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef
from django.utils import timezone

from django_vox import conf, deliverylog
from django_vox.backends import backends as backend_registry
from django_vox.exceptions import PlanningTakenOver
from django_vox.issuing.batches import deliver_template
from django_vox.issuing.dispatch import BackendSession, RetryScheduler
from django_vox.issuing.issue import Issue
from django_vox.issuing.lanes import lane_count
from django_vox.issuing.recipients import RecipientRefs, template_contacts
from django_vox.models import BackgroundIssue, Delivery, IssueChunk, Notification
from django_vox.registry import Contact

__all__ = ["model_ref", "load_ref", "start_issue", "load_issue", "skip_issue", "plan",
           "run_chunk", "finish_if_done", "stale_plans", "stale_chunks", "unfinished_issues",
           "progress", "PlanningTakenOver", "chunk_size_for", "CHUNKS_PER_ISSUE", "MIN_CHUNK",
           "MAX_CHUNK", "MAX_SCALE"]

logger = logging.getLogger("django_vox")

#: With ``DJANGO_VOX_CHUNK_SIZE = None`` (the default) a template's contacts
#: are cut into about this many chunks, each of MIN_CHUNK to MAX_CHUNK
#: contacts: an issue of a few hundred contacts and up is then several
#: chunks for each of a few workers, and a chunk of a large issue stays
#: short enough to recover (``vox_recover --older-than``) and cheap to run
#: again.  Measured trade-off: docs/background.rst ("Chunks").
CHUNKS_PER_ISSUE = 40
MIN_CHUNK = 20
MAX_CHUNK = 500
#: With N connections per sender (``DJANGO_VOX_CONCURRENCY``) a chunk pays for
#: opening N of them and each gets a share of it, so the floor is MIN_CHUNK
#: per connection, and the size and the cap grow min(N, MAX_SCALE)-fold: an
#: issue stays at least CHUNKS_PER_ISSUE / MAX_SCALE chunks before the cap,
#: and no chunk (one row of contacts) holds more than MAX_CHUNK × MAX_SCALE.
MAX_SCALE = 4


# -- references instead of pickled objects ---------------------------------------
def model_ref(instance) -> list | None:
    """``[app_label, model_name, pk]`` of a saved model instance (None for None)."""
    if instance is None:
        return None
    meta = getattr(instance, "_meta", None)
    if meta is None or instance.pk is None:
        raise ValueError(
            f"Only saved model instances can be issued in the background, not {instance!r}.")
    pk = instance.pk
    return [meta.app_label, meta.model_name, pk if isinstance(pk, (int, str)) else str(pk)]


def load_ref(ref):
    """The instance a :func:`model_ref` names (None for None); DoesNotExist if gone."""
    if ref is None:
        return None
    app_label, model_name, pk = ref
    model = apps.get_model(app_label, model_name)
    return model._default_manager.get(pk=pk)


# -- the issue row -----------------------------------------------------------------
def start_issue(issue_id: str | None, notification_id: int, obj: list, actor: list | None,
                target: list | None) -> tuple[BackgroundIssue, int]:
    """The issue's row (written now if it is new) and this planner's attempt number."""
    record, _created = BackgroundIssue.objects.get_or_create(
        pk=uuid.UUID(str(issue_id)) if issue_id else uuid.uuid4(),
        defaults={"notification_id": notification_id, "object_ref": obj, "actor_ref": actor,
                  "target_ref": target})
    if record.state != BackgroundIssue.PLANNING:
        return record, 0
    BackgroundIssue.objects.filter(pk=record.pk).update(
        plan_attempts=F("plan_attempts") + 1, updated_at=timezone.now())
    record.refresh_from_db(fields=["plan_attempts", "state", "chunks_planned"])
    return record, record.plan_attempts


def load_issue(record: BackgroundIssue, **options) -> Issue:
    """The :class:`Issue` a row stands for; ObjectDoesNotExist/LookupError when
    its notification or objects are gone."""
    if record.notification_id is None:
        raise ObjectDoesNotExist("its notification was deleted")
    notification = Notification.objects.select_related(
        "object_type", "actor_type", "target_type").get(pk=record.notification_id)
    return Issue(notification, load_ref(record.object_ref), actor=load_ref(record.actor_ref),
                 target=load_ref(record.target_ref), issue_id=record.pk, **options)


def skip_issue(record: BackgroundIssue, reason: str) -> None:
    logger.warning("Background issue %s skipped: %s", record.pk, reason)
    BackgroundIssue.objects.filter(pk=record.pk).update(
        state=BackgroundIssue.SKIPPED, error=reason, updated_at=timezone.now(),
        finished_at=timezone.now())


def finish_if_done(issue_id) -> bool:
    """Mark the issue done when it is planned and every chunk is done (one UPDATE;
    whichever chunk finishes last sees the others' commits)."""
    unfinished = IssueChunk.objects.filter(issue=OuterRef("pk")).exclude(state=IssueChunk.DONE)
    now = timezone.now()
    return bool(BackgroundIssue.objects.filter(pk=issue_id, state=BackgroundIssue.RUNNING)
                .filter(~Exists(unfinished))
                .update(state=BackgroundIssue.DONE, updated_at=now, finished_at=now))


# -- planning ----------------------------------------------------------------------
def _planned_addresses(record) -> dict:
    """``{template id: {address}}`` already in this issue's chunks (a planner run again)."""
    planned = {}
    for template_id, contacts in IssueChunk.objects.filter(issue=record).values_list(
            "template_id", "contacts"):
        planned.setdefault(template_id, set()).update(entry[1] for entry in contacts)
    return planned


def chunk_size_for(total: int, lanes: int = 1) -> int:
    """The chunk size for a template with ``total`` contacts, sent on
    ``lanes`` connections per sender, when ``DJANGO_VOX_CHUNK_SIZE`` is None:
    ``⌈total / CHUNKS_PER_ISSUE⌉ × S`` within ``[MIN_CHUNK × lanes,
    MAX_CHUNK × S]``, where ``S = min(lanes, MAX_SCALE)`` (on one connection:
    ``total / CHUNKS_PER_ISSUE`` within ``[MIN_CHUNK, MAX_CHUNK]``)."""
    scale = min(lanes, MAX_SCALE)
    return max(MIN_CHUNK * lanes,
               min(MAX_CHUNK * scale, math.ceil(total / CHUNKS_PER_ISSUE) * scale))


def _groups(entries: Iterator, bulk: bool, lanes: int = 1) -> Iterator[list]:
    """The chunks (lists of entries) of one template's contacts, sent on
    ``lanes`` connections per sender."""
    if bulk:  # a bulk template is one message: one chunk
        group = list(entries)
        if group:
            yield group
        return
    size = conf.get("DJANGO_VOX_CHUNK_SIZE")
    if size is None:
        # Read ahead far enough to know whether the size is below the cap
        # (the same count whatever the lanes: size and cap scale alike); the
        # entries are small lists, not model instances.
        ahead = list(itertools.islice(entries, MAX_CHUNK * CHUNKS_PER_ISSUE + 1))
        size = chunk_size_for(len(ahead), lanes)
        entries = itertools.chain(ahead, entries)
    else:
        conf.validate("DJANGO_VOX_CHUNK_SIZE")
        size = int(size)
    while group := list(itertools.islice(entries, size)):
        yield group


def _entry(contact, refs) -> list:
    """``[name, address, [content type id, pk] or None]`` of one contact, then
    its language and time zone when the contact gives them."""
    type_id, pk = refs(contact.obj)
    entry = [contact.name, contact.address, [type_id, pk] if type_id else None]
    if contact.language or contact.timezone:
        entry += [contact.language, contact.timezone]
    return entry


def _write_chunk(record, attempt, number, template, contacts) -> IssueChunk:
    with transaction.atomic():
        held = BackgroundIssue.objects.filter(pk=record.pk, plan_attempts=attempt,
                                              state=BackgroundIssue.PLANNING)
        if not held.update(chunks_planned=number + 1, updated_at=timezone.now()):
            raise PlanningTakenOver(f"Background issue {record.pk}: planned by another worker.")
        return IssueChunk.objects.create(issue=record, number=number, template=template,
                                         contacts=contacts, size=len(contacts))


def plan(record: BackgroundIssue, attempt: int, issue: Issue,
         enqueue_chunk: Callable[[int], None]) -> int | None:
    """Write the issue's chunks, enqueueing each as the next one is written (so
    workers start while planning goes on); return the last one's id, which the
    planner runs itself (a small issue is then one task), or None.

    Run again for the same issue, it adds only contacts no chunk holds yet.
    """
    planned = _planned_addresses(record) if record.chunks_planned else {}
    number = IssueChunk.objects.filter(issue=record).count()
    refs, last, errors = RecipientRefs(), None, []
    for template, backend_class in issue.usable_templates():
        try:
            contacts = template_contacts(template, issue.notification, backend_class.PROTOCOL,
                                         issue.instances(), set(planned.get(template.pk, ())))
            entries = (_entry(contact, refs) for contact in contacts)
            for group in _groups(entries, template.bulk, lane_count(backend_class)):
                chunk = _write_chunk(record, attempt, number, template, group)
                number += 1
                if last is not None:
                    transaction.on_commit(lambda pk=last: enqueue_chunk(pk))
                last = chunk.pk
        except (ImproperlyConfigured, PlanningTakenOver):
            raise
        except Exception as err:  # noqa: BLE001 - a channel or contact method that raises
            logger.exception("Background issue %s, template %s: finding its recipients failed.",
                             record.pk, template.pk)
            errors.append(f"Template {template.pk}: {deliverylog.describe_error(err)}")
    done = BackgroundIssue.objects.filter(pk=record.pk, plan_attempts=attempt,
                                          state=BackgroundIssue.PLANNING).update(
        state=BackgroundIssue.RUNNING, chunks_planned=number, updated_at=timezone.now(),
        error="\n".join(errors))
    if not done:
        raise PlanningTakenOver(f"Background issue {record.pk}: planned by another worker.")
    if last is None:
        finish_if_done(record.pk)
    return last


# -- running one chunk ---------------------------------------------------------------
def _take(chunk_id) -> bool:
    return bool(IssueChunk.objects.filter(pk=chunk_id, state=IssueChunk.PENDING).update(
        state=IssueChunk.RUNNING, attempts=F("attempts") + 1, updated_at=timezone.now()))


def _release(chunk_id, err: BaseException) -> None:
    """Put a chunk whose run raised back to pending (``vox_recover`` runs it again)."""
    IssueChunk.objects.filter(pk=chunk_id, state=IssueChunk.RUNNING).update(
        state=IssueChunk.PENDING, error=deliverylog.describe_error(err),
        updated_at=timezone.now())


def _done(chunk, issue: Issue | None, error: str = "") -> dict:
    counts = {"sent": issue.sent, "failed": issue.failed,
              "suppressed": issue.suppressed} if issue is not None else {}
    now = timezone.now()
    IssueChunk.objects.filter(pk=chunk.pk, state=IssueChunk.RUNNING).update(
        state=IssueChunk.DONE, error=error, updated_at=now, finished_at=now, **counts)
    finish_if_done(chunk.issue_id)
    return dict(counts, chunk=chunk.number, **({"error": error} if error else {}))


def _contacts(entries: list, protocol: str) -> list:
    """The chunk's Contacts, their objects loaded (one query per model); a
    recipient deleted since planning is left out."""
    wanted = {}
    for _name, _address, ref, *_locale in entries:
        if ref:
            wanted.setdefault(ref[0], set()).add(ref[1])
    objs = {}
    for type_id, pks in wanted.items():
        model = ContentType.objects.get_for_id(type_id).model_class()
        if model is not None:
            objs.update(((type_id, str(pk)), obj)
                        for pk, obj in model._default_manager.in_bulk(list(pks)).items())
    contacts = []
    for name, address, ref, *locale in entries:
        obj = objs.get((ref[0], ref[1])) if ref else None
        if ref and obj is None:
            logger.info("Contact %s: its recipient was deleted after planning; skipped.", address)
            continue
        contacts.append(Contact(name, protocol, address, obj, *locale[:2]))
    return contacts


def _chunk_issue(chunk, schedule_retry) -> tuple[Issue | None, str]:
    """The Issue to send ``chunk`` with, or (None, why it cannot be sent)."""
    if chunk.template_id is None:
        return None, "Its template was deleted."
    try:
        issue = load_issue(chunk.issue, templates=[chunk.template], background=True,
                           schedule_retry=schedule_retry, resuming=chunk.attempts > 1)
    except (ObjectDoesNotExist, LookupError) as err:
        return None, f"Skipped: {err}"
    return issue, ""


def run_chunk(chunk_id: int, schedule_retry: RetryScheduler) -> dict:
    """Send one chunk, if nobody else has taken it.  A configuration error
    raises (the chunk goes back to pending); send and render failures are
    recorded on the delivery log.  On SQLite in WAL mode its commits skip
    the disk sync (:func:`django_vox.deliverylog.worker_commits`)."""
    with deliverylog.worker_commits():
        return _run_chunk(chunk_id, schedule_retry)


def _run_chunk(chunk_id: int, schedule_retry: RetryScheduler) -> dict:
    if not _take(chunk_id):
        return {"skipped": "taken or done"}
    chunk = IssueChunk.objects.select_related("issue", "template").get(pk=chunk_id)
    issue, why = _chunk_issue(chunk, schedule_retry)
    if issue is None:
        return _done(chunk, None, why)
    backend_class = backend_registry.get(chunk.template.backend)
    if backend_class is None:
        return _done(chunk, None, f"Backend {chunk.template.backend!r} is not enabled.")
    try:
        with BackendSession(backend_class, schedule_retry=schedule_retry) as session:
            deliver_template(issue, chunk.template, session,
                             _contacts(chunk.contacts, backend_class.PROTOCOL))
    except BaseException as err:
        _release(chunk_id, err)
        raise
    return _done(chunk, issue)


# -- recovery ------------------------------------------------------------------------
def stale_plans(cutoff: datetime) -> list:
    """Issues still planning that nobody touched since ``cutoff`` (their planner died)."""
    return list(BackgroundIssue.objects.filter(state=BackgroundIssue.PLANNING,
                                               updated_at__lt=cutoff))


def _still_sending(chunk_id, issue_id, template_id, cutoff) -> bool:
    """Whether a delivery of this chunk changed since ``cutoff``: a worker marks
    each message as it goes (and, waiting for a rate limit, touches the rows it
    holds), so its chunk is alive however long it takes."""
    recent = list(Delivery.objects.filter(issue_id=issue_id, template_id=template_id,
                                          updated_at__gte=cutoff)
                  .values_list("to_addresses", flat=True))
    if not recent:
        return False
    mine = {entry[1] for entry in IssueChunk.objects.get(pk=chunk_id).contacts}
    return any(address in mine for addresses in recent for address in addresses)


def stale_chunks(cutoff: datetime) -> list:
    """Ids of chunks left running (their worker died: untouched since ``cutoff``,
    and none of their deliveries either) or pending (their task was lost),
    each put back to pending for one taker."""
    found = []
    for pk, state, updated_at, issue_id, template_id in IssueChunk.objects.filter(
            state__in=[IssueChunk.PENDING, IssueChunk.RUNNING],
            updated_at__lt=cutoff).values_list("pk", "state", "updated_at", "issue_id",
                                               "template_id"):
        if state == IssueChunk.RUNNING and _still_sending(pk, issue_id, template_id, cutoff):
            continue
        if IssueChunk.objects.filter(pk=pk, updated_at=updated_at).exclude(
                state=IssueChunk.DONE).update(state=IssueChunk.PENDING, updated_at=timezone.now()):
            found.append(pk)
    return found


def unfinished_issues(cutoff: datetime) -> int:
    """Finish issues whose chunks are all done (a worker died in between)."""
    return sum(finish_if_done(pk) for pk in BackgroundIssue.objects.filter(
        state=BackgroundIssue.RUNNING, updated_at__lt=cutoff).values_list("pk", flat=True))


def progress(issues: Iterable[Any]) -> dict:
    """``{issue id: {status: count}}`` of the issues' deliveries (one query)."""
    ids = [getattr(issue, "pk", issue) for issue in issues]
    counts = {pk: dict.fromkeys((Delivery.SENT, Delivery.FAILED, Delivery.QUEUED,
                                 Delivery.SUPPRESSED), 0) for pk in ids}
    for issue_id, status, n in (Delivery.objects.filter(issue_id__in=ids).order_by()
                                .values_list("issue_id", "status").annotate(n=Count("pk"))):
        counts[issue_id][status] = n
    return counts

