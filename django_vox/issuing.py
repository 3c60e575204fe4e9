"""The issuing pipeline: templates → recipients → contacts → messages →
delivery log → backends.

One issue opens each backend it uses once, renders each template source once
(compiled templates are cached), streams recipients in batches, writes the
delivery log in batches *before* sending (so nothing is lost if the process
dies) and updates it in batches afterwards.
"""

import contextlib
import itertools
import logging
import uuid

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.module_loading import import_string

from django_vox import conf, deliverylog, signals
from django_vox.backends import backends as backend_registry
from django_vox.exceptions import SendError, VoxError
from django_vox.preferences import PreferenceFilter, unsubscribe_links
from django_vox.registry import Contact, objects

__all__ = ["IssueError", "issue_now", "validate_issue", "get_issue_method", "send_deliveries",
           "record_failures",
           "resolve_dotted"]

logger = logging.getLogger("django_vox")


class IssueError(VoxError, ValueError):
    """A notification was issued with the wrong actor or target."""


def resolve_dotted(path):
    """Import ``path``, which may name an attribute of a class (``mod.Class.method``)."""
    try:
        return import_string(path)
    except ImportError:
        module_path, _dot, attr = path.rpartition(".")
        if not module_path:
            raise
        return getattr(resolve_dotted(module_path), attr)


def get_issue_method():
    path = conf.get("DJANGO_VOX_ISSUE_METHOD")
    if callable(path):
        return path
    try:
        return resolve_dotted(path)
    except (ImportError, AttributeError) as err:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            f"DJANGO_VOX_ISSUE_METHOD {path!r} could not be imported: {err}") from err


def _model_label(ct):
    return f"{ct.app_label}.{ct.model}"


def validate_issue(notification, obj, actor, target):
    """Raise IssueError when actor/target do not match the declaration."""
    for role, value, ct in (("actor", actor, notification.actor_type),
                            ("target", target, notification.target_type)):
        name = f"notification {notification.codename!r} of {_model_label(notification.object_type)}"
        if ct is None and value is not None:
            raise IssueError(f"The {name} declares no {role}, but one was given ({value!r}).")
        if ct is not None:
            if value is None:
                raise IssueError(f"The {name} needs a {role} of type {_model_label(ct)}.")
            model = ct.model_class()
            if model is not None and not isinstance(value, model):
                raise IssueError(
                    f"The {name} needs a {role} of type {_model_label(ct)}, "
                    f"not {type(value)._meta.label_lower if hasattr(value, '_meta') else type(value).__name__}.")


def issue_now(notification, obj, *, actor=None, target=None):
    """Issue ``notification`` about ``obj`` in this process.

    Sending happens when the current transaction commits (at once outside a
    transaction).  For a required notification, a RuntimeError is raised here,
    at issue time, when nothing would be sent.
    """
    validate_issue(notification, obj, actor, target)
    issue = Issue(notification, obj, actor=actor, target=target)
    if notification.required and not issue.has_anything_to_send():
        raise RuntimeError(
            f"Required notification {notification.codename!r} of "
            f"{_model_label(notification.object_type)} would send nothing: "
            f"no enabled template reaches any contact.")
    transaction.on_commit(issue.deliver)
    return issue


@contextlib.contextmanager
def rendering_without_writes():
    """Render editors' templates in a transaction that is always rolled back.

    The template language already refuses methods marked ``alters_data``; this
    also undoes any write a template reaches through a method that is not
    marked.  One transaction per batch of messages, not per message.
    """
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


