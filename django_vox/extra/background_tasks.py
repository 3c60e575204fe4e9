"""The 4.x background issue method, now served by :mod:`django_vox.tasks`.

``DJANGO_VOX_ISSUE_METHOD = "django_vox.extra.background_tasks.issue"`` keeps
working: notifications go to the Django Tasks backend named by
``DJANGO_VOX_TASK_BACKEND`` (4.x used django-background-tasks), so run that
backend's worker instead of ``process_tasks``.  Point the setting at
``"django_vox.tasks.issue"`` to drop the deprecation warning.
"""

import warnings

from django_vox import tasks

__all__ = ["issue"]


def issue(notification, obj, *, actor=None, target=None):
    """Issue ``notification`` about ``obj`` in a task worker (see :func:`django_vox.tasks.issue`)."""
    warnings.warn(
        "django_vox.extra.background_tasks.issue is deprecated; set DJANGO_VOX_ISSUE_METHOD "
        "to 'django_vox.tasks.issue'.", DeprecationWarning, stacklevel=2)
    return tasks.issue(notification, obj, actor=actor, target=target)
