"""Closing digest windows: one message per recipient for the messages held.

Issuing holds a message (a delivery log row with status *held*, a digest key
``template id/protocol:address`` and ``digest_due``, see
:mod:`django_vox.digests.holding`).  :func:`send_digests`, run by
``manage.py vox_send_digests`` (cron) or the self-rescheduling
:func:`django_vox.tasks.send_digests_task`, closes the due windows a batch of
digest keys at a time:

1. the due held rows of the batch are *claimed* with one conditional UPDATE
   (``status = held`` → ``digested`` with a fresh claim id), so two schedulers
   running at once never fold the same row twice;
2. preferences are checked again (a recipient who turned the notification off
   since gets nothing: the items become *suppressed*), the digest of each key is
   rendered with the template's digest subject and content, written to the log
   (queued) and linked from its items, all in the claim's transaction: a crash
   before it commits leaves every item held for the next run;
3. after the commit, the digests are sent through the normal pipeline
   (rate limits, retries in a task worker).  A crash after the commit leaves
   queued digests, which ``vox_recover`` sends like any abandoned delivery.

Queries per batch do not depend on how many items or contacts it holds.

Nothing sticks: a digest that cannot be made (its template fails to render,
an X digest is too long) marks its own items *failed* on the delivery log,
with the reason, so they can be resent one by one; the other digests of the
batch go on.  Should a whole batch fail all the same, its keys are closed
again one at a time, and the items of a key that still fails are marked
failed.  Every item reaches a digest: a recipient's items are sent in
digests of at most :data:`ITEMS_PER_DIGEST` (a template lists at most 1,000
items of a list).  A digest's log row records its recipient, so a resend or
retry asks their preferences again.
"""

import datetime
import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, transaction
from django.utils import timezone

from django_vox import conf, deliverylog
from django_vox.backends import backends as backend_registry
from django_vox.digests.content import (
    DEFAULT_CONTENT,
    DEFAULT_SUBJECT,
    default_digest,
    digest_context,
    digest_source,
)
from django_vox.digests.rows import (
    claim_held,
    due,
    due_keys,
    fail_items,
    link_items,
    release,
    suppress,
)
from django_vox.issuing import (
    BackendSession,
    build_context,
    policy,
    rendering_without_writes,
    send_deliveries,
)
from django_vox.issuing.context import SECRET_VALUES, stored_message
from django_vox.messages import Message
from django_vox.models import Delivery, Template
from django_vox.registry import Contact
from django_vox.registry.locales import Locale, LocaleResolver, LocaleSwitch
from django_vox.templating.sandbox import collecting_secrets

__all__ = ["DEFAULT_CONTENT", "DEFAULT_SUBJECT", "DigestRun", "default_digest",
           "digest_context", "digest_source", "send_digests"]

logger = logging.getLogger("django_vox")

#: The most items one digest message holds; more make several digests.
ITEMS_PER_DIGEST = 500

@dataclass
class DigestRun:
    """What one :func:`send_digests` run did."""

    digests: int = 0
    items: int = 0
    sent: int = 0
    failed: int = 0
    suppressed: int = 0

    def as_dict(self) -> dict:
        return dict(self.__dict__)


# -- claiming --------------------------------------------------------------------------
# -- loading what the items name (in bulk) -------------------------------------------------
class _Instances:
    """The objects, actors, targets and owners of held rows, one query per model."""

    def __init__(self, rows):
        wanted = defaultdict(set)
        for row in rows:
            if row.object_type_id and row.object_id:
                wanted[ContentType.objects.get_for_id(row.object_type_id).model_class()].add(
                    row.object_id)
            for name in ("owner", "actor", "target"):
                model, pk = self._split(row.digest_data.get(name))
                if model is not None:
                    wanted[model].add(pk)
        self.found = {model: {str(pk): obj for pk, obj in
                              model._default_manager.in_bulk(list(pks)).items()}
                      for model, pks in wanted.items() if model is not None}

    @staticmethod
    def _split(ref):
        if not ref:
            return None, None
        try:
            return apps.get_model(ref[0], ref[1]), ref[2]
        except (LookupError, IndexError, ValueError):
            return None, None

    def get(self, ref):
        model, pk = self._split(ref)
        return self.found.get(model, {}).get(str(pk)) if model is not None else None

    def obj(self, row):
        if not (row.object_type_id and row.object_id):
            return None
        model = ContentType.objects.get_for_id(row.object_type_id).model_class()
        return self.found.get(model, {}).get(str(row.object_id))


def _contact(row, instances) -> Contact:
    name, protocol, address = (row.digest_data.get("contact")
                               or ["", row.protocol, (row.to_addresses or [""])[0]])
    return Contact(name, protocol, address, instances.get(row.digest_data.get("owner")))


def _locale(row, contact, locales) -> Locale:
    """The recipient's locale when the item was held, else as it is now."""
    held = row.digest_data.get("locale")
    if isinstance(held, list) and len(held) == 2:
        return locales.locale(*held)
    return locales(contact)


