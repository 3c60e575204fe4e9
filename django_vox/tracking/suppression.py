"""The suppression list: which addresses are not written to, checked on every
path that sends, and how a suppression is added and lifted.

Every path that sends asks the contact policy of
:mod:`django_vox.issuing.policy` (issuing in-process and in the background,
bulk and individual, digests, one-time messages, and the re-check before a
resend, retry or recovery).  :func:`suppressing` wraps the installed filter
so that its ``split()`` first drops the suppressed addresses of the batch,
with ONE query for the batch; the pipeline then logs those deliveries as
suppressed with the reason, as it does for a preference.  Suppression applies
to required notifications too: an address that bounces or complained gets
nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from email.utils import parseaddr

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format

from django_vox.models import Suppression
from django_vox.tracking import signals

__all__ = ["normalize", "lookup", "reason_text", "SuppressingFilter", "suppressing", "suppress",
           "lift", "active_for", "owner_addresses"]

logger = logging.getLogger("django_vox")


def normalize(protocol: str, address: str) -> str:
    """The form an address is kept in on the list: a bare, lower-case email
    address (without a display name); other addresses without spaces."""
    address = str(address or "").strip()
    if protocol == "email" or ("@" in address and "<" in address):
        return (parseaddr(address)[1] or address).strip().lower()
    return "".join(address.split())


def lookup(protocol: str, addresses: Iterable[str]) -> dict:
    """``{normalised address: Suppression}`` of the active suppressions among
    ``addresses`` (ONE query, none for an empty batch)."""
    wanted = {normalize(protocol, address) for address in addresses}
    wanted.discard("")
    if not wanted:
        return {}
    return {row.address: row for row in Suppression.objects.filter(
        protocol=protocol, address__in=sorted(wanted), lifted_at__isnull=True).only(
        "pk", "protocol", "address", "reason", "created_at").order_by()}


def reason_text(suppression: Suppression) -> str:
    """What the delivery log says about a delivery the suppression stopped."""
    since = date_format(timezone.localtime(suppression.created_at), "Y-m-d")
    return (f"Suppressed: {suppression.address} is on the suppression list "
            f"({suppression.get_reason_display()}, since {since}; suppression "
            f"{suppression.pk}).")


class SuppressingFilter:
    """A contact filter (see :mod:`django_vox.issuing.policy`) that drops the
    suppressed addresses of each batch before ``inner`` decides on the rest."""

    def __init__(self, inner, protocol: str):
        self.inner = inner
        self.protocol = protocol

    def split(self, contacts):
        """``(allowed, suppressed)`` as the inner filter answers them, the
        suppressed addresses added to ``suppressed`` with their reason."""
        contacts = list(contacts)
        found = lookup(self.protocol, (contact.address for contact in contacts))
        if not found:
            return self.inner.split(contacts)
        keep, dropped = [], []
        for contact in contacts:
            suppression = found.get(normalize(self.protocol, contact.address))
            if suppression is None:
                keep.append(contact)
            else:
                dropped.append((contact, reason_text(suppression)))
        allowed, suppressed = self.inner.split(keep) if keep else ([], [])
        return allowed, list(suppressed) + dropped

    def delivery_choices(self, owners) -> dict:
        """The inner filter's ``delivery_choices`` (none when it has none)."""
        choose = getattr(self.inner, "delivery_choices", None)
        return choose(owners) if choose is not None else {}


def suppressing(filter_factory: Callable) -> Callable:
    """A filter factory for :func:`~django_vox.issuing.policy.install_contact_policy`
    that checks the suppression list before ``filter_factory``'s filter."""

    def factory(notification, protocol):
        return SuppressingFilter(filter_factory(notification, protocol), protocol)

    factory.wrapped = filter_factory
    return factory


def suppress(protocol: str, address: str, reason: str, *, event=None,
             description: str = "") -> tuple[Suppression | None, bool]:
    """Put ``address`` on the list; ``(suppression, created)``.  An address
    already suppressed keeps its first suppression."""
    address = normalize(protocol, address)
    if not address:
        return None, False
    try:
        with transaction.atomic():
            suppression, created = Suppression.objects.get_or_create(
                protocol=protocol, address=address, lifted_at__isnull=True,
                defaults={"reason": reason, "event": event, "description": description[:2000]})
    except IntegrityError:  # suppressed by a concurrent event in between
        return Suppression.objects.filter(protocol=protocol, address=address,
                                          lifted_at__isnull=True).first(), False
    if created:
        logger.info("Suppressed %s:%s (%s).", protocol, address, reason)
        signals.address_suppressed.send_robust(Suppression, suppression=suppression, event=event)
    return suppression, created


def lift(suppressions: Iterable[Suppression], *, note: str, user=None) -> int:
    """Lift active ``suppressions`` (their addresses get messages again) with
    ``note``; the rows stay as history.  Returns how many were lifted."""
    now = timezone.now()
    who = str(user.get_username()) if user is not None and hasattr(user, "get_username") else ""
    lifted = 0
    for suppression in suppressions:
        done = Suppression.objects.filter(pk=suppression.pk, lifted_at__isnull=True).update(
            lifted_at=now, lifted_by=who[:150], lift_note=note)
        if done:
            suppression.lifted_at, suppression.lifted_by, suppression.lift_note = now, who, note
            lifted += 1
            logger.info("Suppression of %s:%s lifted by %s: %s", suppression.protocol,
                        suppression.address, who or "the recipient", note)
            signals.suppression_lifted.send_robust(Suppression, suppression=suppression,
                                                   user=user)
    return lifted


def owner_addresses(owner, protocols) -> list[tuple[str, str]]:
    """``(protocol, address)`` of an owner of preferences (see
    :class:`django_vox.preferences.Owner`) on ``protocols``: its own address, or
    the contacts its registration gives for each protocol."""
    if owner.instance is None:
        return [(owner.protocol, owner.address)] if owner.address else []
    registration = owner.registration()
    if registration is None:
        return []
    return [(protocol, contact.address) for protocol in protocols
            for contact in registration.get_contacts(owner.instance, protocol, None)]


def active_for(pairs: Iterable[tuple[str, str]]) -> list[Suppression]:
    """The active suppressions of ``(protocol, address)`` pairs (one query per protocol)."""
    by_protocol = {}
    for protocol, address in pairs:
        by_protocol.setdefault(protocol, []).append(address)
    found = []
    for protocol, addresses in sorted(by_protocol.items()):
        found.extend(lookup(protocol, addresses).values())
    return sorted(found, key=lambda row: (row.protocol, row.address))
