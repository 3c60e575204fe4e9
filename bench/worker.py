"""One measurement in a fresh process: ``python -m bench.worker CASE IMPL N``.

Prints one JSON line with the time (wall and CPU), the queries and the memory
of the measured call.  ``python -m bench.worker --setup MAX_N WEBHOOK_BASE
JID_PREFIX`` prepares the database instead.  Settings come from the
environment (see ``bench.settings``).
"""

import json
import os
import resource
import sys
import time

from bench import latency, scale
from bench.prepare import clear_log, clear_tasks, warm_up


def _rss_bytes(field):
    """VmRSS or VmHWM (peak) of this process, from /proc; None elsewhere."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _reset_peak_rss():
    """Make VmHWM start again from the current RSS (Linux ≥ 4.0)."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
        return True
    except OSError:
        return False


class GcTimer:
    """Time spent in the garbage collector (gc.callbacks), to tell it from our own work."""

    def __init__(self):
        self.seconds = 0.0
        self.collections = 0
        self._start = None

    def __call__(self, phase, info):
        if phase == "start":
            self._start = time.perf_counter()
        elif self._start is not None:
            self.seconds += time.perf_counter() - self._start
            self.collections += 1
            self._start = None

    def __enter__(self):
        import gc

        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc):
        import gc

        gc.callbacks.remove(self)


class QueryCounter:
    """An execute_wrapper counting statements (an executemany counts once)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def _queued_tasks():
    """Tasks waiting in django-tasks-db's table (the enqueue case checks it got one)."""
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.count()


def measure(case, impl, n):
    import gc

    from django.db import connection

    from bench import cases  # its models need django.setup()

    func = cases.IMPLEMENTATIONS[(case, impl)]
    warm_up()
    clear_log()
    clear_tasks()
    post = cases.make_post(n)
    prepare = getattr(func, "prepare", None)  # untimed set-up of a case (bench.suppressed)
    if prepare is not None:
        post = prepare(post)
    connection.ensure_connection()
    gc.collect()
    counter = QueryCounter()
    peak_reset = _reset_peak_rss()
    baseline = _rss_bytes("VmRSS")
    wall, cpu = time.perf_counter(), time.process_time()
    with connection.execute_wrapper(counter), GcTimer() as gc_timer:
        func(post)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak = _rss_bytes("VmHWM") if peak_reset else None
    if peak is None:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    extra = {"enqueued": _queued_tasks()} if case == "enqueue" else {}
    return {
        **extra,
        "impl": impl, "case": case, "n": n,
        "seconds": round(wall, 6), "cpu_seconds": round(cpu, 6),
        "queries": counter.count,
        "gc_seconds": round(gc_timer.seconds, 6), "gc_collections": gc_timer.collections,
        "peak_rss": peak, "baseline_rss": baseline,
        "rss_delta": (peak - baseline) if baseline is not None else None,
    }


def main(argv):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    if "enqueue" in argv[:2]:
        os.environ["BENCH_ISSUE_METHOD"] = "django_vox.tasks.issue"
    import django

    django.setup()
    if argv[0] == "--setup":
        from bench.cases import setup_database

        print(setup_database(int(argv[1]), argv[2], argv[3]), flush=True)
        return
    if argv[0] == "--profile":
        return profile(argv[1], argv[2], int(argv[3]), argv[4])
    if argv[0].startswith("--latency-"):
        print(json.dumps(latency.worker_main(argv)), flush=True)
        return
    if argv[0].startswith("--rate-limit-"):
        print(json.dumps(scale.worker_main(argv)), flush=True)
        return
    case, impl, n = argv[0], argv[1], int(argv[2])
    print(json.dumps(measure(case, impl, n)), flush=True)


def profile(case, impl, n, output):
    """Run one measurement under pyinstrument and write its text report to ``output``."""
    try:
        from pyinstrument import Profiler
    except ImportError:
        raise SystemExit("--profile needs pyinstrument: run it through `make bench` "
                         "or `pip install pyinstrument`") from None

    from bench import cases

    warm_up()
    clear_log()
    post = cases.make_post(n)
    profiler = Profiler(interval=0.001)
    profiler.start()
    cases.IMPLEMENTATIONS[(case, impl)](post)
    profiler.stop()
    with open(output, "w") as out:
        out.write(profiler.output_text(unicode=True, color=False,
                                       show_all=bool(os.environ.get("BENCH_PROFILE_ALL"))))


if __name__ == "__main__":
    main(sys.argv[1:])
