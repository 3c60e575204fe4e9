"""The base class of every backend.

A backend turns an editor's template into a :class:`~django_vox.messages.Message`
(``build_message``, which needs no credentials and also drives the admin
preview) and delivers messages to addresses of its protocol (``send``).
Connections live between ``open()`` and ``close()``; use the backend as a
context manager so that one issue reuses one connection for all its messages.
Backends never touch the database: the issuing pipeline records outcomes.
"""

import html
import importlib.util

from django.utils.module_loading import import_string

from django_vox import conf, rendering
from django_vox.exceptions import MissingDependency
from django_vox.messages import Message

__all__ = ["Backend"]


class Backend:
    #: Unique identifier stored on templates.
    ID = ""
    #: The form of address this backend accepts ("email", "sms", ...).
    PROTOCOL = ""
    VERBOSE_NAME = ""
    USE_SUBJECT = False
    USE_ATTACHMENTS = False
    USE_FROM_ADDRESS = False
    #: Whether values substituted into the body are HTML-escaped.
    ESCAPE_HTML = False
    #: Which editor suits the content: "basic", "html" or "markdown".
    EDITOR_TYPE = "basic"
    #: Import names this backend needs; the backend is skipped when one is missing.
    DEPENDS = ()
    #: The pip extra that installs DEPENDS.
    EXTRA = ""
    #: Settings that must be set before this backend can send (system check W001).
    REQUIRED_SETTINGS = ()
    ALLOW_MANUAL_SENDING = True

    def __init__(self):
        self.is_open = False

    # -- class-level information -------------------------------------------
    @classmethod
    def dotted_path(cls):
        return f"{cls.__module__}.{cls.__qualname__}"

    @classmethod
    def missing_dependencies(cls):
        return [name for name in cls.DEPENDS if importlib.util.find_spec(name.split(".")[0]) is None
                or _spec_missing(name)]

    @classmethod
    def check_dependencies(cls):
        missing = cls.missing_dependencies()
        if missing:
            raise MissingDependency(cls.dotted_path(), missing[0], cls.EXTRA or None)

    @classmethod
    def missing_settings(cls):
        return [name for name in cls.REQUIRED_SETTINGS if conf.get(name, None) in (None, "")]

    # -- lifecycle ------------------------------------------------------------
    def open(self):
        """Open connections; return True when something was opened."""
        if self.is_open:
            return False
        self.is_open = True
        return True

    def close(self):
        """Close connections.  Safe to call more than once."""
        self.is_open = False

    def __enter__(self):
        try:
            self.open()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, exc_type, exc, tb):
        self.close()

    # -- building -------------------------------------------------------------
    def render(self, source, parameters, autoescape=None):
        if autoescape is None:
            autoescape = self.ESCAPE_HTML
        return rendering.render(source, parameters, autoescape=autoescape)

    def render_subject(self, subject, parameters):
        if not self.USE_SUBJECT:
            return ""
        return rendering.fold_header(self.render(subject, parameters, autoescape=False))

    def build_message(self, subject, body, parameters, attachments=()):
        """Render ``subject`` and ``body`` with ``parameters`` into a Message."""
        return Message(
            subject=self.render_subject(subject, parameters),
            text=self.render(body, parameters),
            attachments=list(attachments) if self.USE_ATTACHMENTS else [],
        )

    def preview_message(self, subject, body, parameters):
        """HTML showing the message as its recipient would see it."""
        message = self.build_message(subject, body, parameters)
        return self.format_preview(message)

    def format_preview(self, message):
        parts = []
        if self.USE_SUBJECT and message.subject:
            parts.append(f'<p class="vox-subject"><strong>{html.escape(message.subject)}</strong></p>')
        parts.append(f'<pre class="vox-text">{html.escape(message.text)}</pre>')
        return "\n".join(parts)

    def get_default_from_address(self):
        return ""

    def get_from_address(self, provided, parameters):
        """Render the template's from address, or fall back to the default."""
        if self.USE_FROM_ADDRESS and provided:
            rendered = rendering.fold_header(self.render(provided, parameters, autoescape=False))
            if rendered:
                return rendered
        return self.get_default_from_address()

    # -- sending --------------------------------------------------------------
    def validate_address(self, address):
        """Raise InvalidAddress when ``address`` is not valid for the protocol."""

    def send(self, address, message):
        """Deliver ``message`` to one ``address``."""
        raise NotImplementedError(f"{type(self).__name__} must implement send()")

    def send_message(self, from_address, to_addresses, message):
        """Deliver ``message`` to several addresses (one call per address by default)."""
        if from_address:
            message.from_address = from_address
        for address in to_addresses:
            self.send(address, message)


def _spec_missing(name):
    try:
        return importlib.util.find_spec(name) is None
    except ModuleNotFoundError:
        return True


def load_backend_class(path):
    """Import a backend class, or the ``Backend`` class of a module path."""
    try:
        obj = import_string(path)
    except ImportError:
        module = importlib.import_module(path)
        obj = getattr(module, "Backend", None)
        if obj is None:
            raise ImportError(f"{path} has no Backend class") from None
    if isinstance(obj, type(importlib)):  # a module
        obj = getattr(obj, "Backend", None)
        if obj is None:
            raise ImportError(f"{path} has no Backend class")
    if not (isinstance(obj, type) and issubclass(obj, Backend)):
        raise ImportError(f"{path} is not a django_vox backend class")
    return obj
