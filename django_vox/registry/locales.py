"""A recipient's language and time zone, and rendering in them.

Where a recipient's language and time zone come from, first answer first
(each of the two on its own, so a contact may give its language and leave
its time zone to the registration):

1. the :class:`~django_vox.registry.Contact` itself (``language=``,
   ``timezone=``; site contacts have them as fields);
2. the registration of the contact's object: ``get_locale(instance)``;
3. ``DJANGO_VOX_RECIPIENT_LOCALE``, the dotted path of a function
   ``resolver(contact)`` returning ``(language, timezone)`` (either may be
   blank) or None, e.g. reading a user profile;
4. the site's ``LANGUAGE_CODE`` and ``TIME_ZONE``.

A language the site does not offer falls back to its base language
(``pt-br`` → ``pt``), then to ``LANGUAGE_CODE``; a time zone that does not
exist falls back to ``TIME_ZONE``.  The languages a site offers are its
``LANGUAGES`` when it sets them (and ``USE_I18N`` is on); otherwise only
``LANGUAGE_CODE``, so languages cost nothing on a site that does not use them.

A :class:`LocaleResolver` answers for many contacts: it reads the settings
once and remembers each registration's method, so resolving is a few
attribute reads per contact.  :class:`LocaleSwitch` activates a locale
around rendering and only switches when the next message's locale differs.
"""

from __future__ import annotations

import contextlib
import logging
import zoneinfo
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone as tz
from django.utils import translation

from django_vox import conf
from django_vox.registry.declarations import Contact
from django_vox.registry.registrations import Registration, objects

__all__ = ["SETTING", "Locale", "LocaleResolver", "LocaleSwitch", "default_language",
           "offered_languages", "normalize_language", "rendering_in", "resolver_function"]

logger = logging.getLogger("django_vox")

#: The site-wide resolver's setting.
SETTING = "DJANGO_VOX_RECIPIENT_LOCALE"


@dataclass(frozen=True)
class Locale:
    """A language code the site offers and an existing IANA time zone name."""

    language: str
    timezone: str


def _code(language: str) -> str:
    return str(language).strip().lower().replace("_", "-")


def default_language() -> str:
    """``LANGUAGE_CODE``, in Django's lower-case form."""
    return _code(settings.LANGUAGE_CODE)


def offered_languages() -> list[tuple[str, str]]:
    """``[(code, name)]`` of the languages recipients may have: the site's
    ``LANGUAGES`` when it sets them (and ``USE_I18N``), else ``LANGUAGE_CODE``
    alone.  The default language comes first."""
    default = default_language()
    if not settings.USE_I18N or not settings.is_overridden("LANGUAGES"):
        return [(default, _name(default, dict(settings.LANGUAGES)))]
    languages = [(_code(code), str(name)) for code, name in settings.LANGUAGES]
    if default not in dict(languages):
        languages.insert(0, (default, _name(default, dict(settings.LANGUAGES))))
    languages.sort(key=lambda pair: pair[0] != default)
    return languages


def _name(code: str, names: dict) -> str:
    return str(names.get(code) or names.get(code.split("-")[0]) or code)


def normalize_language(language: str | None, offered: set | frozenset | None = None) -> str:
    """``language`` if the site offers it, else its base language if offered
    (``pt-br`` → ``pt``), else ``LANGUAGE_CODE``."""
    if offered is None:
        offered = frozenset(code for code, _name in offered_languages())
    if language:
        code = _code(language)
        if code in offered:
            return code
        base = code.split("-")[0]
        if base in offered:
            return base
    return default_language()


def resolver_function() -> Callable[[Contact], Any] | None:
    """The function ``DJANGO_VOX_RECIPIENT_LOCALE`` names, or None when unset;
    ImproperlyConfigured naming the setting when it cannot be used."""
    return conf.recipient_locale_function(conf.get(SETTING))


