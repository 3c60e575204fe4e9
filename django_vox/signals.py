"""Signals for extending django-vox.  Sent with ``send_robust``."""

from django.dispatch import Signal

#: Sent after a delivery succeeded: ``delivery`` (a Delivery row), ``backend`` (its ID).
message_sent = Signal()
#: Sent after a delivery failed: ``delivery``, ``backend`` (its ID), ``error``.
message_failed = Signal()
