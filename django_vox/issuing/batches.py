"""One template of an issue, batch by batch: the contacts its policy allows,
rendered (in a transaction that is always rolled back), written to the
delivery log and sent, one message for all (bulk; one per language) or one
per contact.  Each message renders in its recipients' language and time zone
(:mod:`django_vox.registry.locales`), with the template's text in that
language (``Template.for_language``).
"""

from __future__ import annotations

import contextlib
import itertools
import logging
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, transaction

from django_vox import conf, deliverylog
from django_vox.digests import holding
from django_vox.issuing import policy
from django_vox.issuing.context import build_context, stored_message
from django_vox.issuing.dispatch import BackendSession
from django_vox.registry import locales as locales_module
from django_vox.registry.locales import Locale, LocaleResolver
from django_vox.templating.sandbox import collecting_secrets

if TYPE_CHECKING:
    from django_vox.backends import Backend
    from django_vox.deliverylog import LogWriter
    from django_vox.issuing.issue import Issue
    from django_vox.messages import Message, MessageAttachment
    from django_vox.models import Template
    from django_vox.registry import Contact

    #: A batch of allowed ``[(contact, owner)]`` and the recipients' delivery choices.
    _Batch = tuple[list[tuple[Contact, Any]], dict[Any, str]]
    #: A rendered message and what the log stores of it (secrets marked).
    _Built = tuple[Message, dict[str, Any]]

__all__ = ["deliver_bulk", "deliver_individually", "deliver_template", "language_groups",
           "render_error", "rendering_without_writes"]

logger = logging.getLogger("django_vox")


@contextlib.contextmanager
def rendering_without_writes() -> Iterator[None]:
    """Render editors' templates in a transaction that is always rolled back.

    The template language already refuses methods marked ``alters_data``; this
    also undoes any write a template reaches through a method that is not
    marked.  One transaction per batch of messages, not per message.
    """
    with transaction.atomic():
        yield
        transaction.set_rollback(True)



# -- one template of an issue ----------------------------------------------------
def _log_suppressed(issue: Issue, suppressed: list[tuple[Contact, str]], log: LogWriter) -> None:
    """Log contacts dropped by a preference, so editors can see why (one statement)."""
    if suppressed:
        refs = issue.recipient_refs
        log.write([log.row([contact.address], status=log.model.SUPPRESSED, error=reason,
                           recipient=refs(contact.obj)) for contact, reason in suppressed])
        issue.suppressed += len(suppressed)


def _allowed_batches(issue: Issue, template: Template, protocol: str, log: LogWriter,
                     contacts: Iterable[Contact] | None = None) -> Iterator[_Batch]:
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


def _delivery_choices(contact_filter: Any, allowed: list[tuple[Contact, Any]]) -> dict[Any, str]:
    """``{owner key: "immediately" | "daily" | "weekly"}`` the recipients chose
    (an installed policy may offer ``delivery_choices``; see holding)."""
    choose = getattr(contact_filter, "delivery_choices", None)
    return choose([owner for _contact, owner in allowed]) if choose is not None else {}


def deliver_template(issue: Issue, template: Template, session: BackendSession,
                     contacts: Iterable[Contact] | None = None) -> None:
    """Send ``template`` of ``issue`` to everyone it reaches (or to ``contacts``)."""
    backend = session.backend
    attachments = issue.attachments(template) if backend.USE_ATTACHMENTS else []
    log = issue.log_writer(template, backend)
    batches = _allowed_batches(issue, template, backend.PROTOCOL, log, contacts)
    if template.bulk:
        deliver_bulk(issue, template, session, batches, attachments, log)
    else:
        deliver_individually(issue, template, session, batches, attachments, log)


def render_error(template: Template, err: BaseException, contact: Contact | None = None) -> str:
    """What the log says about a message that could not be rendered."""
    who = f" for {contact.address}" if contact is not None else ""
    return (f"Rendering template {template.pk} ({template.backend}){who} failed: "
            f"{deliverylog.describe_error(err)}")


def language_groups(locales: LocaleResolver, contacts: list[Contact]
                    ) -> list[tuple[Locale, list[Contact]]]:
    """``[(locale, [contact])]``: a bulk template's contacts by language, in
    the order each language first appears.  A group's time zone is its
    members' when they share one, else the site's."""
    groups: dict[str, list[tuple[Contact, Locale]]] = {}
    for contact in contacts:
        locale = locales(contact)
        groups.setdefault(locale.language, []).append((contact, locale))
    result = []
    for members in groups.values():
        zones = {locale.timezone for _contact, locale in members}
        locale = members[0][1]
        if len(zones) > 1:
            locale = Locale(locale.language, locales.default.timezone)
        result.append((locale, [contact for contact, _locale in members]))
    return result


def deliver_bulk(issue: Issue, template: Template, session: BackendSession,
                 batches: Iterable[_Batch], attachments: list[MessageAttachment],
                 log: LogWriter) -> None:
    """One message to all the allowed contacts (a bulk template); one per
    language when the recipients have several, all logged in one statement."""
    contacts = [contact for batch, _choices in batches for contact, _owner in batch]
    if not contacts:
        return
    groups = [(locale, [contact.address for contact in group])
              for locale, group in language_groups(issue.locales, contacts)]
    rendered = _render_bulk(issue, template, session.backend, attachments, groups)
    rows, messages = [], []
    for (locale, addresses), (built, err) in zip(groups, rendered, strict=True):
        if err is not None:
            text = render_error(template.for_language(locale.language), err)
            rows.append(log.row(addresses, status=log.model.FAILED, error=text))
            issue.render_failed(template, err, text)
        elif built is not None:  # a result holds one or the other
            message, stored = built
            rows.append(log.row(addresses, from_address=message.from_address, message=stored))
            messages.append(message)
    written = log.write(rows)
    issue.record(session, [row for row in written if row.status != log.model.FAILED], messages)


