"""Digests: messages held back and sent together per recipient and window.

Lowest module first:

* :mod:`~django_vox.digests.options`: a template's digest options (an
  abstract model the :class:`~django_vox.models.Template` model extends);
  imports only :mod:`django_vox.pacing`;
* :mod:`~django_vox.digests.content`: a digest's default subject and content
  (for every kind of backend) and its variables;
* :mod:`~django_vox.digests.holding`: deciding at issue time whether a message
  is held for a digest; imports conf, the models and rate limits;
* :mod:`~django_vox.digests.closing`: closing due windows and sending the
  digests (:func:`send_digests`); sits above issuing.

The names of ``closing`` (``send_digests``, ``DigestRun``...) are importable
from ``django_vox.digests`` as before, loaded on first use (PEP 562) so that
the models can import ``options`` without pulling in the issuing pipeline.
"""

import importlib

__all__ = ["DEFAULT_CONTENT", "DEFAULT_SUBJECT", "DigestRun", "default_digest",
           "describe_digest_context", "digest_context", "digest_source", "send_digests"]
#: Where each name lives (describing a digest's context is the visibility module's job).
_HOMES = {name: f"{__name__}.closing" for name in __all__}
_HOMES["describe_digest_context"] = "django_vox.templating.visibility"


def __getattr__(name):
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOMES[name]), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
