"""One template of an issue, batch by batch: the contacts its policy allows,
rendered (in a transaction that is always rolled back), written to the
delivery log and sent, one message for all (bulk) or one per contact.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
from typing import TYPE_CHECKING

from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, transaction

from django_vox import conf, deliverylog
from django_vox.digests import holding
from django_vox.issuing import policy
from django_vox.issuing.context import build_context
from django_vox.issuing.dispatch import BackendSession

if TYPE_CHECKING:
    from django_vox.issuing.issue import Issue
    from django_vox.models import Template

__all__ = ["deliver_bulk", "deliver_individually", "deliver_template", "render_error",
           "rendering_without_writes"]

logger = logging.getLogger("django_vox")


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



# -- one template of an issue ----------------------------------------------------
def _log_suppressed(issue, suppressed, log):
    """Log contacts dropped by a preference, so editors can see why (one statement)."""
    if suppressed:
        refs = issue.recipient_refs
        log.write([log.row([contact.address], status=log.model.SUPPRESSED, error=reason,
                           recipient=refs(contact.obj)) for contact, reason in suppressed])
        issue.suppressed += len(suppressed)


def _allowed_batches(issue, template, protocol, log, contacts=None):
    """Batches of ``[(contact, owner)]`` the contact policy allows; the rest is logged.

    ``contacts`` (a chunk's) replaces the template's own recipients.
    """
    if contacts is None:
        contacts = issue.contacts(template, protocol)
    if issue.resuming:
        logged = deliverylog.logged_addresses(issue.issue_id, template)
        contacts = (contact for contact in contacts if contact.address not in logged)
    contacts = iter(contacts)
    batch_size = conf.positive_int("DJANGO_VOX_BATCH_SIZE")
    contact_filter = policy.contact_filter(issue.notification, protocol)
    while chunk := list(itertools.islice(contacts, batch_size)):
        allowed, suppressed = contact_filter.split(chunk)
        _log_suppressed(issue, suppressed, log)
        if allowed:
            yield allowed, _delivery_choices(contact_filter, allowed)


def _delivery_choices(contact_filter, allowed) -> dict:
    """``{owner key: "immediately" | "daily" | "weekly"}`` the recipients chose
    (an installed policy may offer ``delivery_choices``; see holding)."""
    choose = getattr(contact_filter, "delivery_choices", None)
    return choose([owner for _contact, owner in allowed]) if choose is not None else {}


def deliver_template(issue: Issue, template: Template, session: BackendSession,
                     contacts=None) -> None:
    """Send ``template`` of ``issue`` to everyone it reaches (or to ``contacts``)."""
    backend = session.backend
    attachments = issue.attachments(template) if backend.USE_ATTACHMENTS else []
    log = issue.log_writer(template, backend)
    batches = _allowed_batches(issue, template, backend.PROTOCOL, log, contacts)
    if template.bulk:
        deliver_bulk(issue, template, session, batches, attachments, log)
    else:
        deliver_individually(issue, template, session, batches, attachments, log)


def render_error(template, err: BaseException, contact=None) -> str:
    """What the log says about a message that could not be rendered."""
    who = f" for {contact.address}" if contact is not None else ""
    return (f"Rendering template {template.pk} ({template.backend}){who} failed: "
            f"{deliverylog.describe_error(err)}")


def deliver_bulk(issue, template, session, batches, attachments, log) -> None:
    """One message to all the allowed contacts (a bulk template)."""
    addresses = [contact.address for batch, _choices in batches for contact, _owner in batch]
    if not addresses:
        return
    backend = session.backend
    base = issue.context()
    try:
        with rendering_without_writes():
            message = backend.build_message(template.subject, template.content, base,
                                            attachments)
            message.from_address = backend.get_from_address(template.from_address, base)
    except ImproperlyConfigured:
        raise
    except Exception as err:  # noqa: BLE001 - recorded on the log for every address
        text = render_error(template, err)
        log.write([log.row(addresses, status=log.model.FAILED, error=text)])
        issue.render_failed(template, err, text)
        return
    rows = [log.row(addresses, from_address=message.from_address, message=message.to_dict())]
    issue.record(session, log.write(rows), [message])


def _build_one(issue, template, backend, attachments, links, contact, owner):
    """The message of ``template`` to one contact (inside rendering_without_writes)."""
    urls = {}
    if links:
        urls = {"unsubscribe_url": links.unsubscribe_url(owner),
                "preferences_url": links.preferences_url(owner)}
    params = build_context(issue.obj, notification=issue.notification, actor=issue.actor,
                           target=issue.target, contact=contact, **urls)
    message = backend.build_message(template.subject, template.content, params, attachments)
    message.from_address = backend.get_from_address(template.from_address, params)
    if links and backend.PROTOCOL == "email":
        for name, value in links.headers(urls["unsubscribe_url"]).items():
            message.headers.setdefault(name, value)
    return message


def _render_batch(issue, template, backend, attachments, links, batch):
    """``[(contact, message or None, error or None)]`` for a batch: one contact's
    failure is its own.  Templates render in one rolled-back transaction per
    batch; a database error aborts it, so the rest go on in a new one."""
    results, pending = [], iter(batch)
    while len(results) < len(batch):
        with rendering_without_writes():
            for contact, owner in pending:
                try:
                    message = _build_one(issue, template, backend, attachments, links,
                                         contact, owner)
                except ImproperlyConfigured:
                    raise
                except DatabaseError as err:
                    results.append((contact, None, err))
                    break  # this transaction is aborted: roll it back, go on in a new one
                except Exception as err:  # noqa: BLE001 - recorded on this contact's row
                    results.append((contact, None, err))
                else:
                    results.append((contact, message, None))
    return results


def deliver_individually(issue, template, session, batches, attachments, log) -> None:
    """One message per allowed contact, logged and sent a batch at a time."""
    backend = session.backend
    links = policy.links_for(issue.notification, backend.PROTOCOL)
    refs = issue.recipient_refs
    holder = holding.Holder(template, backend.PROTOCOL, required=issue.notification.required)
    for batch, choices in batches:
        holds = holder.plan(batch, choices)
        rendered = _render_batch(issue, template, backend, attachments, links, batch)
        rows, built = [], []
        for (contact, message, err), hold in zip(rendered, holds, strict=True):
            if err is not None:
                text = render_error(template, err, contact)
                rows.append(log.row([contact.address], status=log.model.FAILED, error=text,
                                    recipient=refs(contact.obj)))
                issue.render_failed(template, err, text)
                continue
            rows.append(log.row([contact.address], from_address=message.from_address,
                                message=message.to_dict(), recipient=refs(contact.obj),
                                **holder.row_fields(contact, hold, actor=issue.actor,
                                                    target=issue.target)))
            if hold is None:
                built.append(message)
        log.write(rows)
        # Held rows wait for their digest (django_vox.digests); failed ones are logged.
        issue.record(session, [row for row in rows if row.status != log.model.FAILED
                               and row.digest_due is None], built)
