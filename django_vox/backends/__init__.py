"""The backend registry: which backends are enabled, by ID and by protocol.

Loaded lazily from ``DJANGO_VOX_BACKENDS`` on first use and rebuilt when that
setting changes (``setting_changed``), so tests can switch backends with
``override_settings``.

May import :mod:`django_vox.http`, :mod:`django_vox.pacing`, the low
templating modules (engine, sandbox, rendering), messages, exceptions and
conf; never the models, the registry or issuing (the activity backend, loaded
by its dotted path, also writes through :mod:`django_vox.activities`).
"""

import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from django_vox import conf
from django_vox.backends.base import Backend, load_backend_class
from django_vox.exceptions import BackendNotAvailable, MissingDependency

__all__ = ["DEFAULT_BACKENDS", "BackendRegistry", "backends", "Backend", "set_class_adapter",
           "PROTOCOL_NAMES", "protocol_name"]

#: Used when DJANGO_VOX_BACKENDS is unset; each only if its dependencies import.
DEFAULT_BACKENDS = (
    "django_vox.backends.html_email.Backend",
    "django_vox.backends.markdown_email.Backend",
    "django_vox.backends.postmark_email.Backend",
    "django_vox.backends.template_email.Backend",
    "django_vox.backends.twilio.Backend",
    "django_vox.backends.twitter.Backend",
    "django_vox.backends.slack.Backend",
    "django_vox.backends.json_webhook.Backend",
    "django_vox.backends.xmpp.Backend",
)


#: Called with each class loaded from DJANGO_VOX_BACKENDS; returns the class
#: the registry uses.  The core installs none: django_vox.compat sets its 4.x
#: backend adapter here from VoxConfig.ready() (the core never imports compat).
_class_adapter: Callable[[type[Backend]], type[Backend]] | None = None


def set_class_adapter(adapter: Callable[[type[Backend]], type[Backend]] | None) -> None:
    """Install ``adapter(cls) -> class`` (None removes it) and forget the loaded classes."""
    global _class_adapter
    _class_adapter = adapter
    backends.reset()


def _adapted(cls: type[Backend]) -> type[Backend]:
    return cls if _class_adapter is None else _class_adapter(cls)


class LoadProblem:
    """Something wrong with the configured backends, for system checks."""

    def __init__(self, kind: str, message: str, path: str, other: str | None = None) -> None:
        self.kind = kind  # "import", "duplicate" or "dependency"
        self.message = message
        self.path = path
        self.other = other


def _load(path: object) -> tuple[type[Backend] | None, LoadProblem | None]:
    """``(class, None)``, or ``(None, LoadProblem)`` for an entry that is not a
    dotted path or whose import fails, whatever the import raises."""
    if not isinstance(path, str):
        return None, LoadProblem(
            "type", f"DJANGO_VOX_BACKENDS entries must be dotted paths (strings), not {path!r}.",
            repr(path))
    try:
        cls: type[Backend] = _adapted(load_backend_class(path))  # 4.x classes: compat
        return cls, None
    except Exception as err:  # noqa: BLE001 - a module raising anything on import is reported
        text = str(err) if isinstance(err, ImportError) else f"{type(err).__name__}: {err}"
        return None, LoadProblem(
            "import", f"DJANGO_VOX_BACKENDS entry {path!r} could not be imported: {text}", path)


