"""The issuing pipeline.

- :mod:`~django_vox.issuing.recipients`: recipient roles and keys, channels,
  contacts;
- :mod:`~django_vox.issuing.context`: the template context;
- :mod:`~django_vox.issuing.issue`: :class:`Issue`, one notification about one
  object, sent to everyone it reaches;
- :mod:`~django_vox.issuing.dispatch`: :class:`BackendSession`, sending logged
  rows and recording their outcomes;
- :mod:`~django_vox.issuing.policy`: the contact policy (recipients'
  preferences) installed when Django starts.

The names below are importable from ``django_vox.issuing`` as before the split.
"""

from django_vox.exceptions import IssueError, RequiredNotificationError
from django_vox.issuing.context import build_context
from django_vox.issuing.dispatch import (
    BackendSession,
    describe_error,
    record_failures,
    send_deliveries,
)
from django_vox.issuing.issue import (
    Issue,
    check_required,
    get_issue_method,
    issue_now,
    rendering_without_writes,
    resolve_dotted,
    validate_issue,
    when_committed,
)
from django_vox.issuing.policy import install_contact_policy

__all__ = [
    "BackendSession",
    "Issue",
    "IssueError",
    "RequiredNotificationError",
    "build_context",
    "check_required",
    "describe_error",
    "get_issue_method",
    "install_contact_policy",
    "issue_now",
    "record_failures",
    "rendering_without_writes",
    "resolve_dotted",
    "send_deliveries",
    "validate_issue",
    "when_committed",
]
