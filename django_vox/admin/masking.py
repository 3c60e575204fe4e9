"""What the delivery log's admin hides from those who may not read message bodies.

Reading stored messages unmasked needs ``django_vox.view_delivery_content``
(:data:`CONTENT_PERMISSION`).  For everyone else the admin's delivery page and
list show each message with these parts replaced by :data:`HIDDEN` (the stored
message stays intact, so a resend sends the original):

* the values of the variables a registration declares secret
  (``TemplateVariable(..., secret=True)``), recorded with the message;
* **links carrying a token**: every ``http``/``https`` URL that has
  - a query parameter whose name marks a secret (as for fields:
    ``token``, ``key``, ``signature``, ``secret``, ``hash``, ``otp``... see
    :func:`django_vox.templating.rules.is_sensitive_name`, plus ``sig``,
    ``code`` and ``auth``), or
  - a path segment or query value that looks random: split at ``-``, ``_``,
    ``.`` and ``~``, a piece of at least :data:`RANDOM_PIECE` characters
    mixing letters and digits, or text holding a ``:`` between such
    characters (Django's signed values).  Django's own signed links
    (django-vox's unsubscribe and preferences links, password resets) are
    all of this kind.

  Such a link keeps its scheme and host (``https://example.org/…``) so the
  reader still sees where it went.  Relative links are masked by the same
  rule where they can be told apart: an HTML ``href``/``src`` address
  (the in-app backend's bodies) and a link on its own (an in-app message's,
  its ``link`` in the message's data).

What providers report about a message (``DeliveryEvent.payload`` and
``description``, :mod:`django_vox.tracking`) can echo it: Postmark's bounces
carry its ``Subject`` and ``Content``, Mailgun's events its headers, a click
the link clicked.  :func:`masked_payload` hides the values of the keys that
echo the message (:data:`ECHO_KEYS`) or name a secret, and masks every other
text as above.

The admin of what backends stored themselves (in-app messages, activities
and inbox items) masks their content by the same rule, with the secret
values :func:`logged_secrets` finds on the log rows of the same messages:
those whose provider message id is the stored row's key.
"""

import html
import re
from urllib.parse import parse_qsl, urlsplit

from django.utils.translation import gettext as _

from django_vox.issuing.context import SECRET_VALUES
from django_vox.models import Delivery
from django_vox.templating.rules import is_sensitive_name
from django_vox.templating.sandbox import HIDDEN

__all__ = ["CONTENT_PERMISSION", "ECHO_KEYS", "HIDDEN", "RANDOM_PIECE", "SECRET_VALUES",
           "may_read", "masked_message", "masked_text", "masked_link", "masked_data",
           "masked_payload", "masked_note", "carries_token", "logged_secrets"]

CONTENT_PERMISSION = "django_vox.view_delivery_content"

#: Characters of a piece of a path segment that make it look random.
RANDOM_PIECE = 12

#: Keys of a provider's event payload whose values echo the message itself,
#: compared in lower case without ``-`` and ``_``: Postmark's ``Subject`` and
#: ``Content``; Mailgun's, Amazon SES's and Mandrill's headers and subject;
#: the body of a message a provider quotes.
ECHO_KEYS = frozenset({"subject", "content", "body", "html", "text", "textbody", "htmlbody",
                       "headers", "commonheaders", "rawmessage"})

_URL = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
_RELATIVE = re.compile(r"""(\s(?:href|src)\s*=\s*)(["'])(/[^"'<>\s]*)\2""", re.IGNORECASE)
_LONE_PATH = re.compile(r"/[^\s<>\"'`]*")
_TOKEN_NAMES = frozenset({"sig", "code", "auth"})
_PIECES = re.compile(r"[-_.~]")
_SIGNED = re.compile(r"[A-Za-z0-9_-]{4,}:[A-Za-z0-9_-]{4,}")


def may_read(user) -> bool:
    """Whether ``user`` may read stored messages unmasked."""
    return user.has_perm(CONTENT_PERMISSION)


def _looks_random(text: str) -> bool:
    if _SIGNED.search(text):
        return True
    return any(len(piece) >= RANDOM_PIECE and any(c.isdigit() for c in piece)
               and any(c.isalpha() for c in piece) for piece in _PIECES.split(text))


def carries_token(url: str) -> bool:
    """Whether ``url`` is a link carrying a token (see the module)."""
    try:
        parts = urlsplit(html.unescape(url))
    except ValueError:
        return True  # not even a URL we can read: hide it rather than guess
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if name.lower() in _TOKEN_NAMES or is_sensitive_name(name) or _looks_random(value):
            return True
    return any(_looks_random(segment) for segment in parts.path.split("/"))


