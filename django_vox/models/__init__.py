"""django-vox's models, one module per concept (all importable from here):

* :mod:`~django_vox.models.notifications`: notifications and their templates;
* :mod:`~django_vox.models.contacts`: site contacts;
* :mod:`~django_vox.models.deliveries`: the delivery log's rows;
* :mod:`~django_vox.models.activities`: activities and inbox items;
* :mod:`~django_vox.models.preferences`: recipients' preferences;
* :mod:`~django_vox.models.background`: background issues and their chunks.

At module level these modules import only what lies below them in the layers:
the plain ``messages`` dataclasses, the digest options
(:mod:`django_vox.digests.options`) and the backend registry's names of
protocols (for ``__str__``).  The conveniences that reach up
(``Notification.issue``, ``issue_now``, ``preview``, ``Delivery.resend``,
``Activity.as_document``) import what they need when called.
"""

# Django registers the models in this order, as when they were one module.
# isort: off
from django_vox.models.notifications import (
    Notification,
    OneTimeNotification,
    Template,
    TemplateAttachment,
)
from django_vox.models.contacts import SiteContact, SiteContactSetting
from django_vox.models.deliveries import Delivery, FailedMessage
from django_vox.models.activities import Activity, InboxItem
from django_vox.models.preferences import Preference
from django_vox.models.background import BackgroundIssue, IssueChunk
# isort: on

__all__ = [
    "Notification", "Template", "TemplateAttachment", "SiteContact",
    "SiteContactSetting", "Delivery", "FailedMessage", "Activity", "InboxItem",
    "Preference", "OneTimeNotification", "BackgroundIssue", "IssueChunk",
]


def __getattr__(name):  # the 4.x legacy model API: a door to compat (import-linter "compat")
    if name in ("VoxModel", "VoxNotification", "VoxNotifications"):
        from django_vox.compat import models as vox4_models
        return getattr(vox4_models, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
