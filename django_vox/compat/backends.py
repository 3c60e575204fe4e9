"""Run backends written for django-vox 4.x.

A 4.x backend builds its message with *classmethods* returning a string
(``build_message(subject, body, parameters, attachments)``,
``preview_message(subject, body, parameters)``) and sends that string
(``send_message(self, from_address, to_addresses, message)``).  The pipeline of
this version passes :class:`~django_vox.messages.Message` objects instead, so
such a class is wrapped in an adapter (:func:`adapt`): the 4.x string travels
in ``Message.text`` (and so in the delivery log, for resends) and reaches the
4.x ``send_message`` unchanged.  The backend registry calls :func:`load_hook`
for every class named in ``DJANGO_VOX_BACKENDS`` (installed by
:mod:`django_vox.compat.install` through
:func:`django_vox.backends.set_class_adapter`).

A class counts as a 4.x backend when its ``build_message`` is a classmethod or
staticmethod; the built-in backends define it as a plain method.
"""

import html
import inspect
import threading

from django_vox.backends.base import Backend
from django_vox.compat import deprecated, vox4calls
from django_vox.compat.vox4calls import AttachmentData
from django_vox.messages import Message
from django_vox.templating import rendering

__all__ = ["AttachmentData", "Vox4BackendAdapter", "adapt", "is_vox4_backend", "legacy_helper",
           "load_hook"]

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
    RemovedInDjangoVox6Warning naming it)."""
    if not is_vox4_backend(cls) or issubclass(cls, Vox4BackendAdapter):
        return cls
    deprecated(f"{cls.dotted_path()} is a django-vox 4.x backend (class-level build_message "
               f"returning a string); it runs through an adapter, which",
               "port it to the Message-based contract: an instance build_message() returning "
               "a Message, and deliver() (see docs/writing-backends.rst).", stacklevel=3)
    with _lock:
        adapter = _adapters.get(cls)
        if adapter is None:
            adapter = _adapters[cls] = _make_adapter(cls)
    return adapter


def load_hook(cls):
    """What the backend registry calls for each class it loads: a 4.x class
    gets its adapter; any other class answers the 4.x class-level calls."""
    adapted = adapt(cls)
    if adapted is cls:
        vox4calls.install(cls)
    return adapted


def legacy_helper(name):
    """``template_from_string`` or ``AttachmentData``, read from their 4.x
    home ``django_vox.backends.base`` (with a warning)."""
    deprecated(f"django_vox.backends.base.{name}",
               f"import {name} from django_vox.compat.vox4calls for as long as the backend "
               f"keeps its 4.x form; a ported backend renders with self.render() and "
               f"attaches django_vox.messages.MessageAttachment.", stacklevel=3)
    return getattr(vox4calls, name)