class Issue:
    """One notification about one object, ready to be delivered."""

    def __init__(self, notification, obj, *, actor=None, target=None, templates=None,
                 background=False, issue_id=None):
        self.notification = notification
        #: True in a task worker: transient failures are retried later, and each
        #: message is marked sent as soon as it is, so a killed worker doubles none.
        self.background = background
        self.obj = obj
        self.actor = actor
        self.target = target
        #: A task that runs again (its worker died) passes the same id: the
        #: contacts it already logged are skipped, so nobody gets it twice.
        self.issue_id = issue_id or uuid.uuid4()
        self.resuming = issue_id is not None and _issue_started(issue_id)
        if templates is None:
            templates = list(notification.templates.filter(enabled=True).prefetch_related("attachments"))
        self.templates = templates
        self.errors = []
        self.sent = 0
        self.failed = 0

    # -- what to send -------------------------------------------------------
    def usable_templates(self):
        for template in self.templates:
            backend_class = backend_registry.get(template.backend)
            if backend_class is None:
                logger.warning("Template %s uses backend %r, which is not enabled; skipped.",
                               template.pk, template.backend)
                continue
            yield template, backend_class

    def context(self):
        return {
            "object": self.obj, "content": self.obj,
            "actor": self.actor, "source": self.actor,
            "target": self.target,
            "notification": self.notification,
        }

    def _channel_objects(self, key):
        role, _colon, channel_key = key.partition(":")
        instance = {"c": self.obj, "se": self.actor, "re": self.target}.get(role)
        if instance is None:
            return None, ()
        channels = objects[type(instance)].registration.get_channels()
        channel = channels.get(channel_key)
        if channel is None:
            logger.warning("Recipient key %r: %s has no channel %r.", key,
                           type(instance)._meta.label, channel_key)
            return None, ()
        return channel, channel.resolve(instance)

    def site_contacts(self, protocol):
        from django_vox.models import SiteContact, SiteContactSetting

        settings = SiteContactSetting.objects.filter(
            site_contact=OuterRef("pk"), notification=self.notification)
        return (SiteContact.objects.filter(protocol=protocol)
                .filter(Q(enable_filter=SiteContact.BLACKLIST) & ~Exists(settings.filter(enabled=False))
                        | Q(enable_filter=SiteContact.WHITELIST) & Exists(settings.filter(enabled=True))))

    def contacts(self, template, protocol):
        """Yield each Contact of ``template`` once (de-duplicated by address)."""
        seen = set()
        for key in template.get_recipient_keys():
            if key == "si":
                found = (Contact(sc.name, protocol, sc.address, sc)
                         for sc in self.site_contacts(protocol).iterator())
            else:
                channel, instances = self._channel_objects(key)
                if channel is None:
                    continue
                found = self._contacts_of(channel, instances, protocol)
            for contact in found:
                if contact.address in seen:
                    continue
                seen.add(contact.address)
                yield contact

    def _contacts_of(self, channel, instances, protocol):
        registration = None
        for instance in instances:
            if registration is None or not isinstance(instance, registration.model or object):
                registration = objects[type(instance)].registration
            yield from registration.get_contacts(instance, protocol, self.notification)

    def has_anything_to_send(self):
        for template, backend_class in self.usable_templates():
            for _contact in self.contacts(template, backend_class.PROTOCOL):
                return True
        return False

    def attachments(self, template):
        result = []
        for attachment in template.attachments.all():
            role, _dot, name = attachment.key.partition(".")
            instance = {"object": self.obj, "content": self.obj, "actor": self.actor,
                        "source": self.actor, "target": self.target}.get(role)
            if instance is None:
                continue
            registration = objects[type(instance)].registration
            declared = registration.get_attachments().get(name)
            if declared is None:
                logger.warning("Template %s names attachment %r, which %s does not declare.",
                               template.pk, attachment.key, type(instance)._meta.label)
                continue
            resolved = declared.resolve(registration, instance)
            if resolved is not None:
                result.append(resolved)
        return result

    # -- delivering ---------------------------------------------------------
    def deliver(self):
        """Build, log and send every message.  Returns self."""
        throw = conf.get("DJANGO_VOX_THROW_EXCEPTIONS")
        opened = {}
        try:
            for template, backend_class in self.usable_templates():
                backend = opened.get(template.backend)
                if backend is None:
                    backend = opened[template.backend] = backend_class()
                    try:
                        backend.open()
                    except Exception as err:  # noqa: BLE001 - recorded below, never lost
                        backend.open_error = err
                try:
                    self._deliver_template(template, backend)
                except Exception as err:  # noqa: BLE001 - rendering or contact errors
                    logger.exception("Notification %s, template %s failed.",
                                     self.notification, template.pk)
                    self.errors.append(err)
        finally:
            for backend in opened.values():
                try:
                    backend.close()
                except Exception:  # noqa: BLE001 - closing must not lose the report
                    logger.exception("Closing backend %s failed.", backend.ID)
        if self.errors:
            if throw:
                raise self.errors[0]
            logger.warning("Notification %s: %d message(s) failed; see the delivery log.",
                           self.notification, self.failed or len(self.errors))
        return self

    def _log_fields(self, template, backend):
        obj = self.obj
        return {
            "issue_id": self.issue_id,
            "notification": self.notification,
            "template": template,
            "object_type": ContentType.objects.get_for_model(type(obj)) if hasattr(obj, "_meta") else None,
            "object_id": str(obj.pk) if getattr(obj, "pk", None) is not None else "",
            "backend": backend.ID,
            "protocol": backend.PROTOCOL,
        }

    def _deliver_template(self, template, backend):
        protocol = backend.PROTOCOL
        base = self.context()
        attachments = self.attachments(template) if backend.USE_ATTACHMENTS else []
        log = deliverylog.LogWriter(**self._log_fields(template, backend))
        contacts = self.contacts(template, protocol)
        if self.resuming:
            contacts = self._not_yet_logged(template, contacts)
        batch_size = max(1, int(conf.get("DJANGO_VOX_BATCH_SIZE")))

        preference_filter = PreferenceFilter(self.notification, protocol)
        if template.bulk:
            addresses = []
            while chunk := list(itertools.islice(contacts, batch_size)):
                allowed, suppressed = preference_filter.split(chunk)
                self._log_suppressed(suppressed, log)
                addresses.extend(contact.address for contact, _owner in allowed)
            if not addresses:
                return
            with rendering_without_writes():
                message = backend.build_message(template.subject, template.content, base,
                                                attachments)
                message.from_address = backend.get_from_address(template.from_address, base)
            rows = [log.row(addresses, from_address=message.from_address,
                            message=message.to_dict())]
            self._send_batch(backend, log.write(rows), [message])
            return

        links = unsubscribe_links(self.notification, protocol)
        while True:
            chunk = list(itertools.islice(contacts, batch_size))
            if not chunk:
                return
            allowed, suppressed = preference_filter.split(chunk)
            self._log_suppressed(suppressed, log)
            if not allowed:
                continue
            rows, built = [], []
            with rendering_without_writes():
                for contact, owner in allowed:
                    params = dict(base, contact=contact,
                                  recipient=contact.obj if contact.obj is not None else contact)
                    if links:
                        params["unsubscribe_url"] = links.unsubscribe_url(owner)
                        params["preferences_url"] = links.preferences_url(owner)
                    message = backend.build_message(template.subject, template.content, params,
                                                    attachments)
                    message.from_address = backend.get_from_address(template.from_address, params)
                    if links and protocol == "email":
                        for name, value in links.headers(params["unsubscribe_url"]).items():
                            message.headers.setdefault(name, value)
                    built.append(message)
                    rows.append(log.row([contact.address], from_address=message.from_address,
                                        message=message.to_dict()))
            self._send_batch(backend, log.write(rows), built)

    def _not_yet_logged(self, template, contacts):
        from django_vox.models import Delivery

        logged = {address for row in Delivery.objects.filter(
            issue_id=self.issue_id, template=template).values_list("to_addresses", flat=True)
            for address in row}
        return (contact for contact in contacts if contact.address not in logged)

    def _log_suppressed(self, suppressed, log):
        """Log contacts dropped by a preference, so editors can see why (one statement)."""
        if suppressed:
            log.write([log.row([contact.address], status=log.model.SUPPRESSED, error=reason)
                       for contact, reason in suppressed])

    def _send_batch(self, backend, rows, messages):
        sent, failed = _send_rows(backend, rows, messages, background=self.background)
        self.sent += sent
        self.failed += len(failed)
        self.errors.extend(err for _row, err in failed)


