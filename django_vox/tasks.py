"""Background delivery: the public face of :mod:`django_vox.background.tasks`.

``DJANGO_VOX_ISSUE_METHOD = "django_vox.tasks.issue"`` and the task paths that
earlier versions stored in queued task rows (``django_vox.tasks.deliver``,
``send_chunk``, ``send_due``, ``send_digests_task``) resolve here to the very
same objects, so a task queued before an upgrade still runs after it.
"""

from django_vox.background.tasks import (
    STALE_AFTER,
    deliver,
    enqueue_retry,
    issue,
    load_ref,
    model_ref,
    queue_resend,
    recover,
    recover_issues,
    resend,
    send_chunk,
    send_digests_task,
    send_due,
    start_digests,
)

__all__ = [
    "STALE_AFTER",
    "deliver",
    "enqueue_retry",
    "issue",
    "load_ref",
    "model_ref",
    "queue_resend",
    "recover",
    "recover_issues",
    "resend",
    "send_chunk",
    "send_digests_task",
    "send_due",
    "start_digests",
]
