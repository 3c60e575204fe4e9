"""Helpers the tests import or start as processes; no tests live here.

``as2``: ActivityStreams 2.0 document checks; ``worker_settings``,
``worker_backends`` and ``worker_issue``: the settings, backends and issuing
script of the task-worker processes the ``workers`` tests start.
"""
