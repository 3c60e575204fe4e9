"""What every email backend sending through Django's mail framework shares.

One issue opens one Django mail connection (whatever ``EMAIL_BACKEND`` or
``MAILERS`` configure: SMTP, console, locmem, django-anymail...) and sends
all its messages over it.  SMTP and socket failures become send errors:
transient for refused/reset connections, timeouts and SMTP 4xx answers,
permanent for SMTP 5xx answers and bad addresses, carrying the server's code
and text.
"""

import html
import logging
import re
import smtplib
import ssl
from collections.abc import Sequence
from email.utils import make_msgid, parseaddr
from typing import Any

from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.utils import DNS_NAME
from django.core.validators import validate_email

from django_vox import conf
from django_vox.backends.base import Backend
from django_vox.exceptions import (
    InvalidAddress,
    PermanentSendError,
    SendError,
    TransientSendError,
)
from django_vox.messages import Message
from django_vox.templating import rendering

__all__ = ["EmailBackend", "get_mail_connection", "sent_message_id", "smtp_error",
           "validate_email_address"]

logger = logging.getLogger("django_vox")

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_HEADER_NAME = re.compile(r"^[!-9;-~]+$")  # RFC 5322 field name: printable, no colon
# A bare dot-atom address (user@example.org): parseaddr() returns it unchanged,
# so validating one skips the parser (half the cost of validating a fan-out).
_ATEXT = "A-Za-z0-9!#$%&'*+/=?^_`{|}~-"
_BARE_ADDRESS = re.compile(rf"[{_ATEXT}]+(?:\.[{_ATEXT}]+)*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*")


def get_mail_connection() -> BaseEmailBackend:
    """A new, unopened Django email backend instance.

    Django 6.1 configures mail with ``MAILERS``; there the alias named by
    ``DJANGO_VOX_EMAIL_MAILER`` is used (``get_connection`` is deprecated).
    """
    mailers = getattr(mail, "mailers", None)
    if mailers is not None:
        mailer: BaseEmailBackend = mailers[conf.get("DJANGO_VOX_EMAIL_MAILER")]
        return mailer
    return mail.get_connection()


def _reply_text(reply: object) -> str:
    if isinstance(reply, bytes):
        return reply.decode("utf-8", "replace")
    return str(reply)


def smtp_error(err: BaseException, what: str) -> SendError:
    """Turn an smtplib or socket error into a transient or permanent send error."""
    if isinstance(err, smtplib.SMTPRecipientsRefused):
        answers = list(err.recipients.values())
        code, reply = answers[0] if answers else (None, b"")
        refused = ", ".join(err.recipients)
        transient = any(400 <= answer[0] < 500 for answer in answers)
        error: type[SendError] = TransientSendError if transient else PermanentSendError
        return error(f"{what}: the server refused the recipient(s) {refused}",
                     code=code, body=_reply_text(reply))
    if isinstance(err, smtplib.SMTPResponseException):
        error = TransientSendError if 400 <= err.smtp_code < 500 else PermanentSendError
        return error(f"{what}: the SMTP server answered {err.smtp_code}",
                     code=err.smtp_code, body=_reply_text(err.smtp_error))
    if isinstance(err, smtplib.SMTPServerDisconnected):
        return TransientSendError(f"{what}: the SMTP server disconnected ({err})")
    if isinstance(err, ssl.SSLCertVerificationError):
        return PermanentSendError(f"{what}: TLS certificate verification failed ({err})")
    if isinstance(err, TimeoutError):
        return TransientSendError(f"{what}: timed out")
    if isinstance(err, OSError):  # refused, reset, unreachable, DNS
        return TransientSendError(f"{what}: {type(err).__name__}: {err}")
    return PermanentSendError(f"{what}: {type(err).__name__}: {err}")


def validate_email_address(address: str, protocol: str = "email") -> None:
    """Raise InvalidAddress unless ``address`` is one email address (optionally with a name)."""
    if not isinstance(address, str) or _CONTROL.search(address):
        raise InvalidAddress(address, "line breaks are not allowed (nor other control characters)",
                             protocol=protocol)
    addr = address if _BARE_ADDRESS.fullmatch(address) else parseaddr(address)[1]
    try:
        validate_email(addr)
    except ValidationError:
        raise InvalidAddress(address, "not an email address", protocol=protocol) from None


def format_from_address(value: str) -> str:
    """``Name <addr>`` with the name quoted, so a rendered display name holding
    ``:``, ``<`` or quotes (user data) still makes one valid address."""
    value = rendering.fold_header(value)
    if value.endswith(">") and "<" in value:
        name, addr = value[:-1].rsplit("<", 1)
        name = name.strip().strip('"').strip()
        if name:
            # A quoted string (not an encoded word): Django 5.2 and 6.x both
            # encode it correctly, and no character of the name is syntax.
            quoted = name.replace("\\", "\\\\").replace('"', '\\"')
            return f'"{quoted}" <{addr.strip()}>'
    return value


def _set_message_id(email: mail.EmailMessage, connection: Any) -> None:
    """Give ``email`` a Message-ID now, not left to Django (which makes one
    while sending and forgets it): it is recorded on the delivery, and a
    provider's events name it.  Not through django-anymail, whose ESP gives
    its own id (``anymail_status``) and may refuse a Message-ID header."""
    if type(connection).__module__.startswith("anymail."):
        return
    if not any(name.lower() == "message-id" for name in email.extra_headers):
        email.extra_headers["Message-ID"] = make_msgid(domain=DNS_NAME)