def inspect_backends(
        paths: Iterable[object] | str | None = None,
) -> tuple[list[type[Backend]], list[LoadProblem]]:
    """Load the configured backend classes.

    Return ``(classes, problems)``; never raises, so system checks can report
    every problem at once.
    """
    explicit = paths is not None or conf.get("DJANGO_VOX_BACKENDS") is not None
    if paths is None:
        paths = conf.get("DJANGO_VOX_BACKENDS")
        if paths is None:
            paths = DEFAULT_BACKENDS
    if isinstance(paths, str):
        paths = [paths]
    classes: list[type[Backend]] = []
    problems: list[LoadProblem] = []
    seen: dict[str, str] = {}
    for path in paths:
        cls, problem = _load(path)
        if problem is not None and (explicit or problem.kind == "type"):
            problems.append(problem)
        if cls is None:
            continue
        missing = cls.missing_dependencies()
        if missing:
            if explicit:
                problems.append(LoadProblem(
                    "dependency", str(MissingDependency(str(path), missing[0], cls.EXTRA or None)),
                    str(path)))
            continue
        if cls.ID in seen:
            problems.append(LoadProblem(
                "duplicate",
                f"Backends {seen[cls.ID]!r} and {path!r} share the ID {cls.ID!r}.",
                str(path), other=seen[cls.ID]))
            continue
        seen[cls.ID] = str(path)
        classes.append(cls)
    return classes, problems


class BackendRegistry:
    """The enabled backends.  Instances are created per use (``by_id(...)()``)."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._classes: dict[str, type[Backend]] | None = None

    def reset(self) -> None:
        with self._lock:
            self._classes = None

    def _load(self) -> dict[str, type[Backend]]:
        with self._lock:
            if self._classes is None:
                classes, problems = inspect_backends()
                if problems:
                    raise BackendNotAvailable(problems[0].message)
                self._classes = {cls.ID: cls for cls in classes}
            return self._classes

    def all(self) -> list[type[Backend]]:
        """Every enabled backend class, in configuration order."""
        return list(self._load().values())

    def ids(self) -> list[str]:
        return list(self._load())

    def by_id(self, backend_id: str) -> type[Backend]:
        """The backend class with ``backend_id``; KeyError when not enabled."""
        try:
            return self._load()[backend_id]
        except KeyError:
            raise KeyError(f"No enabled django-vox backend has the ID {backend_id!r}") from None

    def get(self, backend_id: str,
            default: type[Backend] | None = None) -> type[Backend] | None:
        return self._load().get(backend_id, default)

    def by_protocol(self, protocol: str) -> list[type[Backend]]:
        """The enabled backend classes implementing ``protocol``."""
        return [cls for cls in self._load().values() if cls.PROTOCOL == protocol]

    def protocols(self) -> list[str]:
        """The protocols of the enabled backends, without repeats."""
        return list(dict.fromkeys(cls.PROTOCOL for cls in self._load().values()))

    def as_choices(self) -> list[tuple[str, str]]:
        return [(cls.ID, str(cls.VERBOSE_NAME or cls.ID)) for cls in self._load().values()]

    def __iter__(self) -> Iterator[type[Backend]]:
        return iter(self.all())

    def __contains__(self, backend_id: object) -> bool:
        return backend_id in self._load()


backends = BackendRegistry()


def _on_setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting == "DJANGO_VOX_BACKENDS" or setting.startswith("DJANGO_VOX_"):
        backends.reset()


def validate_setting() -> None:
    """Raise ImproperlyConfigured for the first configuration problem, if any."""
    _classes, problems = inspect_backends()
    if problems:
        raise ImproperlyConfigured(problems[0].message)


#: Names of the protocols the built-in backends speak, for people (the admin,
#: the preferences and unsubscribe pages, errors shown to editors).  A backend
#: class may name its own with ``PROTOCOL_NAME``.
PROTOCOL_NAMES: dict[str, Any] = {
    "email": _("Email"),
    "sms": _("Text message (SMS)"),
    "slack-webhook": _("Slack"),
    "json-webhook": _("JSON webhook"),
    "xmpp": _("Jabber (XMPP)"),
    "activity": _("Activity Streams inbox"),
    "twitter": _("Twitter / X"),
}


def protocol_name(protocol: str) -> str:
    """The name of ``protocol`` for people ("Email" for ``email``)."""
    if not protocol:
        return gettext("all protocols")
    for cls in backends.by_protocol(protocol):
        name = getattr(cls, "PROTOCOL_NAME", None)
        if name:
            return str(name)
    if protocol in PROTOCOL_NAMES:
        return str(PROTOCOL_NAMES[protocol])
    return capfirst(protocol.replace("-", " "))