def _hidden_link(url: str) -> str:
    """``url`` cut to its scheme and host, then :data:`HIDDEN`."""
    try:
        parts = urlsplit(html.unescape(url))
    except ValueError:
        return HIDDEN
    if parts.scheme and parts.netloc:
        return f"{parts.scheme}://{parts.netloc}/… {HIDDEN}"
    return f"//{parts.netloc}/… {HIDDEN}" if parts.netloc else f"/… {HIDDEN}"


def _mask_url(match) -> str:
    url = match.group(0)
    return _hidden_link(url) if carries_token(url) else url


def _mask_relative(match) -> str:
    url = match.group(3)
    if not carries_token(url):
        return match.group(0)
    return f"{match.group(1)}{match.group(2)}{_hidden_link(url)}{match.group(2)}"


def _without_secrets(text: str, secrets) -> str:
    for value in sorted(secrets, key=len, reverse=True):
        for form in {value, html.escape(value)}:
            text = text.replace(form, HIDDEN)
    return text


def masked_text(text: str, secrets=()) -> str:
    """``text`` with the ``secrets`` (and their HTML-escaped forms) and links
    carrying a token replaced (see the module)."""
    if not text:
        return text
    text = _URL.sub(_mask_url, _without_secrets(text, secrets))
    return _RELATIVE.sub(_mask_relative, text)


def masked_link(url: str, secrets=()) -> str:
    """One link, absolute or relative (an in-app message's), masked as a
    link in :func:`masked_text` is."""
    if not url:
        return url
    url = _without_secrets(url, secrets)
    return _hidden_link(url) if carries_token(url) else url


def _masked_string(value: str, secrets) -> str:
    """A text of a message's data or a provider's payload: one relative
    address on its own (the in-app backend's ``link``) is masked as a link."""
    if _LONE_PATH.fullmatch(value):
        return masked_link(value, secrets)
    return masked_text(value, secrets)


def masked_data(value, secrets=(), hides=None):
    """A copy of structured data (a message's ``data``, an activity's AS2
    document): every text in it masked as by :func:`masked_text`, a relative
    address on its own as a link; the value of a key ``hides(key)`` is true
    for hidden whole (when it is not empty)."""
    if isinstance(value, str):
        return _masked_string(value, secrets)
    if isinstance(value, list):
        return [masked_data(item, secrets, hides) for item in value]
    if isinstance(value, dict):
        return {key: HIDDEN if hides is not None and hides(key) and item not in (None, "")
                else masked_data(item, secrets, hides) for key, item in value.items()}
    return value


def _echoes(key) -> bool:
    name = str(key)
    return (name.lower().replace("-", "").replace("_", "") in ECHO_KEYS
            or is_sensitive_name(name))


def masked_payload(payload, secrets=()):
    """A copy of what a provider reported (``DeliveryEvent.payload``) for those
    who may not read messages: the values of keys that echo the message
    (:data:`ECHO_KEYS`) or name a secret hidden whole, other texts masked as
    by :func:`masked_text`; a payload stored as text hidden whole, and the
    ``text`` of one cut to the payload limit (their parts cannot be told apart)."""
    if isinstance(payload, str):
        return HIDDEN if payload else payload
    return masked_data(payload, secrets, hides=_echoes)


def masked_message(message: dict) -> dict:
    """A copy of a stored message (``Delivery.message``) for those who may not
    read it: subject, text, HTML, data and headers masked; attachments
    reduced to their names."""
    message = message or {}
    secrets = [value for value in message.get(SECRET_VALUES) or [] if value]
    result = {key: masked_data(message.get(key), secrets)
              for key in ("subject", "text", "html", "data", "headers")}
    result["attachments"] = [{"filename": masked_text(a.get("filename", ""), secrets)}
                             for a in message.get("attachments") or []]
    result["masked"] = True
    return result


def logged_secrets(ids) -> dict[str, set[str]]:
    """``{id: secret values}`` the delivery log recorded for the messages
    whose provider message ids are ``ids`` (one query, on the indexed
    ``Delivery.provider_message_id``; the rows sharing an id pool theirs).
    An id no log row has is left out: its secrets are not known."""
    ids = sorted({str(value) for value in ids})
    found: dict[str, set[str]] = {}
    if not ids:
        return found
    rows = (Delivery.objects.filter(provider_message_id__in=ids).order_by()
            .values_list("provider_message_id", f"message__{SECRET_VALUES}"))
    for key, values in rows:
        found.setdefault(str(key), set()).update(
            value for value in values or () if isinstance(value, str) and value)
    return found


def masked_note() -> str:
    """The words the delivery page shows above a masked message."""
    return _("Links carrying a token and secret values are hidden: reading messages "
             "unmasked needs the “Can read the stored messages of deliveries unmasked” "
             "permission.")