# -- rendering ---------------------------------------------------------------------------
def _item(row, template, contact, instances) -> tuple:
    """``(context, message, held at)`` of one held row."""
    context = build_context(instances.obj(row), notification=template.notification,
                            actor=instances.get(row.digest_data.get("actor")),
                            target=instances.get(row.digest_data.get("target")),
                            contact=contact)
    return context, Message.from_dict(row.message or {}), row.created_at


#: The length of each named window (a "limit" window starts at its first item).
PERIODS = {Template.HOURLY: datetime.timedelta(hours=1), Template.DAILY: datetime.timedelta(days=1),
           Template.WEEKLY: datetime.timedelta(days=7)}


def _window(template, rows, now) -> dict:
    """``{"name", "start", "end"}``: the window the digest closes."""
    kind = rows[0].digest_data.get("window") or template.digest_window
    end = max((row.digest_due for row in rows if row.digest_due is not None), default=now)
    start = min(rows[0].created_at, end - PERIODS.get(kind, datetime.timedelta(0)))
    return {"name": kind, "start": start, "end": end}


class _Digest:
    """One digest to render: a template, a contact and its held rows."""

    def __init__(self, template, contact, rows):
        self.template, self.contact, self.rows = template, contact, rows
        self.locale = None
        self.owner = None
        self.message = None
        self.row = None


def _render(digest, backend, links, instances, now, language="") -> tuple:
    """``(message, stored)``: the digest's message (in its recipient's locale,
    which is active; ``language`` goes into its links when given) and what the
    log stores of it, with the secret values it carries: those its items
    recorded when they were held, and those rendered now (the digest's own
    variables, the items' variables it shows)."""
    template = digest.template
    urls = {}
    if links and digest.owner is not None:
        extra = {"language": language} if language else {}
        urls = {"unsubscribe_url": links.unsubscribe_url(digest.owner, **extra),
                "preferences_url": links.preferences_url(digest.owner, **extra)}
    base = build_context(None, notification=template.notification, contact=digest.contact,
                         **urls)
    params = digest_context(base, [_item(row, template, digest.contact, instances)
                                   for row in digest.rows], _window(template, digest.rows, now),
                            escaped_text=backend.ESCAPED_TEXT)
    subject, content = digest_source(template)
    with collecting_secrets() as secrets:
        message = backend.build_message(subject, content, params, [])
        message.from_address = backend.get_from_address(template.from_address, params)
    if urls and backend.PROTOCOL == "email":
        for name, value in links.headers(urls["unsubscribe_url"]).items():
            message.headers.setdefault(name, value)
    for row in digest.rows:
        secrets.update(value for value in (row.message or {}).get(SECRET_VALUES) or ()
                       if isinstance(value, str) and value)
    return message, stored_message(message, secrets)


# -- closing a batch of keys ---------------------------------------------------------------
def _groups(rows) -> dict:
    """``{digest key: [rows]}`` in the order they were held."""
    groups = defaultdict(list)
    for row in rows:
        groups[row.digest_key].append(row)
    return groups


def _pages(rows) -> list:
    """``rows`` in pages of at most :data:`ITEMS_PER_DIGEST`, one digest each."""
    return [rows[start:start + ITEMS_PER_DIGEST]
            for start in range(0, len(rows), ITEMS_PER_DIGEST)]


