"""Run backends written for django-vox 4.x.

A 4.x backend builds its message with *classmethods* returning a string
(``build_message(subject, body, parameters, attachments)``,
``preview_message(subject, body, parameters)``) and sends that string
(``send_message(self, from_address, to_addresses, message)``).  The pipeline of
this version passes :class:`~django_vox.messages.Message` objects instead, so
the backend registry wraps such a class in an adapter (:func:`adapt`): the
4.x string travels in ``Message.text`` (and so in the delivery log, for
resends) and reaches the 4.x ``send_message`` unchanged.

A class counts as a 4.x backend when its ``build_message`` is a classmethod or
staticmethod; the built-in backends define it as a plain method.
"""

import html
import inspect
import threading
import warnings

from django_vox.backends.base import Backend
from django_vox.backends.vox4calls import AttachmentData
from django_vox.messages import Message
from django_vox.templating import rendering

__all__ = ["AttachmentData", "Vox4BackendAdapter", "adapt", "is_vox4_backend"]

#: Class attributes copied from the 4.x class onto its adapter (the admin,
#: the checks and the registry read them from the class they are given).
_FLAGS = ("ID", "PROTOCOL", "VERBOSE_NAME", "USE_SUBJECT", "USE_ATTACHMENTS",
          "USE_FROM_ADDRESS", "ESCAPE_HTML", "EDITOR_TYPE", "DEPENDS", "EXTRA",
          "REQUIRED_SETTINGS", "ALLOW_MANUAL_SENDING")

_adapters = {}
_lock = threading.Lock()


def _static(cls, name):
    return inspect.getattr_static(cls, name, None)


def _is_class_level(attribute):
    return isinstance(attribute, (classmethod, staticmethod))


def is_vox4_backend(cls) -> bool:
    """Whether ``cls`` follows the 4.x contract (a class-level ``build_message``)."""
    return _is_class_level(_static(cls, "build_message"))


class Vox4BackendAdapter(Backend):
    """Runs one 4.x backend class (``legacy_class``) in the new pipeline."""

    legacy_class = None

    def __init__(self, **options):
        super().__init__(**options)
        self.legacy = self.legacy_class()

    @classmethod
    def dotted_path(cls):
        return cls.legacy_class.dotted_path()

    # -- lifecycle: 4.x backends may define none, or their own ------------------
    def open(self):
        super().open()
        return self.legacy.open()

    def close(self):
        try:
            self.legacy.close()
        finally:
            super().close()

    # -- building -----------------------------------------------------------------
    def build_message(self, subject, body, parameters, attachments=()):
        legacy_attachments = [AttachmentData(a.content, a.mimetype, a.filename)
                              for a in attachments] if self.USE_ATTACHMENTS else []
        text = self.legacy_class.build_message(subject, body, parameters, legacy_attachments)
        if not isinstance(text, str):
            raise TypeError(
                f"{self.legacy_class.dotted_path()}.build_message() returned "
                f"{type(text).__name__}; a 4.x backend must return a string.")
        shown_subject = ""
        if self.USE_SUBJECT and subject:
            shown_subject = rendering.fold_header(
                rendering.render(subject, parameters, autoescape=False))
        return Message(subject=shown_subject, text=text)

    def preview_message(self, subject, body, parameters):
        own = _static(self.legacy_class, "preview_message")
        if own is not _static(Backend, "preview_message"):
            return self.legacy.preview_message(subject, body, parameters)
        text = self.legacy_class.build_message(subject, body, parameters, [])
        return f'<pre class="vox-text">{html.escape(text)}</pre>'

    def get_default_from_address(self):
        return self.legacy.get_default_from_address()

    def get_from_address(self, provided, parameters):
        return self.legacy.get_from_address(provided, parameters)

    # -- sending ----------------------------------------------------------------------
    def validate_address(self, address):
        self.legacy.validate_address(address)

    def deliver(self, address, message):
        self.legacy.send_message(message.from_address, [address], message.text)

    def send_message(self, from_address, to_addresses, message):
        """One 4.x ``send_message`` call for all the addresses, as 4.x made it."""
        to_addresses = list(to_addresses)
        for address in to_addresses:
            self.validate_address(address)
        with self.delivering(", ".join(to_addresses)):
            self.legacy.send_message(from_address or message.from_address, to_addresses,
                                     message.text)


def _make_adapter(cls):
    attributes = {name: getattr(cls, name) for name in _FLAGS if hasattr(cls, name)}
    attributes.update(legacy_class=cls, __module__=__name__,
                      __doc__=f"Adapter running the 4.x backend {cls.dotted_path()}.")
    return type(f"Vox4Adapter_{cls.__name__}", (Vox4BackendAdapter,), attributes)


def adapt(cls):
    """``cls`` itself, or an adapter class when ``cls`` is a 4.x backend (with a
    DeprecationWarning naming it)."""
    if not is_vox4_backend(cls) or issubclass(cls, Vox4BackendAdapter):
        return cls
    warnings.warn(
        f"{cls.dotted_path()} is a django-vox 4.x backend (class-level build_message "
        f"returning a string); it runs through an adapter. Port it to the Message-based "
        f"contract (see docs/upgrading.rst).", DeprecationWarning, stacklevel=2)
    with _lock:
        adapter = _adapters.get(cls)
        if adapter is None:
            adapter = _adapters[cls] = _make_adapter(cls)
    return adapter
