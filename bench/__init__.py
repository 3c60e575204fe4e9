"""django-vox benchmarks: our pipeline against plain Django doing the same work.

Run with ``make bench`` (``python -m bench --help`` for the options).  Every
measurement runs in a fresh worker process (``bench.worker``); the servers that
receive the messages (SMTP, HTTP, XMPP) run in other processes and count what
arrives, so a missing message is caught at the receiver.
"""
