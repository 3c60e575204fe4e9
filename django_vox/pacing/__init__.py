"""When to try again and how fast to send.

* :mod:`~django_vox.pacing.retryafter`: reading a ``Retry-After`` value
  (imports nothing of the package: the HTTP client uses it too);
* :mod:`~django_vox.pacing.retry`: retry delays and which failures are
  transient;
* :mod:`~django_vox.pacing.ratelimit`: per-backend rate limits.

These modules may import :mod:`django_vox.conf`, :mod:`django_vox.exceptions`
and each other, nothing else of the package.  ``django_vox.retry`` and
``django_vox.ratelimit`` remain importable (see ``django_vox.__init__``).
"""
