"""Background delivery on Django's Tasks framework.

* :mod:`~django_vox.background.chunks`: a large issue split into chunks that
  workers send (their rows are :class:`django_vox.models.IssueChunk`);
* :mod:`~django_vox.background.tasks`: the tasks themselves, the retry
  callback and the recovery of abandoned work; the only module that imports
  the Tasks framework.

Their models live in :mod:`django_vox.models.background`.  This package may
import everything below it (issuing, the delivery log, digests, resending);
nothing but the task face ``django_vox.tasks`` and the management commands
import it.
"""
