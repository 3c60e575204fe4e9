"""The base class of every backend.

A backend turns an editor's template into a :class:`~django_vox.messages.Message`
(``build_message``, which needs no credentials and also drives the admin
preview) and delivers messages to addresses of its protocol.
Connections live between ``open()`` and ``close()``; use the backend as a
context manager so that one issue reuses one connection for all its messages.
Backends never touch the database: the issuing pipeline records outcomes.

The base class runs the steps of a send, the same for every backend::

    send(address, message)
      validate_address(address)        # InvalidAddress before any network I/O
      open() if not open yet           # closed again afterwards, only then
      deliver(address, message)        # the one hook a backend must fill in;
                                       # it returns the provider's message id (or None)
      transport errors -> SendError    # transport_errors() / map_transport_error()

so a backend writes ``deliver`` (and usually ``validate_address``,
``open``/``close``).  ``send_message`` sends to several addresses (one
``send`` each unless a backend overrides it and runs its own delivery inside
:meth:`Backend.delivering`).
"""

from __future__ import annotations

import contextlib
import html
import importlib.util
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, ClassVar

from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from django_vox import conf
from django_vox.exceptions import MissingDependency, SendError, TransientSendError
from django_vox.messages import Message
from django_vox.templating import rendering

__all__ = ["Backend", "load_backend_class"]