class _Closer:
    """Closes one batch of digest keys (see the module docstring)."""

    def __init__(self, now, run: DigestRun, schedule_retry=None):
        self.now, self.run, self.schedule_retry = now, run, schedule_retry
        self.to_send = defaultdict(list)  # backend ID → [(log row, message)]
        self.released = []
        self.failed_keys = set()
        self.locales = LocaleResolver()

    def close(self, keys) -> None:
        with transaction.atomic():
            rows = claim_held(keys, self.now)
            if not rows:
                return
            self.run.items += len(rows)
            instances = _Instances(rows)
            templates = Template.objects.select_related("notification__object_type")
            if self.locales.multilingual:
                templates = templates.prefetch_related("translations")
            templates = templates.in_bulk({row.template_id for row in rows if row.template_id})
            by_template = defaultdict(list)
            for _key, group in _groups(rows).items():
                template = templates.get(group[0].template_id)
                backend_class = backend_registry.get(template.backend) if template else None
                if backend_class is None:
                    self.released += release(group, "Sent on its own: its digest template "
                                                     "is gone or its backend is not enabled.")
                    continue
                contact = _contact(group[0], instances)
                locale = _locale(group[0], contact, self.locales)
                for page in _pages(group):
                    digest = _Digest(template.for_language(locale.language), contact, page)
                    digest.locale = locale
                    by_template[template.pk].append(digest)
            for digests in by_template.values():
                self._prepare(digests, instances)

    def _prepare(self, digests, instances) -> None:
        """Check preferences again, render and log the digests of one template."""
        template = digests[0].template
        backend = backend_registry.get(template.backend)()
        allowed, suppressed = policy.contact_filter(template.notification, backend.PROTOCOL).split(
            [digest.contact for digest in digests])
        owners = {contact.address: owner for contact, owner in allowed}
        off = {contact.address: reason for contact, reason in suppressed}
        links = policy.links_for(template.notification, backend.PROTOCOL)
        log = deliverylog.LogWriter(issue_id=uuid.uuid4(), notification=template.notification,
                                    template=template, object_type=None, object_id="",
                                    backend=backend.ID,
                                    protocol=backend.PROTOCOL)
        ready, dropped, broken = [], [], []
        in_links = self.locales.multilingual
        # One savepoint for the batch, not one per digest; each in its recipient's locale.
        with rendering_without_writes(), LocaleSwitch() as switch:
            for digest in digests:
                if digest.contact.address in off:
                    dropped.append(digest)
                    continue
                digest.owner = owners.get(digest.contact.address)
                switch(digest.locale)
                try:
                    digest.message, stored = _render(digest, backend, links, instances,
                                                     self.now,
                                                     digest.locale.language if in_links else "")
                except DatabaseError:
                    raise  # the batch's transaction is broken: see send_digests()
                except Exception as err:  # noqa: BLE001 - this digest's items fail, not the batch
                    broken.append((digest, err))
                    continue
                digest.row = log.row([digest.contact.address],
                                     from_address=digest.message.from_address,
                                     message=stored,
                                     contact_key=digest.rows[0].contact_key,
                                     recipient=(digest.rows[0].recipient_type_id,
                                                digest.rows[0].recipient_id or ""))
                ready.append(digest)
        self._broken(broken)
        suppress([(digest.rows, off[digest.contact.address]) for digest in dropped], self.now)
        self.run.suppressed += sum(len(digest.rows) for digest in dropped)
        log.write([digest.row for digest in ready])
        link_items(ready)
        self.run.digests += len(ready)
        self.to_send[backend.ID] += [(digest.row, digest.message) for digest in ready]

    def _broken(self, broken) -> None:
        """Digests that could not be made: their items fail (see the module)."""
        for digest, err in broken:
            reason = f"Its digest could not be made: {deliverylog.describe_error(err)}"
            logger.warning("Digest of %s (template %s) failed; its %d item(s) are marked "
                           "failed: %s",
                           # An X post digest has no address: the contact's name says whose.
                           digest.contact.address or repr(digest.contact.name),
                           digest.template.pk,
                           len(digest.rows), reason)
            fail_items(digest.rows, reason)
            self.run.failed += len(digest.rows)

    def send(self) -> None:
        """Send what :meth:`close` logged (after its transaction committed)."""
        for backend_id, pairs in self.to_send.items():
            with BackendSession(backend_registry.get(backend_id),
                                schedule_retry=self.schedule_retry) as session:
                sent, failed = session.send([row for row, _m in pairs], [m for _r, m in pairs])
            self.run.sent += sent
            self.run.failed += len(failed)
        if self.released:
            results = send_deliveries(self.released, raise_errors=False,
                                                schedule_retry=self.schedule_retry)
            self.run.sent += sum(1 for ok in results.values() if ok)


def send_digests(now=None, *, batch_size: int | None = None, schedule_retry=None) -> DigestRun:
    """Close every digest window due at ``now`` and send one message per key.

    Safe to run from several schedulers at once, and to run again after a
    crash: a held row is folded into exactly one digest.  Held rows due long
    ago (the scheduler was down) are sent in the first run that sees them.
    """
    now = now or timezone.now()
    batch_size = batch_size or conf.positive_int("DJANGO_VOX_BATCH_SIZE")
    run = DigestRun()
    skip = set()
    while keys := due_keys(now, batch_size, skip):
        _close_keys(keys, now, run, schedule_retry, skip)
    return run


def _close_keys(keys, now, run, schedule_retry, skip) -> None:
    """Close ``keys`` in one batch; if the batch fails, one key at a time; the
    due items of a key that fails alone are marked failed (never stuck)."""
    closer = _Closer(now, run, schedule_retry)
    try:
        closer.close(keys)
    except Exception as err:  # noqa: BLE001 - one bad key must not stop the others
        if conf.get("DJANGO_VOX_THROW_EXCEPTIONS"):
            raise
        if len(keys) > 1:
            for key in keys:
                _close_keys([key], now, run, schedule_retry, skip)
            return
        logger.exception("Closing the digest %s failed; its items are marked failed.", keys[0])
        reason = f"Its digest could not be made: {deliverylog.describe_error(err)}"
        run.failed += Delivery.objects.filter(due(now), status=Delivery.HELD,
                                              digest_key=keys[0]).update(
            status=Delivery.FAILED, error=reason, next_attempt_at=None,
            updated_at=timezone.now())
        skip.add(keys[0])
        return
    closer.send()
