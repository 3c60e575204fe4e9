"""Which preference row wins, for one owner or a whole batch of contacts.

For one owner, a notification and a protocol, the most specific
:class:`~django_vox.models.Preference` decides: notification and protocol >
notification, any protocol > any notification, protocol > any notification,
any protocol.  With no row, the owner's registration decides
(:meth:`Registration.get_default_preference`, by default the notification's
``default_enabled``).  Required notifications ignore preferences.
"""

from django.db.models import Q

from django_vox.models import Preference
from django_vox.preferences.owners import Owner

__all__ = ["PreferenceFilter", "is_enabled", "load_rows", "best_row", "default_choice",
           "set_preference"]


def _specificity(pref):
    return (pref.notification_id is not None) * 2 + bool(pref.protocol)


def best_row(rows, notification_id, protocol):
    """The most specific of ``rows`` that applies, or None."""
    matching = [row for row in rows
                if row.notification_id in (None, notification_id) and row.protocol in ("", protocol)]
    return max(matching, key=_specificity, default=None)


def default_choice(owner, notification, protocol, registrations=None):
    """The registration's default for ``owner``; ``registrations`` (class →
    registration), when given, memoises the lookup across a batch."""
    if registrations is None or owner.instance is None:
        registration = owner.registration()
    else:
        kind = type(owner.instance)
        if kind not in registrations:
            registrations[kind] = owner.registration()
        registration = registrations[kind]
    if registration is None:
        return bool(notification.default_enabled)
    return bool(registration.get_default_preference(owner.instance, notification, protocol))


def _owners_query(owners) -> Q | None:
    by_type, addresses = {}, {}
    for owner in owners:
        if owner.content_type_id:
            by_type.setdefault(owner.content_type_id, set()).add(owner.object_id)
        else:
            addresses.setdefault(owner.protocol, set()).add(owner.address)
    if not by_type and not addresses:
        return None
    who = Q()
    for ct_id, ids in by_type.items():
        who |= Q(owner_type_id=ct_id, owner_id__in=sorted(ids))
    for proto, found in addresses.items():
        who |= Q(owner_type__isnull=True, protocol=proto, address__in=sorted(found))
    return who


def load_rows(owners, notification=None, protocol=None):
    """All Preference rows of ``owners`` that can apply, in ONE query."""
    who = _owners_query(owners)
    if who is None:
        return []
    rows = Preference.objects.filter(who)
    if notification is not None:
        rows = rows.filter(Q(notification=notification) | Q(notification__isnull=True))
    if protocol is not None:
        rows = rows.filter(Q(protocol=protocol) | Q(protocol=""))
    return list(rows)


def _owner_of_row(row):
    if row.owner_type_id:
        return (row.owner_type_id, row.owner_id, "", "")
    return (None, "", row.protocol, row.address)


def is_enabled(owner: Owner, notification, protocol: str) -> bool:
    """Whether ``owner`` receives ``notification`` on ``protocol`` (one query)."""
    if notification.required:
        return True
    best = best_row(load_rows([owner], notification, protocol), notification.pk, protocol)
    return best.enabled if best is not None else default_choice(owner, notification, protocol)


class PreferenceFilter:
    """Splits a batch of contacts into those to send to and those suppressed.

    The first batch loads every Preference row that can apply to the
    notification and protocol, when there are at most :attr:`PRELOAD_LIMIT`
    of them (one query for the whole issue, the usual case).  With more, each
    batch loads the rows of its own recipients instead (one query per batch),
    so memory stays bounded whatever the size of the preference table.
    """

    PRELOAD_LIMIT = 10_000

    def __init__(self, notification, protocol: str):
        self.notification = notification
        self.protocol = protocol
        self._preloaded = None  # owner key → rows, once loaded; False: too many to hold

    def _rows_for(self, owners):
        if self._preloaded is None:
            self._preloaded = False
            rows = _applicable_rows(self.notification, self.protocol, self.PRELOAD_LIMIT + 1)
            if len(rows) <= self.PRELOAD_LIMIT:
                self._preloaded = _by_owner(rows)
        if self._preloaded is not False:
            return self._preloaded
        return _by_owner(load_rows(owners, self.notification, self.protocol))

    def split(self, contacts):
        """Return ``(allowed, suppressed)``: lists of (contact, owner) and of
        (contact, reason).  At most one query per call, whatever the batch size."""
        type_ids = {}
        owners = [Owner.of_contact(contact, type_ids) for contact in contacts]
        if self.notification.required:
            return list(zip(contacts, owners, strict=True)), []
        rows = self._batch_rows = self._rows_for(owners)
        allowed, suppressed = [], []
        registrations = {}  # class → registration, looked up once per batch
        for contact, owner in zip(contacts, owners, strict=True):
            enabled, reason = self._decide(owner, rows.get(owner.key), registrations)
            if enabled:
                allowed.append((contact, owner))
            else:
                suppressed.append((contact, reason))
        return allowed, suppressed

    def delivery_choices(self, owners) -> dict:
        """``{owner key: delivery}`` for owners whose deciding row chooses how
        they receive it ("immediately", "daily", "weekly"; see
        :mod:`django_vox.digests.holding`).  Uses the rows the last
        :meth:`split` loaded for the batch: no query.  Required notifications
        ignore preferences: they are sent as the template says."""
        if self.notification.required:
            return {}
        rows = getattr(self, "_batch_rows", None)
        if rows is None:
            rows = self._rows_for(owners)
        choices = {}
        for owner in owners:
            owned = rows.get(owner.key)
            best = best_row(owned, self.notification.pk, self.protocol) if owned else None
            if best is not None and best.delivery:
                choices[owner.key] = best.delivery
        return choices

    def _decide(self, owner, owned, registrations):
        """``(enabled, reason it is off)`` for one owner with its rows ``owned``."""
        best = best_row(owned, self.notification.pk, self.protocol) if owned else None
        if best is not None:
            return best.enabled, (f"Suppressed: the recipient turned this off "
                                  f"(preference {best.pk}: {_scope(best)}).")
        enabled = default_choice(owner, self.notification, self.protocol, registrations)
        return enabled, "Suppressed: off by default for this recipient (no preference set)."


def _by_owner(rows):
    grouped = {}
    for row in rows:
        grouped.setdefault(_owner_of_row(row), []).append(row)
    return grouped


def _applicable_rows(notification, protocol, limit):
    """Up to ``limit`` Preference rows, of any owner, that can apply (ONE query)."""
    return list(Preference.objects.filter(
        Q(notification=notification) | Q(notification__isnull=True),
        Q(protocol=protocol) | Q(protocol=""),
    ).order_by()[:limit])


def _scope(pref):
    what = "this notification" if pref.notification_id else "every notification"
    how = f"by {pref.protocol}" if pref.protocol else "on every protocol"
    return f"{what} {how}"


def set_preference(owner: Owner, notification, protocol: str, enabled: bool,
                   delivery: str | None = None):
    """Create or update the owner's row for exactly (notification, protocol);
    ``delivery`` ("", "immediately", "daily", "weekly"), when given, too."""
    if not owner.content_type_id and protocol != owner.protocol:
        raise ValueError(f"An address owner's preference must be for its protocol "
                         f"{owner.protocol!r}, not {protocol!r}.")
    fields = owner.row_fields()
    row, _created = Preference.objects.update_or_create(
        notification=notification, protocol=protocol, **fields,
        defaults={"enabled": bool(enabled),
                  **({} if delivery is None else {"delivery": delivery})})
    return row
