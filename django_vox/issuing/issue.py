"""Issuing one notification about one object: templates → recipients →
contacts → messages → delivery log → backends.

One issue opens each backend it uses once, renders each template source once
(compiled templates are cached), streams recipients in batches, writes the
delivery log in batches *before* sending (so nothing is lost if the process
dies) and updates it in batches afterwards.
"""

import logging
import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import Any, cast

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured, ObjectDoesNotExist
from django.db import transaction

from django_vox import conf, deliverylog
from django_vox.backends import Backend
from django_vox.backends import backends as backend_registry
from django_vox.exceptions import IssueError, RequiredNotificationError
from django_vox.issuing.batches import deliver_template, rendering_without_writes
from django_vox.issuing.context import build_context
from django_vox.issuing.dispatch import BackendSession, RetryScheduler
from django_vox.issuing.recipients import RecipientRefs, role_by_name, template_contacts
from django_vox.messages import Message, MessageAttachment
from django_vox.models import Delivery, Notification, Template
from django_vox.registry import Contact, objects
from django_vox.registry.locales import LocaleResolver
from django_vox.templating.sandbox import TemplateContext

__all__ = ["Issue", "issue_now", "validate_issue", "check_required", "get_issue_method",
           "resolve_dotted", "rendering_without_writes", "when_committed", "attachment_owner"]

logger = logging.getLogger("django_vox")
_QUEUED = Delivery.QUEUED


resolve_dotted = conf.resolve_dotted  # re-exported: django_vox.issuing.resolve_dotted


def get_issue_method() -> Callable[..., Any]:
    """The function ``DJANGO_VOX_ISSUE_METHOD`` names (ImproperlyConfigured naming it if none)."""
    path = conf.get("DJANGO_VOX_ISSUE_METHOD")
    if callable(path):
        return cast("Callable[..., Any]", path)
    try:
        return cast("Callable[..., Any]", resolve_dotted(path))
    except (ImportError, AttributeError) as err:
        raise ImproperlyConfigured(
            f"DJANGO_VOX_ISSUE_METHOD {path!r} could not be imported: {err}") from err


def _model_label(ct: ContentType) -> str:
    return f"{ct.app_label}.{ct.model}"


def _type_name(value: Any) -> str:
    return value._meta.label_lower if hasattr(value, "_meta") else type(value).__name__


def validate_issue(notification: Notification, obj: Any, actor: Any, target: Any) -> None:
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
                raise IssueError(f"The {name} needs a {role} of type {_model_label(ct)}, "
                                 f"not {_type_name(value)}.")


def check_required(notification: Notification, obj: Any, *, actor: Any = None,
                   target: Any = None) -> "Issue":
    """The Issue of ``obj``; RequiredNotificationError when a required one would send nothing."""
    issue = Issue(notification, obj, actor=actor, target=target)
    if notification.required and not issue.has_anything_to_send():
        raise RequiredNotificationError(
            f"Required notification {notification.codename!r} of "
            f"{_model_label(notification.object_type)} would send nothing: "
            f"no enabled template reaches any contact.")
    return issue


def when_committed(callback: Callable[[], Any]) -> None:
    """Run ``callback`` once the current transaction commits (at once outside
    one), or right now when DJANGO_VOX_SEND_ON_COMMIT is False (as 4.x did)."""
    if conf.get("DJANGO_VOX_SEND_ON_COMMIT"):
        transaction.on_commit(callback)
    else:
        callback()


def issue_now(notification: Notification, obj: Any, *, actor: Any = None,
              target: Any = None) -> "Issue":
    """Issue ``notification`` about ``obj`` in this process.

    Sending happens when the current transaction commits (at once outside a
    transaction; at once anyway with DJANGO_VOX_SEND_ON_COMMIT = False).  For a
    required notification, RequiredNotificationError (a RuntimeError) is
    raised here, at issue time, when nothing would be sent.
    """
    validate_issue(notification, obj, actor, target)
    issue = check_required(notification, obj, actor=actor, target=target)
    when_committed(issue.deliver)
    return issue


def attachment_owner(key: str, instances: Mapping[Any, Any]) -> tuple[Any, str]:
    """``(instance, attachment name)`` for an attachment key; the instance is
    None when the role is unknown or a relation on the way is empty."""
    role_name, *path, name = key.split(".") if "." in key else (key, "")
    role = role_by_name(role_name)
    instance = instances.get(role.attr) if role is not None else None
    for attr in path:
        if instance is None:
            break
        try:
            instance = getattr(instance, attr, None)
        except ObjectDoesNotExist:  # an empty reverse one-to-one
            instance = None
    return instance, name