class Backend:
    """Subclass this, set the class flags and implement :meth:`deliver`.

    ``Backend(**options)`` takes keyword options as Django's mail backends
    do; they are kept in ``self.options`` for subclasses.  Creating a backend
    never connects or reads credentials: :meth:`open` (or the first send) does.
    """

    #: Unique identifier stored on templates.
    ID: ClassVar[str] = ""
    #: The form of address this backend accepts ("email", "sms", ...).
    PROTOCOL: ClassVar[str] = ""
    VERBOSE_NAME: ClassVar[Any] = ""
    USE_SUBJECT: ClassVar[bool] = False
    USE_ATTACHMENTS: ClassVar[bool] = False
    USE_FROM_ADDRESS: ClassVar[bool] = False
    #: Whether values substituted into the body are HTML-escaped.
    ESCAPE_HTML: ClassVar[bool] = False
    #: Which editor suits the content: "basic", "html" or "markdown".
    EDITOR_TYPE: ClassVar[str] = "basic"
    #: Whether a message's ``text`` is its content as rendered, values
    #: escaped for the content's markup (Slack's mrkdwn, an activity's HTML):
    #: a digest then prints its items' text as it is, not escaped twice.
    ESCAPED_TEXT: ClassVar[bool] = False
    #: Whether an address is an endpoint its recipient owns (a webhook URL
    #: from data): a 429 from it pauses that address, not the backend
    #: (see :mod:`django_vox.pacing.ratelimit`).
    ADDRESS_IS_ENDPOINT: ClassVar[bool] = False
    #: Whether the content is ``key: value`` lines (a JSON webhook, a Postmark
    #: template model): generated content (a default digest) is made of them.
    KEY_VALUE_CONTENT: ClassVar[bool] = False
    #: Import names this backend needs; the backend is skipped when one is missing.
    DEPENDS: ClassVar[Sequence[str]] = ()
    #: The pip extra that installs DEPENDS.
    EXTRA: ClassVar[str] = ""
    #: Import names that only EXTRA brings: one of them present while DEPENDS
    #: are missing means the extra was installed but is incomplete (check W003).
    EXTRA_ONLY: ClassVar[Sequence[str]] = ()
    #: Settings that must be set before this backend can send (system check W001).
    REQUIRED_SETTINGS: ClassVar[Sequence[str]] = ()
    ALLOW_MANUAL_SENDING: ClassVar[bool] = True
    #: Exceptions of the transport that ``send`` turns into send errors with
    #: :meth:`map_transport_error` (refused or reset connections, timeouts).
    TRANSPORT_ERRORS: ClassVar[tuple[type[BaseException], ...]] = (OSError,)
    #: The most ``(address, message)`` items the pipeline passes to one
    #: :meth:`send_many` call (used when a backend overrides ``send_many``).
    SEND_MANY_LIMIT: ClassVar[int] = 100
    #: Whether several instances may be open at once, each sending from a
    #: thread of its own (``DJANGO_VOX_CONCURRENCY``).  False for a backend
    #: whose provider allows one session per account (XMPP logs in as one
    #: JID and resource).  An instance is never shared between threads.
    CONCURRENT_SESSIONS: ClassVar[bool] = True

    def __init__(self, **options: Any) -> None:
        self.options: dict[str, Any] = options
        self.is_open: bool = False

    # -- class-level information -------------------------------------------
    @classmethod
    def dotted_path(cls) -> str:
        return f"{cls.__module__}.{cls.__qualname__}"

    @classmethod
    def missing_dependencies(cls) -> list[str]:
        return [name for name in cls.DEPENDS if importlib.util.find_spec(name.split(".")[0]) is None
                or _spec_missing(name)]

    @classmethod
    def extra_incomplete(cls) -> bool:
        """Whether EXTRA looks installed (see EXTRA_ONLY) while a dependency is missing."""
        return bool(cls.missing_dependencies()) and any(
            importlib.util.find_spec(name) is not None for name in cls.EXTRA_ONLY)

    @classmethod
    def install_command(cls, module: str) -> str:
        """The command that installs the package providing ``module`` (for error messages)."""
        return f'pip install "django-vox[{cls.EXTRA}]"' if cls.EXTRA else ""

    @classmethod
    def missing_dependency(cls, path: str | None = None) -> MissingDependency | None:
        """The error for the first missing dependency, or None when all import."""
        missing = cls.missing_dependencies()
        if not missing:
            return None
        return MissingDependency(path or cls.dotted_path(), missing[0], cls.EXTRA or None,
                                 install=cls.install_command(missing[0]))

    @classmethod
    def check_dependencies(cls) -> None:
        error = cls.missing_dependency()
        if error is not None:
            raise error

    @classmethod
    def missing_settings(cls) -> list[str]:
        return [name for name in cls.REQUIRED_SETTINGS if conf.get(name, None) in (None, "")]

    # -- lifecycle ------------------------------------------------------------
    def open(self) -> bool:
        """Open connections; return True when something was opened (False
        when already open).  Raise a SendError saying why when that fails."""
        if self.is_open:
            return False
        self.is_open = True
        return True

    def close(self) -> None:
        """Close connections.  Safe to call more than once, and after a
        failed ``open()``."""
        self.is_open = False

    def __enter__(self) -> Backend:
        try:
            self.open()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        self.close()

    # -- building -------------------------------------------------------------
    def render(self, source: str, parameters: dict[str, Any],
               autoescape: bool | None = None) -> str:
        if autoescape is None:
            autoescape = self.ESCAPE_HTML
        rendered: str = rendering.render(source, parameters, autoescape=autoescape)
        return rendered

    def render_subject(self, subject: str, parameters: dict[str, Any]) -> str:
        if not self.USE_SUBJECT:
            return ""
        folded: str = rendering.fold_header(self.render(subject, parameters, autoescape=False))
        return folded

    def build_message(self, subject: str, body: str, parameters: dict[str, Any],
                      attachments: Iterable[Any] = ()) -> Message:
        """Render ``subject`` and ``body`` with ``parameters`` into a Message."""
        return Message(
            subject=self.render_subject(subject, parameters),
            text=self.render(body, parameters),
            attachments=list(attachments) if self.USE_ATTACHMENTS else [],
        )

    def preview_message(self, subject: str, body: str, parameters: dict[str, Any]) -> str:
        """HTML showing the message as its recipient would see it."""
        message = self.build_message(subject, body, parameters)
        return self.format_preview(message)

    def format_preview(self, message: Message) -> str:
        parts = []
        if self.USE_SUBJECT and message.subject:
            parts.append(f'<p class="vox-subject"><strong>{html.escape(message.subject)}</strong></p>')
        parts.append(f'<pre class="vox-text">{html.escape(message.text)}</pre>')
        return "\n".join(parts)

    def get_default_from_address(self) -> str:
        return ""

    def get_from_address(self, provided: str, parameters: dict[str, Any]) -> str:
        """Render the template's from address, or fall back to the default."""
        if self.USE_FROM_ADDRESS and provided:
            rendered: str = rendering.fold_header(self.render(provided, parameters, autoescape=False))
            if rendered:
                return rendered
        return self.get_default_from_address()

    # -- sending --------------------------------------------------------------
    def validate_address(self, address: str) -> None:
        """Raise InvalidAddress when ``address`` is not valid for the protocol.

        Called before anything is opened or sent, so it must not do I/O.
        """

    def send(self, address: str, message: Message) -> str | None:
        """Deliver ``message`` to one ``address``: validate, open if needed,
        :meth:`deliver`, map transport errors, close what was opened here.
        Returns what :meth:`deliver` returned (the provider's message id, or None)."""
        self._require_message("send", message)
        self.validate_address(address)
        with self.delivering(address):
            return self.deliver(address, message)

    def send_message(self, from_address: str, to_addresses: Sequence[str],
                     message: Message) -> str | None:
        """Deliver ``message`` to several addresses (one ``send`` each by
        default); the provider's id of the first, or None."""
        self._require_message("send_message", message)
        if from_address:
            message.from_address = from_address
        ids = [self.send(address, message) for address in to_addresses]
        return next((found for found in ids if found), None)

    def send_many(self, items: Sequence[tuple[str, Message]]
                  ) -> Sequence[BaseException | str | None]:
        """Deliver each ``(address, message)`` item; one result per item, in
        order: the exception it failed with, else what :meth:`send` returned
        (the provider's message id, or None).

        The default sends each item with :meth:`send`.  A backend whose
        service has a batch API overrides it (and sets ``SEND_MANY_LIMIT``);
        the pipeline then sends one-address deliveries through it (see
        :meth:`sends_in_batches`).  Configuration errors are raised, not
        returned: they concern every item.
        """
        for _address, message in items:
            self._require_message("send_many", message)
        results: list[BaseException | str | None] = []
        for address, message in items:
            try:
                results.append(self.send(address, message))
            except ImproperlyConfigured:
                raise
            except Exception as err:  # noqa: BLE001 - each item's failure is its result
                results.append(err)
        return results

    @classmethod
    def sends_in_batches(cls) -> bool:
        """Whether the backend has a batch call of its own: a ``send_many``
        other than the default one-``send``-per-item above."""
        return cls.send_many is not Backend.send_many

    def _require_message(self, method: str, message: Any) -> None:
        if not isinstance(message, Message):
            raise TypeError(
                f"{self.dotted_path()}.{method}() takes a django_vox.messages.Message, not "
                f"{type(message).__name__}" + (
                    " (the string form of django-vox 4.x is no longer accepted: build the "
                    "message with an instance, Backend().build_message(...))"
                    if isinstance(message, str) else "") + ".")

    def deliver(self, address: str, message: Message) -> str | None:
        """Hand ``message`` to the transport for ``address`` (already validated);
        return the provider's id of the message when it gives one (it is
        recorded on the delivery, and provider events find it by that id).

        Runs while the backend is open.  Raise a SendError for what the
        provider refused; exceptions listed in :meth:`transport_errors` are
        mapped by :meth:`map_transport_error`.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement deliver()")

    @contextlib.contextmanager
    def delivering(self, what: str) -> Iterator[None]:
        """Open the backend if it is closed (and close it again on the way
        out), and turn transport errors raised inside into send errors about
        ``what`` (the address or addresses)."""
        was_open = self.is_open
        try:
            if not was_open:
                self.open()
            yield
        except SendError:
            raise
        except self.transport_errors() as err:
            raise self.map_transport_error(err, what) from err
        finally:
            if not was_open:
                self.close()

    def transport_errors(self) -> tuple[type[BaseException], ...]:
        """The exceptions :meth:`delivering` maps (``TRANSPORT_ERRORS``);
        override to add an SDK's exceptions, imported only when sending."""
        return self.TRANSPORT_ERRORS

    def map_transport_error(self, err: BaseException, what: str) -> SendError:
        """The send error for a transport exception: by default a timeout or
        an OS-level connection failure, which a later try may get past."""
        verbose = str(self.VERBOSE_NAME or self.ID or type(self).__name__)
        return TransientSendError(f"{verbose} delivery to {what} failed: "
                                  f"{type(err).__name__}: {err}")


def _spec_missing(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is None
    except ModuleNotFoundError:
        return True


def load_backend_class(path: str) -> type[Backend]:
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


def __getattr__(name: str) -> Any:
    # The 4.x helpers 4.x backends import from here (``base.template_from_string``,
    # ``AttachmentData``): a door to the compat side, which warns.  The
    # import-linter contract "compat" lists this import.
    if name in ("template_from_string", "AttachmentData"):
        from django_vox.compat import backends as vox4_backends

        return vox4_backends.legacy_helper(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