def _issue_started(issue_id):
    from django_vox.models import Delivery

    return Delivery.objects.filter(issue_id=issue_id).exists()


def _send_one(backend, row, message):
    open_error = getattr(backend, "open_error", None)
    if open_error is not None:
        raise open_error
    to = row.to_addresses
    if len(to) == 1:
        backend.send(to[0], message)
    else:
        backend.send_message(message.from_address, to, message)


def _send_rows(backend, rows, messages, *, background=False):
    """Send each row's message; update the log in two queries.  Returns (sent, failed).

    In the ``background`` (a task worker) each sent row is marked at once, so a
    worker killed part-way leaves only unsent rows queued; transient failures
    are scheduled for a retry instead of being marked failed.
    """
    from django_vox.models import Delivery

    sent, failed = [], []
    for row, message in zip(rows, messages, strict=True):
        try:
            _send_one(backend, row, message)
        except Exception as err:  # noqa: BLE001 - any backend error is recorded, not lost
            if not isinstance(err, SendError):
                logger.debug("Backend %s raised %r", backend.ID, err)
            failed.append((row, err))
        else:
            sent.append(row)
            if background:
                deliverylog.mark_sent([row], timezone.now())
    now = timezone.now()
    if not background:
        deliverylog.mark_sent(sent, now)
    if failed:
        record_failures(failed, now, retry=background)
    if signals.message_sent.receivers:
        for row in sent:
            signals.message_sent.send_robust(Delivery, delivery=deliverylog.as_delivery(row),
                                             backend=backend.ID)
    return len(sent), failed


