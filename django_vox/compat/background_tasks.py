"""The 4.x background issue method (``django_vox.extra.background_tasks.issue``),
now served by :mod:`django_vox.tasks`.

``DJANGO_VOX_ISSUE_METHOD = "django_vox.extra.background_tasks.issue"`` keeps
working: notifications go to the Django Tasks backend named by
``DJANGO_VOX_TASK_BACKEND`` (4.x used django-background-tasks), so run that
backend's worker instead of ``process_tasks``.  Point the setting at
``"django_vox.tasks.issue"`` to drop the deprecation warning.
"""

from django_vox import tasks
from django_vox.compat import deprecated

__all__ = ["issue"]


def issue(notification, obj, *, actor=None, target=None):
    """Issue ``notification`` about ``obj`` in a task worker (see :func:`django_vox.tasks.issue`)."""
    deprecated("django_vox.extra.background_tasks.issue",
               "set DJANGO_VOX_ISSUE_METHOD to 'django_vox.tasks.issue'.")
    return tasks.issue(notification, obj, actor=actor, target=target)