def _render_bulk(issue: Issue, template: Template, backend: Backend,
                 attachments: list[MessageAttachment], groups: list[tuple[Locale, list[str]]]
                 ) -> list[tuple[_Built | None, BaseException | None]]:
    """``[((message, stored) or None, error or None)]``, one per language group,
    rendered in one rolled-back transaction (a new one after a database error)."""
    base = issue.context()
    results: list[tuple[_Built | None, BaseException | None]] = []
    pending = iter(groups)
    with locales_module.LocaleSwitch() as switch:
        while len(results) < len(groups):
            with rendering_without_writes():
                for locale, _addresses in pending:
                    translated = template.for_language(locale.language)
                    try:
                        switch(locale)
                        with collecting_secrets() as secrets:
                            message = backend.build_message(
                                translated.subject, translated.content, base, attachments)
                            message.from_address = backend.get_from_address(
                                translated.from_address, base)
                    except ImproperlyConfigured:
                        raise
                    except DatabaseError as err:
                        results.append((None, err))
                        break  # this transaction is aborted: go on in a new one
                    except Exception as err:  # noqa: BLE001 - recorded for the group's addresses
                        results.append((None, err))
                    else:
                        results.append(((message, stored_message(message, secrets)), None))
    return results


def _build_one(issue: Issue, template: Template, backend: Backend,
               attachments: list[MessageAttachment], links: Any, contact: Contact,
               owner: Any, language: str = "") -> _Built:
    """The message of ``template`` to one contact (inside rendering_without_writes
    and the contact's locale; ``language`` goes into its links when given), and
    what the log stores of it."""
    urls = {}
    if links:
        extra = {"language": language} if language else {}
        urls = {"unsubscribe_url": links.unsubscribe_url(owner, **extra),
                "preferences_url": links.preferences_url(owner, **extra)}
    params = build_context(issue.obj, notification=issue.notification, actor=issue.actor,
                           target=issue.target, contact=contact, **urls)
    with collecting_secrets() as secrets:
        message = backend.build_message(template.subject, template.content, params, attachments)
        message.from_address = backend.get_from_address(template.from_address, params)
    if links and backend.PROTOCOL == "email":
        for name, value in links.headers(urls["unsubscribe_url"]).items():
            message.headers.setdefault(name, value)
    return message, stored_message(message, secrets)


def _render_batch(issue: Issue, template: Template, backend: Backend,
                  attachments: list[MessageAttachment], links: Any,
                  batch: list[tuple[Contact, Any]], locales: list[Locale]
                  ) -> list[tuple[Contact, _Built | None, BaseException | None]]:
    """``[(contact, (message, stored) or None, error or None)]`` for a batch: one contact's
    failure is its own.  Templates render in one rolled-back transaction per
    batch; a database error aborts it, so the rest go on in a new one.  Each
    message renders in its recipient's locale (``locales``, one per contact)."""
    results: list[tuple[Contact, _Built | None, BaseException | None]] = []
    pending = iter(zip(batch, locales, strict=True))
    in_links = issue.locales.multilingual
    with locales_module.LocaleSwitch() as switch:
        while len(results) < len(batch):
            with rendering_without_writes():
                for (contact, owner), locale in pending:
                    try:
                        switch(locale)
                        built = _build_one(issue, template.for_language(locale.language),
                                           backend, attachments, links, contact, owner,
                                           locale.language if in_links else "")
                    except ImproperlyConfigured:
                        raise
                    except DatabaseError as err:
                        results.append((contact, None, err))
                        break  # this transaction is aborted: roll it back, go on in a new one
                    except Exception as err:  # noqa: BLE001 - recorded on this contact's row
                        results.append((contact, None, err))
                    else:
                        results.append((contact, built, None))
    return results


def deliver_individually(issue: Issue, template: Template, session: BackendSession,
                         batches: Iterable[_Batch], attachments: list[MessageAttachment],
                         log: LogWriter) -> None:
    """One message per allowed contact, logged and sent a batch at a time."""
    backend = session.backend
    links = policy.links_for(issue.notification, backend.PROTOCOL)
    refs = issue.recipient_refs
    holder = holding.Holder(template, backend.PROTOCOL, required=issue.notification.required)
    for batch, choices in batches:
        holds = holder.plan(batch, choices)
        locales = [issue.locales(contact) for contact, _owner in batch]
        rendered = _render_batch(issue, template, backend, attachments, links, batch, locales)
        rows, outgoing = [], []
        for (contact, built, err), hold, locale in zip(rendered, holds, locales, strict=True):
            if err is not None:
                text = render_error(template, err, contact)
                rows.append(log.row([contact.address], status=log.model.FAILED, error=text,
                                    recipient=refs(contact.obj)))
                issue.render_failed(template, err, text)
                continue
            if built is None:  # a result holds one or the other
                continue
            message, stored = built
            rows.append(log.row([contact.address], from_address=message.from_address,
                                message=stored, recipient=refs(contact.obj),
                                **holder.row_fields(contact, hold, actor=issue.actor,
                                                    target=issue.target, locale=locale)))
            if hold is None:
                outgoing.append(message)
        log.write(rows)
        # Held rows wait for their digest (django_vox.digests); failed ones are logged.
        issue.record(session, [row for row in rows if row.status != log.model.FAILED
                               and row.digest_due is None], outgoing)