def describe_error(err):
    text = str(err) or repr(err)
    name = type(err).__name__
    return text if isinstance(err, SendError) else f"{name}: {text}"


def record_failures(failed, now=None, *, retry=False):
    """Record failed deliveries with their errors (one query for the batch).

    With ``retry`` (deliveries sent by a task worker), a transient failure with
    attempts left stays queued with ``next_attempt_at`` set and a retry task is
    enqueued once the transaction commits; anything else is marked failed.
    """
    from django_vox import retry as retry_policy
    from django_vox.models import Delivery

    now = now or timezone.now()
    retrying = []
    for row, err in failed:
        row.error = describe_error(err)
        row.attempts = (row.attempts or 0) + 1
        row.updated_at = now
        if retry and retry_policy.should_retry(err, row.attempts):
            row.status = Delivery.QUEUED
            row.next_attempt_at = now + retry_policy.backoff_delay(row.attempts)
            retrying.append(row)
            logger.info("Delivery %s via %s to %s failed (attempt %d), retrying at %s: %s",
                        row.pk, row.backend, ", ".join(row.to_addresses), row.attempts,
                        row.next_attempt_at.isoformat(), row.error)
            continue
        row.status = Delivery.FAILED
        row.next_attempt_at = None
        logger.warning("Delivery %s via %s to %s failed: %s", row.pk, row.backend,
                       ", ".join(row.to_addresses), row.error)
    deliverylog.mark_failed([row for row, _err in failed], now)
    if retrying:
        from django_vox import tasks

        pending = {str(row.pk): row.attempts for row in retrying}
        run_after = max(row.next_attempt_at for row in retrying)
        transaction.on_commit(lambda: tasks.enqueue_retry(pending, run_after))
    if signals.message_failed.receivers:
        for row, err in failed:
            if row.status == Delivery.FAILED:
                signals.message_failed.send_robust(
                    Delivery, delivery=deliverylog.as_delivery(row), backend=row.backend,
                    error=err)


def send_deliveries(deliveries, *, raise_errors=None, retry=False, stale_before=None):
    """(Re)send logged deliveries exactly as rendered; never one already sent.

    Returns ``{pk: sent?}`` (True for those sent before).  Each row is claimed
    first (see :func:`claim`), so concurrent resends send it once; a row that
    someone else is sending right now counts as not sent here.  With ``retry``
    (a task worker), transient failures are scheduled for another attempt.
    Each backend is opened once for all of them.
    """
    from django_vox.models import Delivery

    if raise_errors is None:
        raise_errors = conf.get("DJANGO_VOX_THROW_EXCEPTIONS")
    results, errors = {}, []
    by_backend = {}
    deliveries = list(deliveries)
    from django_vox.resending import claim

    taken = {row.pk for row in claim(deliveries, stale_before=stale_before)}
    for row in deliveries:
        if row.pk not in taken:
            results[row.pk] = row.status == Delivery.SENT
            continue
        by_backend.setdefault(row.backend, []).append(row)
    for backend_id, rows in by_backend.items():
        backend_class = backend_registry.get(backend_id)
        if backend_class is None:
            err = SendError(f"Backend {backend_id!r} is not enabled")
            record_failures([(row, err) for row in rows])
            errors.append(err)
            results.update({row.pk: False for row in rows})
            continue
        backend = backend_class()
        try:
            backend.open()
        except Exception as err:  # noqa: BLE001 - recorded by _send_rows
            backend.open_error = err
        try:
            sent, failed = _send_rows(backend, rows, [row.get_message() for row in rows],
                                      background=retry)
        finally:
            backend.close()
        failed_pks = {row.pk for row, _err in failed}
        errors.extend(err for _row, err in failed)
        for row in rows:
            results[row.pk] = row.pk not in failed_pks
            if row.pk not in failed_pks:
                row.status = Delivery.SENT
    if errors and raise_errors:
        raise errors[0]
    return results
