"""The in-app backend: notifications shown inside the site, under a bell.

Its protocol is ``inapp`` and an address is a user's primary key (as text):
a registration gives its users in-app contacts with
:class:`django_vox.inapp.contacts.InAppUserContacts` or
:func:`django_vox.inapp.contacts.user_contact`.  Like the activity backend it
has no remote service: storing an :class:`~django_vox.inapp.models.InAppMessage`
row per user *is* the delivery, and the issuing pipeline logs and records it
as for any backend (preferences, digests and the delivery log apply).

The subject is the message's title; the content is Markdown, rendered to
sanitized HTML (:mod:`django_vox.inapp.markup`).  The link is the object's
``get_absolute_url()`` when it has one.  ``send_many`` stores a whole batch
of individual messages in a fixed number of queries (:mod:`django_vox.inapp.store`),
so a fan-out to 10,000 users costs the same few statements per batch as one
to ten.
"""

from __future__ import annotations

import html
import uuid
from collections.abc import Sequence

from django.db import DatabaseError
from django.utils.translation import gettext_lazy as _

from django_vox.backends.base import Backend as BaseBackend
from django_vox.exceptions import InvalidAddress, PermanentSendError, SendError
from django_vox.inapp import markup, store
from django_vox.messages import Message
from django_vox.templating.sandbox import live_values

__all__ = ["Backend", "SEND_MANY_LIMIT"]

#: Messages stored per ``send_many`` call (the issue's batch size caps it too).
SEND_MANY_LIMIT = 10_000
TITLE_LENGTH = 255


def _label(instance) -> str | None:
    meta = getattr(instance, "_meta", None)
    if meta is None or getattr(instance, "pk", None) is None:
        return None
    return f"{meta.app_label}.{meta.model_name}"


def _ref(instance) -> list | None:
    label = _label(instance)
    return [label, str(instance.pk)] if label else None


def _link(instance) -> str:
    get_url = getattr(instance, "get_absolute_url", None)
    if not callable(get_url):
        return ""
    try:
        url = str(get_url())
    except Exception:  # noqa: BLE001 - a model's URL method failing leaves the link out
        return ""
    return url if markup.safe_url(url) else ""


