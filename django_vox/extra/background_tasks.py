"""The 4.x issue method ``django_vox.extra.background_tasks.issue``.

Part of the compat side: the function is
:func:`django_vox.compat.background_tasks.issue`; it warns when called and is
removed in django-vox 6.0.
"""

from django_vox.compat.background_tasks import issue

__all__ = ["issue"]
