"""Holding messages for a digest: digest windows, delivery choices, throttling.

A message that is not sent at once is written to the delivery log with
status *held*, a digest key (template id / protocol:address) and the time its
window closes (``digest_due``); :mod:`django_vox.digests` folds the held rows
of each key into one message when that time has come.  Nothing is kept in
memory.

Whether a message is held depends on, in this order: the recipient's
delivery choice (a Preference's ``delivery``: immediately, daily or weekly
digest, when the template allows digests), the template's delivery mode
(immediately, digest, or immediately then digest while busy), and the
recipient limit (the template's ``recipient_limit``, else
``DJANGO_VOX_RECIPIENT_LIMIT``): messages to one contact beyond it are held.
A required notification (a security notice, a password reset) is never held
by the recipient limit: whoever can make a site send a victim a few messages
must not be able to delay the one that matters.
Each decision costs at most two queries per batch of contacts.
"""

import datetime
from typing import NamedTuple

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Count
from django.utils import timezone

from django_vox import conf
from django_vox.models import Delivery, Template
from django_vox.pacing import ratelimit

__all__ = ["Hold", "Holder", "contact_key", "digest_key", "parse_limit", "window", "window_for"]

SETTING = "DJANGO_VOX_RECIPIENT_LIMIT"
UTC = datetime.timezone.utc
#: The statuses that count as messages a contact received (for busy and limits).
COUNTED = (Delivery.SENT, Delivery.QUEUED, Delivery.FAILED)


class Hold(NamedTuple):
    """Why and until when a message is held: ``window`` is hourly, daily,
    weekly or "limit" (the recipient limit)."""

    due: datetime.datetime
    window: str


def contact_key(protocol: str, address: str) -> str:
    return f"{protocol}:{address}"


def digest_key(template_id, protocol: str, address: str) -> str:
    return f"{template_id}/{contact_key(protocol, address)}"


def parse_limit(value, where: str = SETTING):
    """``"5/h"`` as a :class:`django_vox.pacing.ratelimit.Rate`; None for blank values."""
    if value in (None, ""):
        return None
    try:
        return ratelimit.parse_rate(value)
    except ImproperlyConfigured:
        raise ImproperlyConfigured(
            f"{where} must be a rate such as '5/h' or '20/m' (a whole number of at least 1 "
            f"per s, m or h, or per 10m, 24h...), not {value!r}.") from None


def _local_at(day: datetime.date, at: datetime.time, tz) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, at), tz)


def window(kind: str, now: datetime.datetime, *, at: datetime.time = datetime.time(8),
           weekday: int = 0) -> tuple:
    """``(start, end)`` of the ``kind`` window (hourly, daily, weekly) holding
    ``now``, in the site's time zone (TIME_ZONE); a window ends at ``at`` (on
    ``weekday``, Monday = 0, for weekly ones) and starts one period earlier.
    The moments are UTC instants (arithmetic on local times is wall-clock
    arithmetic): an hourly window is one real hour in every zone, across both
    changes of summer time; daily and weekly ones end at ``at`` local time (so
    a day across a change lasts 23 or 25 hours)."""
    if timezone.is_naive(now):  # USE_TZ = False: naive local times throughout
        aware = window(kind, timezone.make_aware(now), at=at, weekday=weekday)
        return tuple(timezone.make_naive(moment) for moment in aware)
    tz = timezone.get_default_timezone()
    local = timezone.localtime(now, tz)
    if kind == Template.HOURLY:
        # One real hour: computed on the UTC instant, since adding an hour to a
        # local time is wall-clock arithmetic (two hours across the end of summer time).
        start = local.replace(minute=0, second=0, microsecond=0).astimezone(UTC)
        return start, start + datetime.timedelta(hours=1)
    days = 7 if kind == Template.WEEKLY else 1
    day = local.date()
    if kind == Template.WEEKLY:
        day += datetime.timedelta(days=(weekday - day.weekday()) % 7)
    end = _local_at(day, at, tz)
    if end <= now:
        end = _local_at(day + datetime.timedelta(days=days), at, tz)
    start_day = timezone.localtime(end, tz).date() - datetime.timedelta(days=days)
    return _local_at(start_day, at, tz).astimezone(UTC), end.astimezone(UTC)


def window_for(template, now, kind: str | None = None) -> tuple:
    """The window of ``template`` (or of ``kind`` at the template's time and day)."""
    return window(kind or template.digest_window, now, at=template.digest_time,
                  weekday=template.digest_weekday)


