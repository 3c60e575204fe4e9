"""django-vox benchmarks: our pipeline against plain Django doing the same work.

Run with ``make bench`` (``python -m bench --help`` for the options).  Every
measurement runs in a fresh worker process (``bench.worker``); the servers that
receive the messages (SMTP, HTTP, XMPP) run in other processes and count what
arrives, so a missing message is caught at the receiver.

The modules form layers, lowest first; a module imports only from the layers
below it (tests/test_bench_layout.py checks there is no import circle):

1. shared helpers: ``common`` (paths, the failure, the arrival check),
   ``prepare`` (what the worker processes do around a measurement),
   ``taskworkers`` (task-worker processes of the scale-out cases), ``axes``
   (the plots' scale), and the receivers and the site (``sinks``, ``xmpp``,
   ``settings``, ``urls``, ``app``);
2. the cases (``cases``, ``latency``, ``scale``) and the plots (``scaleplot``,
   then ``report``, which draws with it);
3. the entry points: ``runner`` (``python -m bench``) and ``worker`` (one
   measurement in a fresh process).
"""
