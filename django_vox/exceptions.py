"""The exceptions django-vox raises.

Send errors (:class:`SendError` and subclasses) are what a delivery can fail
with; they are recorded on the delivery log.  Configuration errors are
``ImproperlyConfigured`` subclasses so that "throw or log" handling of send
errors never hides a misconfiguration.
"""

from typing import Any

from django.core.exceptions import ImproperlyConfigured

__all__ = [
    "VoxError",
    "SendError",
    "TransientSendError",
    "PermanentSendError",
    "InvalidAddress",
    "BackendNotAvailable",
    "MissingDependency",
    "TemplateRenderError",
    "IssueError",
    "RequiredNotificationError",
    "ActivityIRIError",
    "BadToken",
    "PreviewError",
    "PlanningTakenOver",
    "RemovedInDjangoVox6Warning",
]


class VoxError(Exception):
    """Base class of every error django-vox raises on its own account."""


class SendError(VoxError):
    """A delivery failed.

    ``transient`` says whether trying again later may succeed (a timeout, a
    refused connection, HTTP 429/5xx, SMTP 4xx).  ``status`` and ``body``
    carry what the provider answered, when it answered; ``retry_after`` the
    seconds it asked to wait (its ``Retry-After``), which slows down the
    backend's rate limit for every sender.
    """

    transient: bool = False

    def __init__(self, message: Any, *, status: int | None = None, code: Any = None,
                 body: Any = None, transient: bool | None = None,
                 retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.body = body
        self.retry_after = retry_after
        if transient is not None:
            self.transient = transient

    def __str__(self) -> str:
        parts = [str(self.message)]
        if self.status is not None:
            parts.append(f"status {self.status}")
        if self.code is not None:
            parts.append(f"code {self.code}")
        if self.body:
            body = self.body if isinstance(self.body, str) else repr(self.body)
            parts.append(f"response: {body[:500]}")
        return "; ".join(parts)


class TransientSendError(SendError):
    """A delivery failed in a way that may succeed when retried."""

    transient = True


class PermanentSendError(SendError):
    """A delivery failed in a way that retrying will not fix."""

    transient = False


class InvalidAddress(PermanentSendError):
    """The address is not valid for the backend's protocol."""

    def __init__(self, address: Any, reason: Any, *, protocol: str | None = None) -> None:
        where = f" for protocol {protocol!r}" if protocol else ""
        super().__init__(f"Invalid address {address!r}{where}: {reason}")
        self.address = address


class TemplateRenderError(PermanentSendError):
    """A template could not be compiled or rendered."""


class IssueError(VoxError, ValueError, RuntimeError):
    """A notification was issued with the wrong actor or target.

    A ``RuntimeError`` too, which is what django-vox 4.x raised for it.
    """


class RequiredNotificationError(VoxError, RuntimeError):
    """A required notification was issued but would send nothing.

    A ``RuntimeError`` too, which is what django-vox raised before it had a
    class of its own.
    """


class ActivityIRIError(VoxError, ValueError):
    """An object has no IRI: its model has no regex, or its values do not fit it."""


class BadToken(VoxError, ValueError):
    """A link's token is malformed, tampered with, expired or names nothing."""


class PreviewError(VoxError):
    """The admin cannot preview a template; the message is for the editor."""


class PlanningTakenOver(VoxError):
    """A background issue's planner was thought dead and another took the issue
    over; this one stops (the other plans the rest)."""


class BackendNotAvailable(ImproperlyConfigured):
    """A backend is named but cannot be loaded or used."""


class MissingDependency(BackendNotAvailable):
    """A backend's optional dependency is not installed."""

    def __init__(self, backend_path: str, module: str, extra: str | None = None,
                 install: str | None = None) -> None:
        # install: the command that installs it, when the extra alone does not
        install = install or (f'pip install "django-vox[{extra}]"' if extra else "")
        hint = f" ({install})" if install else ""
        super().__init__(
            f"Backend {backend_path} needs the Python package providing "
            f"{module!r}, which is not installed{hint}."
        )
        self.backend_path = backend_path
        self.module = module
        self.extra = extra


class RemovedInDjangoVox6Warning(DeprecationWarning):
    """Emitted by each django-vox 4.x compatibility shim (:mod:`django_vox.compat`);
    the message names the replacement.  django-vox 6.0 removes the shims.

    Defined here rather than in the compat package so that a project can turn
    it into an error (``-W error::django_vox.exceptions.RemovedInDjangoVox6Warning``)
    without importing the shims."""
