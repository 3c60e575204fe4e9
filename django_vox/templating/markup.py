"""Markdown and html2text under a size limit and a time limit.

Python-Markdown and html2text take time that grows faster than their input
on some inputs, and the input is partly data (a customer's order note) and
partly an editor's template.  Measured worst cases (the examples of issue
34, on one core): a Markdown template of 1 KB of unclosed links
(``[a](`` repeated) takes 0.18 s and 4 KB takes 3.2 s (32 KB: minutes);
escaped data is slower per character than it is long (64 KB of escaped
backslashes: 5 s; 300 KB: far over 12 s); html2text on 16 KB of nested
``<ul><li>`` takes 3.5 s (90 KB: minutes).  No input size both admits
ordinary messages and bounds the time, so:

* text over ``RenderLimits.markup`` characters is refused before conversion;
* text up to :data:`INLINE_CHARACTERS` (1,000: at most about 0.2 s in the
  measured worst cases, and every ordinary short message) is converted in
  the calling thread;
* longer text is converted in a worker process (one per thread, started on
  first use, kept for the next message) that is killed when it takes more
  than ``RenderLimits.markup_seconds``: the message fails with
  :class:`~django_vox.templating.engine.TemplateLimitError` and no process
  keeps working on it.

So one message's data costs at most ``markup_seconds`` of conversion, in the
admin's preview as when sending (both go through the backends' conversion).
"""

import logging
import multiprocessing
import threading

from django_vox.templating import markupworker
from django_vox.templating.engine import TemplateLimitError, current_limits

__all__ = ["INLINE_CHARACTERS", "convert", "stop_worker"]

#: Text up to this many characters is converted in the calling thread.
INLINE_CHARACTERS = 1_000
#: Seconds a new worker process may take to start (import Python-Markdown).
_START_SECONDS = 60

_local = threading.local()
logger = logging.getLogger("django_vox")


class _Worker:
    """One worker process and the pipe to it."""

    def __init__(self):
        context = multiprocessing.get_context("spawn")
        self.connection, child = context.Pipe()
        self.process = context.Process(target=markupworker.serve, args=(child,), daemon=True,
                                       name="django-vox-markup")
        self.process.start()
        child.close()
        if not self.connection.poll(_START_SECONDS):
            self.stop()
            raise TemplateLimitError("The conversion worker did not start.")
        self.connection.recv()

    def call(self, converter, text, options, seconds):
        self.connection.send((converter, text, options))
        if not self.connection.poll(seconds):
            return None
        return self.connection.recv()

    def stop(self):
        self.process.kill()
        self.process.join()
        self.connection.close()


def stop_worker():
    """Stop this thread's worker process, if it has one."""
    worker = getattr(_local, "worker", None)
    _local.worker = None
    if worker is not None:
        worker.stop()


def _in_worker(converter, text, options, seconds, what):
    worker = getattr(_local, "worker", None)
    if worker is None or not worker.process.is_alive():
        try:
            worker = _local.worker = _Worker()
        except (AssertionError, OSError) as err:  # e.g. a daemonic process may not have children
            logger.warning("No conversion worker (%s): converting %s in the calling thread, "
                           "under the size limit only.", err, what)
            return markupworker.convert(converter, text, options)
    try:
        answer = worker.call(converter, text, options, seconds)
    except (OSError, EOFError):
        answer = None
        seconds = 0
    if answer is None:
        stop_worker()
        if seconds:
            raise TemplateLimitError(
                f"Converting the {what} took longer than {seconds:g} seconds.")
        raise TemplateLimitError(f"Converting the {what} stopped the conversion worker.")
    ok, result = answer
    if not ok:
        raise TemplateLimitError(f"Converting the {what} failed: {result}")
    return result


def convert(converter: str, text: str, options=(), *, what: str = "message") -> str:
    """``text`` converted by ``converter`` ("markdown" with ``options`` the
    extensions, or "html2text") within the limits (see the module)."""
    limits = current_limits()
    if len(text) > limits.markup:
        raise TemplateLimitError(
            f"The {what} is {len(text)} characters long; at most {limits.markup} are "
            f"converted.")
    if len(text) <= INLINE_CHARACTERS:
        return markupworker.convert(converter, text, options)
    return _in_worker(converter, text, tuple(options), limits.markup_seconds, what)
