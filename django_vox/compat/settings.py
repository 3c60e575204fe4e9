"""What answers the 4.x module ``django_vox.settings`` (``django_vox.settings.TWILIO_FROM_NUMBER``...).

Each name reads ``DJANGO_VOX_<NAME>`` from Django's settings when it is
accessed (PEP 562 module ``__getattr__``), so ``override_settings`` applies.
As in 4.x, a setting that has no default and is not set raises
``ImproperlyConfigured`` naming it, and ``BACKENDS`` lists the enabled backends
when ``DJANGO_VOX_BACKENDS`` is unset.  New code calls
``django_vox.conf.get("DJANGO_VOX_<NAME>")`` instead; every access warns
(:class:`~django_vox.exceptions.RemovedInDjangoVox6Warning`).
"""

from django.conf import settings as django_settings

from django_vox import conf
from django_vox.backends import backends
from django_vox.compat import deprecated

#: The 4.x names; each is DJANGO_VOX_<NAME>.
_NAMES = (
    "ACTIVITY_REGEX",
    "BACKENDS",
    "INBOX_LIMIT",
    "ISSUE_METHOD",
    "MARKDOWN_EXTRAS",
    "MARKDOWN_LINK_PATTERNS",
    "POSTMARK_TOKEN",
    "THROW_EXCEPTIONS",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_FROM_NUMBER",
    "TWITTER_CONSUMER_KEY",
    "TWITTER_CONSUMER_SECRET",
    "TWITTER_TOKEN_KEY",
    "TWITTER_TOKEN_SECRET",
    "XMPP_JID",
    "XMPP_PASSWORD",
)
__all__ = list(_NAMES)  # resolved by __getattr__ below

#: Names whose unset value is a normal state rather than a missing credential.
_OPTIONAL = {"ACTIVITY_REGEX"}


def _enabled_backend_paths():
    return [cls.dotted_path() for cls in backends.all()]


def _value(name):
    setting = f"DJANGO_VOX_{name}"
    if name == "BACKENDS" and conf.get(setting) is None:
        return _enabled_backend_paths()
    if name == "MARKDOWN_LINK_PATTERNS":  # not a setting of this version (see docs/upgrading.rst)
        return getattr(django_settings, setting, [])
    if name in _OPTIONAL:
        return conf.get(setting)
    return conf.require(setting)


def __getattr__(name):
    if name not in _NAMES:
        raise AttributeError(f"module 'django_vox.settings' has no attribute {name!r}")
    deprecated(f"django_vox.settings.{name}",
               f"read the DJANGO_VOX_{name} setting with "
               f"django_vox.conf.get({'DJANGO_VOX_' + name!r}).")
    return _value(name)


def __dir__():
    return sorted(_NAMES)
