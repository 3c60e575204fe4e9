"""Settings for django-vox, read from ``django.conf.settings`` at call time.

Nothing is cached, so ``override_settings`` always applies.
"""

from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured

__all__ = ["DEFAULTS", "get", "require"]

_MISSING = object()

#: Every DJANGO_VOX_* setting and its default.  ``None`` means "no default":
#: backends that need the value ask for it with :func:`require`.
DEFAULTS = {
    "DJANGO_VOX_BACKENDS": None,  # None: the default backend list
    "DJANGO_VOX_ISSUE_METHOD": "django_vox.models.Notification.issue_now",
    "DJANGO_VOX_THROW_EXCEPTIONS": _MISSING,  # defaults to DEBUG, see get()
    "DJANGO_VOX_SEND_ON_COMMIT": True,  # False: send at issue time, as 4.x did
    "DJANGO_VOX_SYNC_ON_MIGRATE": True,  # False: notification rows only from make_notifications
    "DJANGO_VOX_MAX_ATTEMPTS": 5,
    "DJANGO_VOX_RETRY_BACKOFF": 30,  # seconds before the first retry
    "DJANGO_VOX_TASK_BACKEND": "default",
    "DJANGO_VOX_HTTP_TIMEOUT": 10,
    "DJANGO_VOX_BATCH_SIZE": 1000,
    "DJANGO_VOX_EMAIL_MAILER": "default",
    "DJANGO_VOX_MARKDOWN_EXTRAS": [],
    "DJANGO_VOX_POSTMARK_TOKEN": None,
    "DJANGO_VOX_POSTMARK_ENDPOINT": "https://api.postmarkapp.com",
    "DJANGO_VOX_TWILIO_ACCOUNT_SID": None,
    "DJANGO_VOX_TWILIO_AUTH_TOKEN": None,
    "DJANGO_VOX_TWILIO_FROM_NUMBER": None,
    "DJANGO_VOX_TWILIO_API_BASE": "https://api.twilio.com",
    "DJANGO_VOX_TWITTER_CONSUMER_KEY": None,
    "DJANGO_VOX_TWITTER_CONSUMER_SECRET": None,
    "DJANGO_VOX_TWITTER_TOKEN_KEY": None,
    "DJANGO_VOX_TWITTER_TOKEN_SECRET": None,
    "DJANGO_VOX_TWITTER_API_BASE": "https://api.twitter.com/1.1",
    "DJANGO_VOX_XMPP_JID": None,
    "DJANGO_VOX_XMPP_PASSWORD": None,
    "DJANGO_VOX_XMPP_SERVER": None,
    "DJANGO_VOX_XMPP_VERIFY_TLS": True,
    "DJANGO_VOX_UNSUBSCRIBE_MAX_AGE": None,  # seconds; None: links do not expire
    "DJANGO_VOX_INBOX_LIMIT": 500,
    "DJANGO_VOX_ACTIVITY_REGEX": None,
    "SITE_DOMAIN": None,
    "SITE_SSL": True,
}


def get(name, default=_MISSING):
    """Return setting ``name``, falling back to django-vox's default."""
    if name not in DEFAULTS and default is _MISSING:
        raise KeyError(f"{name} is not a django-vox setting")
    value = getattr(django_settings, name, _MISSING)
    if value is not _MISSING:
        return value
    if default is not _MISSING:
        return default
    if name == "DJANGO_VOX_THROW_EXCEPTIONS":
        return django_settings.DEBUG
    return DEFAULTS[name]


def require(name):
    """Return setting ``name``; raise ImproperlyConfigured naming it when unset or empty."""
    value = get(name)
    if value is None or value == "":
        raise ImproperlyConfigured(f"The {name} setting is required but is not set.")
    return value
