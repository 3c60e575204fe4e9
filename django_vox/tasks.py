"""Background delivery: the public face of :mod:`django_vox.background.tasks`.

``DJANGO_VOX_ISSUE_METHOD = "django_vox.tasks.issue"`` and the task paths that
earlier versions stored in queued task rows (``django_vox.tasks.deliver``,
``send_chunk``, ``send_due``, ``send_digests_task``) resolve here to the very
same objects, so a task queued before an upgrade still runs after it.
"""

from django_vox.background.tasks import *  # noqa: F403  (the names of its __all__)
from django_vox.background.tasks import __all__  # noqa: F401
