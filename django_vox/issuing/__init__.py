"""The issuing pipeline.

- :mod:`~django_vox.issuing.recipients`: recipient roles and keys, channels,
  contacts;
- :mod:`~django_vox.issuing.context`: the template context;
- :mod:`~django_vox.issuing.issue`: :class:`Issue`, one notification about one
  object, sent to everyone it reaches;
- :mod:`~django_vox.issuing.batches`: one template of an issue, batch by batch;
- :mod:`~django_vox.issuing.dispatch`: :class:`BackendSession`, sending logged
  rows and recording their outcomes;
- :mod:`~django_vox.issuing.policy`: the contact policy (recipients'
  preferences) installed when Django starts;
- :mod:`~django_vox.issuing.manual`: one-time messages (the admin's ``notify``
  action);
- :mod:`~django_vox.issuing.resending`: sending logged deliveries again (the
  one path of ``vox_resend``, the admin's resend and ``Delivery.resend()``);
  nothing else in the package imports it.

The names below are importable from ``django_vox.issuing`` as before the split.

May import digest holding, the delivery log, the registry, the models, the
backends and what is below them; never background delivery,
preferences or activities (preferences come in through the contact policy,
installed at startup).
"""

from django_vox.exceptions import IssueError, RequiredNotificationError
from django_vox.issuing.batches import rendering_without_writes
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