class Backend(BaseBackend):
    ID = "inapp"
    PROTOCOL = "inapp"
    VERBOSE_NAME = _("In-app (bell)")
    USE_SUBJECT = True
    ESCAPE_HTML = True
    EDITOR_TYPE = "markdown"
    ALLOW_MANUAL_SENDING = True
    SEND_MANY_LIMIT = SEND_MANY_LIMIT
    TRANSPORT_ERRORS = (DatabaseError,)
    #: Shown under the content box in the admin.
    CONTENT_HELP = _("Markdown: **bold**, *italic*, [a link](https://example.org). The subject "
                     "is the title. HTML typed here is shown as text.")

    def __init__(self, **options):
        super().__init__(**options)
        self._markdown = None  # made once, for every message this instance builds

    # -- building (no database writes) -------------------------------------
    def build_message(self, subject, body, parameters, attachments=()):
        live = live_values(parameters)
        notification = live.get("notification")
        obj = live.get("object")
        title = self.render_subject(subject, parameters)
        if len(title) > TITLE_LENGTH:
            title = title[:TITLE_LENGTH - 1] + "…"
        return Message(
            subject=title,
            html=markup.render_body(body, parameters, self.markdown()),
            data={"key": str(uuid.uuid4()), "link": _link(obj),
                  "notification": getattr(notification, "pk", None)
                  if _label(notification) == "django_vox.notification" else None,
                  "object": _ref(obj), "actor": _ref(live.get("actor")),
                  "target": _ref(live.get("target"))})

    def markdown(self):
        """This instance's Markdown converter (None without the ``markdown`` extra)."""
        if self._markdown is None and markup.markdown_available():
            self._markdown = markup.make_markdown()
        return self._markdown

    def format_preview(self, message):
        link = (message.data or {}).get("link") or ""
        parts = [f'<p class="vox-subject"><strong>{html.escape(message.subject)}</strong></p>',
                 '<iframe class="vox-html" sandbox="" referrerpolicy="no-referrer" '
                 'style="width:100%;min-height:12em;border:1px solid #ccc" '
                 f'srcdoc="{html.escape(message.html or "", quote=True)}"></iframe>']
        if link:
            parts.append(f'<p class="vox-link">{html.escape(link)}</p>')
        return "\n".join(parts)

    # -- sending (stores rows) ----------------------------------------------
    def validate_address(self, address):
        try:
            store.user_pk(address)
        except ValueError as err:
            raise InvalidAddress(address, f"not a user's primary key ({err})",
                                 protocol=self.PROTOCOL) from None

    def deliver(self, address, message):
        return self._raise_first(self.send_many([(address, message)]))

    def send_message(self, from_address, to_addresses, message):
        """One row per user (a bulk template): the same statements as ``send_many``."""
        return self._raise_first(self.send_many([(address, message)
                                                 for address in to_addresses]))

    @staticmethod
    def _raise_first(results: Sequence) -> str | None:
        """The first error raised, else the message's key (its provider id)."""
        errors = [result for result in results if isinstance(result, BaseException)]
        if errors:
            raise errors[0]
        return next((result for result in results if result), None)

    def send_many(self, items):
        """Store ``[(address, message)]``; one result per item: the message's
        key when stored.  The key is what the delivery log records as the
        provider's message id, so a row of the in-app list finds its log row
        by an indexed column (the admin's masking does).

        An address that is not a user's key fails that item with
        :class:`~django_vox.exceptions.InvalidAddress`; a database error
        fails the whole batch (transient: a later try may get through).
        """
        results: list = [None] * len(items)
        wanted = []
        for index, (address, message) in enumerate(items):
            try:
                self.validate_address(address)
                self._check(message)
            except SendError as err:
                results[index] = err
                continue
            wanted.append((index, store.user_pk(address), message.data, message))
        if not wanted:
            return results
        try:
            with self.delivering(f"{len(wanted)} users"):
                self._store(wanted, results, items)
        except SendError as err:
            for index, *_rest in wanted:
                results[index] = results[index] or err
        return results

    @staticmethod
    def _check(message):
        data = message.data or {}
        try:
            uuid.UUID(str(data.get("key")))
        except ValueError:
            raise PermanentSendError("The message holds no in-app key (was it built by the "
                                     "in-app backend?)") from None

    def _store(self, wanted, results, items):
        users = store.existing_users({pk for _index, pk, _data, _message in wanted})
        notifications = store.existing_notifications(
            data.get("notification") for _index, _pk, data, _message in wanted)
        rows = []
        for index, pk, data, message in wanted:
            if pk not in users:
                results[index] = InvalidAddress(items[index][0], "no user has this key",
                                                protocol=self.PROTOCOL)
                continue
            rows.append(self._row(pk, data, message, notifications))
        store.insert(rows)
        for index, _pk, data, _message in wanted:
            results[index] = results[index] or str(data["key"])

    @staticmethod
    def _row(pk, data, message, notifications) -> store.Row:
        refs = {}
        for role in ("object", "actor", "target"):
            ref = data.get(role)
            if isinstance(ref, list) and len(ref) == 2:
                refs[f"{role}_type_id"] = store.content_type_id(ref[0])
                refs[f"{role}_id"] = str(ref[1]) if refs[f"{role}_type_id"] else ""
        notification = data.get("notification")
        return store.Row(user_id=pk, key=uuid.UUID(str(data["key"])),
                         notification_id=notification if notification in notifications else None,
                         title=message.subject[:TITLE_LENGTH], body=message.html or "",
                         link=str(data.get("link") or "")[:2000], **refs)