def _pair(answer: Any, where: str) -> tuple[str, str]:
    """``(language, timezone)`` of a registration's or resolver's answer ("" for unknown)."""
    if answer is None:
        return "", ""
    try:
        if isinstance(answer, str):
            raise TypeError
        language, zone = answer
    except (TypeError, ValueError):
        raise ImproperlyConfigured(
            f"{where} must return (language, timezone) or None, not {answer!r}.") from None
    return language or "", zone or ""


class LocaleResolver:
    """The locale of each contact (see the module); one per issue, digest run or page."""

    def __init__(self) -> None:
        self.offered = frozenset(code for code, _name in offered_languages())
        self.default = Locale(default_language(), settings.TIME_ZONE or "UTC")
        self.site_resolver = resolver_function()
        self._methods: dict[type, Callable | None] = {}
        self._locales: dict[tuple[str, str], Locale] = {}

    @property
    def multilingual(self) -> bool:
        return len(self.offered) > 1

    def _method(self, kind: type) -> Callable | None:
        if kind not in self._methods:
            method = None
            if kind in objects:
                registration = objects[kind].registration
                if type(registration).get_locale is not Registration.get_locale:
                    method = registration.get_locale
            self._methods[kind] = method
        return self._methods[kind]

    def explicit(self, contact: Contact) -> tuple[str, str]:
        """``(language, timezone)`` as the contact, its registration and the
        resolver give them, unchecked; ``""`` where none of them knows."""
        language, zone = contact.language, contact.timezone
        if language and zone:
            return language, zone
        obj = contact.obj
        method = self._method(type(obj)) if obj is not None else None
        if method is not None:
            found = _pair(method(obj), f"{type(method.__self__).__name__}.get_locale()")
            language, zone = language or found[0], zone or found[1]
        if self.site_resolver is not None and not (language and zone):
            found = _pair(self.site_resolver(contact), SETTING)
            language, zone = language or found[0], zone or found[1]
        return language, zone

    def known(self, contact: Contact) -> tuple[str, str]:
        """:meth:`explicit`, but a resolver or registration that raises is
        logged and counts as not knowing: the message still goes out."""
        try:
            return self.explicit(contact)
        except ImproperlyConfigured:
            raise
        except Exception:  # noqa: BLE001 - project code; the message must not be lost
            logger.warning("Finding the language of %s failed; the default is used.",
                           contact.address, exc_info=True)
            return "", ""

    def __call__(self, contact: Contact) -> Locale:
        """The contact's checked locale (see the module)."""
        language, zone = self.known(contact)
        if not (language or zone):
            return self.default
        return self.locale(language, zone)

    def locale(self, language: str, zone: str) -> Locale:
        """The checked locale of a ``(language, timezone)`` pair (blank: the default)."""
        key = (language, zone)
        found = self._locales.get(key)
        if found is None:
            found = self._locales[key] = Locale(
                normalize_language(language, self.offered) if language else self.default.language,
                self._zone(zone))
        return found

    def _zone(self, zone: str) -> str:
        if not zone:
            return self.default.timezone
        try:
            zoneinfo.ZoneInfo(zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            logger.warning("Time zone %r of a recipient does not exist; %s is used.", zone,
                           self.default.timezone)
            return self.default.timezone
        return zone


@contextlib.contextmanager
def rendering_in(locale: Locale) -> Iterator[None]:
    """Translations, formats and ``localtime`` follow ``locale`` inside."""
    with translation.override(locale.language), tz.override(locale.timezone):
        yield


class LocaleSwitch:
    """Keeps one locale active while messages render, switching only when the
    next message's differs (one activation for a batch in one language)."""

    def __init__(self) -> None:
        self.current: Locale | None = None
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> LocaleSwitch:
        return self

    def __call__(self, locale: Locale) -> None:
        if locale != self.current:
            self._stack.close()
            self._stack.enter_context(rendering_in(locale))
            self.current = locale

    def __exit__(self, *exc_info: Any) -> None:
        self._stack.close()
        self.current = None
