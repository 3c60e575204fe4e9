"""The backend registry: which backends are enabled, by ID and by protocol.

Loaded lazily from ``DJANGO_VOX_BACKENDS`` on first use and rebuilt when that
setting changes (``setting_changed``), so tests can switch backends with
``override_settings``.
"""

import threading

from django.core.exceptions import ImproperlyConfigured

from django_vox import conf
from django_vox.backends.base import Backend, load_backend_class
from django_vox.backends.compat import adapt as adapt_vox4_backend
from django_vox.exceptions import BackendNotAvailable, MissingDependency

__all__ = ["DEFAULT_BACKENDS", "BackendRegistry", "backends", "Backend"]

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
    "django_vox.backends.inapp.Backend",
)


class LoadProblem:
    """Something wrong with the configured backends, for system checks."""

    def __init__(self, kind, message, path, other=None):
        self.kind = kind  # "import", "duplicate" or "dependency"
        self.message = message
        self.path = path
        self.other = other


def _load(path):
    """``(class, None)``, or ``(None, LoadProblem)`` for an entry that is not a
    dotted path or whose import fails, whatever the import raises."""
    if not isinstance(path, str):
        return None, LoadProblem(
            "type", f"DJANGO_VOX_BACKENDS entries must be dotted paths (strings), not {path!r}.",
            repr(path))
    try:
        return adapt_vox4_backend(load_backend_class(path)), None  # 4.x classes: compat.py
    except Exception as err:  # noqa: BLE001 - a module raising anything on import is reported
        text = str(err) if isinstance(err, ImportError) else f"{type(err).__name__}: {err}"
        return None, LoadProblem(
            "import", f"DJANGO_VOX_BACKENDS entry {path!r} could not be imported: {text}", path)


def inspect_backends(paths=None):
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
    classes, problems, seen = [], [], {}
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
                    "dependency", str(MissingDependency(path, missing[0], cls.EXTRA or None)), path))
            continue
        if cls.ID in seen:
            problems.append(LoadProblem(
                "duplicate",
                f"Backends {seen[cls.ID]!r} and {path!r} share the ID {cls.ID!r}.",
                path, other=seen[cls.ID]))
            continue
        seen[cls.ID] = path
        classes.append(cls)
    return classes, problems


class BackendRegistry:
    """The enabled backends.  Instances are created per use (``by_id(...)()``)."""

    def __init__(self):
        self._lock = threading.RLock()
        self._classes = None

    def reset(self):
        with self._lock:
            self._classes = None

    def _load(self):
        with self._lock:
            if self._classes is None:
                classes, problems = inspect_backends()
                if problems:
                    raise BackendNotAvailable(problems[0].message)
                self._classes = {cls.ID: cls for cls in classes}
            return self._classes

    def all(self):
        """Every enabled backend class, in configuration order."""
        return list(self._load().values())

    def ids(self):
        return list(self._load())

    def by_id(self, backend_id):
        """The backend class with ``backend_id``; KeyError when not enabled."""
        try:
            return self._load()[backend_id]
        except KeyError:
            raise KeyError(f"No enabled django-vox backend has the ID {backend_id!r}") from None

    def get(self, backend_id, default=None):
        return self._load().get(backend_id, default)

    def by_protocol(self, protocol):
        """The enabled backend classes implementing ``protocol``."""
        return [cls for cls in self._load().values() if cls.PROTOCOL == protocol]

    def protocols(self):
        """The protocols of the enabled backends, without repeats."""
        return list(dict.fromkeys(cls.PROTOCOL for cls in self._load().values()))

    def as_choices(self):
        return [(cls.ID, str(cls.VERBOSE_NAME or cls.ID)) for cls in self._load().values()]

    def __iter__(self):
        return iter(self.all())

    def __contains__(self, backend_id):
        return backend_id in self._load()


backends = BackendRegistry()


def _on_setting_changed(*, setting, **kwargs):
    if setting == "DJANGO_VOX_BACKENDS" or setting.startswith("DJANGO_VOX_"):
        backends.reset()


def validate_setting():
    """Raise ImproperlyConfigured for the first configuration problem, if any."""
    _classes, problems = inspect_backends()
    if problems:
        raise ImproperlyConfigured(problems[0].message)