def sent_message_id(email: mail.EmailMessage) -> str:
    """The id of a sent email: the ESP's when django-anymail sent it
    (``anymail_status.message_id``; with several, the first recipient's), else
    its ``Message-ID`` header without the angle brackets."""
    status = getattr(email, "anymail_status", None)
    found = getattr(status, "message_id", None)
    if isinstance(found, (set, frozenset)):
        recipients = getattr(status, "recipients", None) or {}
        first = next(iter(recipients.values()), None)
        found = getattr(first, "message_id", None) or (sorted(found)[0] if found else None)
    if not found:
        found = email.extra_headers.get("Message-ID", "")
    return str(found).strip().strip("<>")


def _clean_filename(name: str) -> str:
    folded: str = rendering.fold_header(name)
    name = folded.replace("/", "_").replace("\\", "_")
    return name or "attachment"


class EmailBackend(Backend):
    """Base of the backends that hand email to Django's mail framework."""

    PROTOCOL = "email"
    USE_SUBJECT = True
    USE_ATTACHMENTS = True
    USE_FROM_ADDRESS = True
    TRANSPORT_ERRORS = (smtplib.SMTPException, OSError)

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.connection: BaseEmailBackend | None = None

    # -- lifecycle ------------------------------------------------------------
    def open(self) -> bool:
        """Open one mail connection for every message until close()."""
        if self.is_open:
            return False
        self._connect()
        self.is_open = True
        return True

    def close(self) -> None:
        self._disconnect()
        self.is_open = False

    def _connect(self) -> BaseEmailBackend:
        connection = get_mail_connection()
        try:
            connection.open()
        except (smtplib.SMTPException, OSError) as err:
            raise smtp_error(err, "Connecting to the mail server") from err
        self.connection = connection
        return connection

    def _disconnect(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None:
            try:
                connection.close()
            except (smtplib.SMTPException, OSError) as err:
                logger.warning("Closing the mail connection failed: %s", err)

    # -- building -------------------------------------------------------------
    def get_default_from_address(self) -> str:
        address: str = settings.DEFAULT_FROM_EMAIL
        return address

    def format_preview(self, message: Message) -> str:
        """The subject, then the HTML part in a sandboxed frame (or the text)."""
        parts = [f'<p class="vox-subject"><strong>{html.escape(message.subject)}</strong></p>']
        if message.html:
            parts.append('<iframe class="vox-html" sandbox="" referrerpolicy="no-referrer" '
                         f'style="width:100%;min-height:24em;border:1px solid #ccc" '
                         f'srcdoc="{html.escape(message.html, quote=True)}"></iframe>')
        if message.text:
            parts.append(f'<pre class="vox-text">{html.escape(message.text)}</pre>')
        for attachment in message.attachments:
            parts.append(f'<p class="vox-attachment">{html.escape(attachment.filename)} '
                         f'({html.escape(attachment.mimetype)})</p>')
        return "\n".join(parts)

    # -- sending --------------------------------------------------------------
    def validate_address(self, address: str) -> None:
        validate_email_address(address, self.PROTOCOL)

    def make_email(self, from_address: str, to_addresses: Sequence[str],
                   message: Message) -> mail.EmailMultiAlternatives:
        """The Django EmailMultiAlternatives for ``message``."""
        headers: dict[str, str] = {}
        for name, value in (message.headers or {}).items():
            if not _HEADER_NAME.match(str(name)):
                raise PermanentSendError(f"Invalid email header name {name!r}")
            headers[str(name)] = rendering.fold_header(str(value))
        email = mail.EmailMultiAlternatives(
            subject=rendering.fold_header(message.subject),
            body=message.text or "",
            from_email=format_from_address(from_address) or self.get_default_from_address(),
            to=list(to_addresses),
            headers=headers,
        )
        if message.html and message.text:
            email.attach_alternative(message.html, "text/html")
        elif message.html:  # HTML only: one text/html body, no empty text part (as 4.x)
            email.body, email.content_subtype = message.html, "html"
        for attachment in message.attachments:
            email.attach(_clean_filename(attachment.filename), attachment.content,
                         attachment.mimetype or "application/octet-stream")
        return email

    def deliver(self, address: str, message: Message) -> str:
        return self._send_email(message.from_address, [address], message)

    def send_message(self, from_address: str, to_addresses: Sequence[str],
                     message: Message) -> str | None:
        """Send one email to all of ``to_addresses`` over the open connection.

        Outside ``open()``/``close()`` a connection is opened for this email
        only.  After a transient failure the connection is dropped and the next
        email reconnects.
        """
        self._require_message("send_message", message)
        for address in to_addresses:
            self.validate_address(address)
        with self.delivering(", ".join(to_addresses)):
            return self._send_email(from_address or message.from_address, to_addresses,
                                    message)

    def _send_email(self, from_address: str, to_addresses: Sequence[str],
                    message: Message) -> str:
        connection = self.connection if self.connection is not None else self._connect()
        try:
            email = self.make_email(from_address, to_addresses, message)
            _set_message_id(email, connection)
            sent = connection.send_messages([email])
        except ValueError as err:  # Django's refusal of a bad address or header
            raise PermanentSendError(f"Email to {', '.join(to_addresses)} refused: {err}") \
                from err
        if sent == 0:
            raise PermanentSendError(f"The mail backend sent nothing to {', '.join(to_addresses)}")
        return sent_message_id(email)

    def map_transport_error(self, err: BaseException, what: str) -> SendError:
        """SMTP and socket errors (see :func:`smtp_error`); a transient one
        drops the connection so that the next email reconnects."""
        error = smtp_error(err, f"Sending email to {what}")
        if error.transient:
            self._disconnect()
        return error
