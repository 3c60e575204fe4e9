"""Signed links: unsubscribe (RFC 8058 one-click) and the preferences page.

Links carry a token made with :mod:`django.core.signing` (salted per use):
it names the owner, the notification and the protocol, so the views need no
login and never look anything up by an id a visitor could guess.
"""

import logging

from django.core import signing
from django.core.exceptions import ObjectDoesNotExist
from django.urls import NoReverseMatch, reverse

from django_vox import conf
from django_vox.exceptions import BadToken
from django_vox.models import Notification
from django_vox.preferences.owners import Owner

__all__ = [
    "PREFERENCES_SALT", "UNSUBSCRIBE_SALT", "absolute_url", "make_preferences_token",
    "make_unsubscribe_token", "read_preferences_token", "read_unsubscribe_token",
    "token_language", "unsubscribe_links",
]

logger = logging.getLogger("django_vox")

UNSUBSCRIBE_SALT = "django_vox.preferences.unsubscribe"
PREFERENCES_SALT = "django_vox.preferences.manage"


def _max_age():
    return conf.get("DJANGO_VOX_UNSUBSCRIBE_MAX_AGE")


def _notification_key(notification):
    ct = notification.object_type
    return [ct.app_label, ct.model, notification.codename]


def make_unsubscribe_token(owner: Owner, notification, protocol: str, language: str = "") -> str:
    """``language`` (the recipient's) is the language of the page the link opens."""
    data = {"o": owner.token_data(), "n": _notification_key(notification), "p": protocol}
    if language:
        data["l"] = language
    return signing.dumps(data, salt=UNSUBSCRIBE_SALT, compress=True)


def make_preferences_token(owner: Owner, language: str = "") -> str:
    data = {"o": owner.token_data()}
    if language:
        data["l"] = language
    return signing.dumps(data, salt=PREFERENCES_SALT, compress=True)


def token_language(token: str) -> str:
    """The language a valid link was made with ("" for none, or an invalid link)."""
    for salt in (UNSUBSCRIBE_SALT, PREFERENCES_SALT):
        try:
            data = signing.loads(token, salt=salt, max_age=_max_age())
        except (signing.BadSignature, ValueError, TypeError):
            continue
        language = data.get("l") if isinstance(data, dict) else None
        return language if isinstance(language, str) else ""
    return ""


def _loads(token, salt):
    try:
        return signing.loads(token, salt=salt, max_age=_max_age())
    except signing.SignatureExpired:
        raise BadToken("This link has expired.") from None
    except (signing.BadSignature, ValueError, TypeError):  # includes decompression errors
        raise BadToken("This link is not valid: it is incomplete or was altered.") from None


def read_unsubscribe_token(token: str):
    """Return ``(owner, notification, protocol)`` or raise BadToken."""
    data = _loads(token, UNSUBSCRIBE_SALT)
    try:
        owner = Owner.from_token_data(data["o"])
        app_label, model, codename = data["n"]
        notification = Notification.objects.select_related("object_type").get(
            object_type__app_label=app_label, object_type__model=model, codename=codename)
        protocol = str(data["p"])
    except (KeyError, TypeError, ValueError, ObjectDoesNotExist):
        raise BadToken("This link names a notification that no longer exists.") from None
    return owner, notification, protocol


def read_preferences_token(token: str) -> Owner:
    data = _loads(token, PREFERENCES_SALT)
    try:
        owner = Owner.from_token_data(data["o"])
    except (KeyError, TypeError, ValueError, ObjectDoesNotExist):
        raise BadToken("This link names someone who no longer exists.") from None
    return owner.load_instance()


def absolute_url(path: str) -> str | None:
    """``path`` on the site (see :func:`django_vox.conf.site_base_url`), or None
    when neither SITE_DOMAIN nor django.contrib.sites names it."""
    base = conf.site_base_url(required=False)
    return None if base is None else base + path


class unsubscribe_links:  # noqa: N801 - used like a function
    """Builds each recipient's unsubscribe and preferences URLs for one
    notification and protocol; works out the site's address once."""

    def __init__(self, notification, protocol: str):
        self.notification = notification
        self.protocol = protocol
        self.base = None
        if notification.required:
            return  # an unsubscribe link that cannot work would mislead
        try:
            reverse("django_vox:unsubscribe", args=["x"])
        except NoReverseMatch:
            logger.debug("django_vox.urls is not included: no unsubscribe links.")
            return
        self.base = absolute_url("")
        if self.base is None:
            logger.warning("Neither SITE_DOMAIN nor django.contrib.sites gives the site's "
                           "domain: messages go out without unsubscribe links.")

    def __bool__(self):
        return self.base is not None

    def unsubscribe_url(self, owner: Owner, language: str = "") -> str:
        """The one-click link; its page speaks ``language`` (the recipient's)."""
        token = make_unsubscribe_token(owner, self.notification, self.protocol, language)
        return self.base + reverse("django_vox:unsubscribe", args=[token])

    def preferences_url(self, owner: Owner, language: str = "") -> str:
        return self.base + reverse("django_vox:preferences-signed",
                                   args=[make_preferences_token(owner, language)])

    def headers(self, url: str) -> dict:
        """RFC 2369 List-Unsubscribe, and RFC 8058 one-click when it is HTTPS."""
        headers = {"List-Unsubscribe": f"<{url}>"}
        if url.startswith("https://"):
            headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        return headers