class Issue:
    """One notification about one object, ready to be delivered."""

    def __init__(self, notification: Notification, obj: Any, *, actor: Any = None,
                 target: Any = None, templates: list[Template] | None = None,
                 background: bool = False,
                 issue_id: uuid.UUID | None = None,
                 schedule_retry: RetryScheduler | None = None,
                 resuming: bool | None = None) -> None:
        if background and schedule_retry is None:
            raise ValueError("A background issue needs schedule_retry (see django_vox.tasks).")
        self.notification = notification
        #: True in a task worker: transient failures are retried later (through
        #: ``schedule_retry``), and each message is marked sent as soon as it
        #: is, so a killed worker doubles none.
        self.background = background
        self.schedule_retry = schedule_retry if background else None
        self.obj = obj
        self.actor = actor
        self.target = target
        #: A task that runs again (its worker died) passes the same id: the
        #: contacts it already logged are skipped, so nobody gets it twice.
        self.issue_id = issue_id or uuid.uuid4()
        if resuming is None:
            resuming = issue_id is not None and deliverylog.issue_started(issue_id)
        self.resuming = resuming
        #: Each recipient's language and time zone (docs/languages.rst).
        self.locales = LocaleResolver()
        if templates is None:
            related = ["attachments"]
            if self.locales.multilingual:  # every template's translations in one query
                related.append("translations")
            templates = list(notification.templates.filter(enabled=True)
                             .prefetch_related(*related))
        self.templates = templates
        self.errors: list[BaseException] = []
        self.sent = 0
        self.failed = 0
        self.suppressed = 0
        self.retrying = 0
        self.recipient_refs = RecipientRefs()
        self._render_warned: set[Any] = set()

    # -- what to send -------------------------------------------------------
    def usable_templates(self) -> Iterator[tuple[Template, type[Backend]]]:
        """``(template, backend class)`` for each template whose backend is enabled."""
        for template in self.templates:
            backend_class = backend_registry.get(template.backend)
            if backend_class is None:
                logger.warning("Template %s uses backend %r, which is not enabled; skipped.",
                               template.pk, template.backend)
                continue
            yield template, backend_class

    def context(self) -> TemplateContext:
        """The template context every message of this issue shares."""
        return build_context(self.obj, notification=self.notification, actor=self.actor,
                             target=self.target)

    def instances(self) -> dict[str, Any]:
        return {"obj": self.obj, "actor": self.actor, "target": self.target}

    def contacts(self, template: Template, protocol: str) -> Iterator[Contact]:
        """Yield each Contact of ``template`` once (de-duplicated by address)."""
        return template_contacts(template, self.notification, protocol, self.instances())

    def has_anything_to_send(self) -> bool:
        for template, backend_class in self.usable_templates():
            for _contact in self.contacts(template, backend_class.PROTOCOL):
                return True
        return False

    def attachments(self, template: Template) -> list[MessageAttachment]:
        """The files ``template`` attaches, resolved for this issue's instances.

        A key is ``role.name`` (``object.invoice``) or walks relations first
        (``object.author.vcard``: the ``vcard`` attachment of the object's author).
        """
        result = []
        instances = self.instances()
        for attachment in template.attachments.all():
            instance, name = attachment_owner(attachment.key, instances)
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
    def deliver(self) -> "Issue":
        """Build, log and send every message.  Returns self."""
        sessions: dict[str, BackendSession] = {}
        try:
            for template, backend_class in self.usable_templates():
                session = sessions.get(template.backend)
                if session is None:
                    session = BackendSession(backend_class, schedule_retry=self.schedule_retry)
                    sessions[template.backend] = session.open()
                try:
                    deliver_template(self, template, session)
                except ImproperlyConfigured:
                    raise  # a configuration error is the operator's, not a failed delivery
                except Exception as err:  # noqa: BLE001 - contact errors (channels, registrations)
                    logger.exception("Notification %s, template %s failed.",
                                     self.notification, template.pk)
                    self.errors.append(err)
        finally:
            for session in sessions.values():
                session.close()
        if self.errors:
            if conf.get("DJANGO_VOX_THROW_EXCEPTIONS"):
                raise self.errors[0]
            logger.warning("Notification %s: %d message(s) failed; see the delivery log.",
                           self.notification, self.failed or len(self.errors))
        return self

    def log_writer(self, template: Template, backend: Backend) -> deliverylog.LogWriter:
        obj = self.obj
        return deliverylog.LogWriter(
            issue_id=self.issue_id, notification=self.notification, template=template,
            object_type=(ContentType.objects.get_for_model(type(obj))
                         if hasattr(obj, "_meta") else None),
            object_id=str(obj.pk) if getattr(obj, "pk", None) is not None else "",
            backend=backend.ID, protocol=backend.PROTOCOL)

    def record(self, session: BackendSession, rows: list[Any], messages: list[Message]) -> None:
        """Send written ``rows`` through ``session`` and count the outcome."""
        sent, failed = session.send(rows, messages)
        self.sent += sent
        for row, err in failed:
            if row.status == _QUEUED:
                self.retrying += 1  # a transient failure a retry task will send again
            else:
                self.failed += 1
                self.errors.append(err)

    def render_failed(self, template: Template, err: BaseException, text: str) -> None:
        """Count a message that could not be rendered (its row is logged failed);
        warn once per template, not once per contact."""
        self.failed += 1
        self.errors.append(err)
        level = logging.DEBUG if template.pk in self._render_warned else logging.WARNING
        self._render_warned.add(template.pk)
        logger.log(level, "Notification %s: %s", self.notification, text)