def _rate_end(rate, now):
    """The end of the fixed period of ``rate`` holding ``now`` (from the epoch)."""
    aware = timezone.make_aware(now) if timezone.is_naive(now) else now
    end = (int(aware.timestamp() // rate.seconds) + 1) * rate.seconds
    moment = datetime.datetime.fromtimestamp(end, tz=datetime.timezone.utc)
    return timezone.make_naive(moment) if timezone.is_naive(now) else moment


class Holder:
    """Decides, a batch of contacts at a time, which messages of one template
    go out now and which are held (and until when)."""

    def __init__(self, template, protocol: str, now: datetime.datetime | None = None, *,
                 required: bool = False):
        self.template = template
        self.protocol = protocol
        self.now = now or timezone.now()
        self.mode = template.delivery_mode
        own = template.recipient_limit
        self.limit = parse_limit(own or conf.get(SETTING),
                                 f"The recipient limit of template {template.pk}" if own
                                 else SETTING)
        self.per_template = bool(own)
        if required:  # never held by the recipient limit (see the module)
            self.limit = None

    def due_of_choice(self, choice: str):
        """When a message is due under a recipient's ``choice`` (None: now;
        "" follows the template's mode, busy decided later)."""
        if choice in (Template.DAILY, Template.WEEKLY) and self.template.digest_allowed():
            return Hold(window_for(self.template, self.now, choice)[1], choice)
        if choice == "immediately" or self.mode == Template.IMMEDIATELY:
            return None
        return self._template_hold()

    def _template_hold(self) -> Hold:
        return Hold(window_for(self.template, self.now)[1], self.template.digest_window)

    def plan(self, contacts: list, choices: dict) -> list:
        """``[Hold or None]`` per contact (``[(contact, owner)]``); ``choices``
        maps owner keys to delivery choices."""
        dues = []
        for _contact, owner in contacts:
            choice = choices.get(getattr(owner, "key", None), "")
            dues.append("busy" if self.mode == Template.BUSY and not choice
                         else self.due_of_choice(choice))
        busy = [i for i, due in enumerate(dues) if due == "busy"]
        if busy:
            self._decide_busy(contacts, dues, busy)
        if self.limit is not None:
            self._throttle(contacts, dues)
        return dues

    def _key(self, contact):
        return digest_key(self.template.pk, self.protocol, contact.address)

    def _decide_busy(self, contacts, dues, indexes):
        """Busy mode: the first message of a window goes now, later ones are held."""
        start, _end = window_for(self.template, self.now)
        keys = {self._key(contacts[i][0]) for i in indexes}
        seen = set(Delivery.objects.filter(
            digest_key__in=keys, created_at__gte=start,
            status__in=COUNTED + (Delivery.HELD, Delivery.DIGESTED)).values_list(
            "digest_key", flat=True).distinct())
        for i in indexes:
            dues[i] = self._template_hold() if self._key(contacts[i][0]) in seen else None

    def _throttle(self, contacts, dues):
        """Hold messages beyond the recipient limit (one query for the batch)."""
        rate = self.limit
        keys = {contact_key(self.protocol, contact.address)
                for (contact, _owner), due in zip(contacts, dues) if due is None}
        if not keys:
            return
        rows = Delivery.objects.filter(
            contact_key__in=keys, status__in=COUNTED,
            created_at__gt=self.now - datetime.timedelta(seconds=rate.seconds))
        if self.per_template:
            rows = rows.filter(template=self.template)
        counts = dict(rows.values_list("contact_key").annotate(n=Count("pk")).order_by())
        end = None
        for i, ((contact, _owner), due) in enumerate(zip(contacts, dues)):
            key = contact_key(self.protocol, contact.address)
            if due is None and counts.get(key, 0) >= rate.count:
                if end is None:
                    end = (self._template_hold() if self.mode != Template.IMMEDIATELY
                           else Hold(_rate_end(rate, self.now), "limit"))
                dues[i] = end
            elif due is None:
                counts[key] = counts.get(key, 0) + 1

    def row_fields(self, contact, hold, *, actor=None, target=None, locale=None) -> dict:
        """The delivery log fields of the message to ``contact`` (held with a
        ``hold``; its digest is written in ``locale``, the recipient's)."""
        fields = {"contact_key": contact_key(self.protocol, contact.address),
                  "digest_key": self._key(contact)}
        if hold is not None:
            fields.update(status=Delivery.HELD, digest_due=hold.due, digest_data={
                "window": hold.window, "contact": [contact.name, contact.protocol,
                                                   contact.address],
                "owner": ref(contact.obj), "actor": ref(actor), "target": ref(target)})
            if locale is not None:
                fields["digest_data"]["locale"] = [locale.language, locale.timezone]
        return fields


def ref(instance) -> list | None:
    """``[app_label, model_name, pk]`` of a saved model instance, else None."""
    meta = getattr(instance, "_meta", None)
    if meta is None or getattr(instance, "pk", None) is None:
        return None
    pk = instance.pk
    return [meta.app_label, meta.model_name, pk if isinstance(pk, (int, str)) else str(pk)]
