"""The latency-bound case: background issues shared by several task workers.

The SMTP receiver (another process) answers each message ``--latency-delay-ms``
late (default 20 ms), as a relay on the network would, so sending is bound by
latency, not CPU.  The same N individual emails are sent

* by the plain-Django loop on one SMTP connection (``plain``: the floor of
  the other cases, in one process), and
* by one background issue (``DJANGO_VOX_ISSUE_METHOD = "django_vox.tasks.issue"``)
  taken by 1, 2 and 4 ``db_worker`` processes (django-tasks-db on PostgreSQL:
  ``db-1``, ``db-2``, ``db-4``) and by 2 RQ workers (django-tasks-rq on Redis
  at 127.0.0.1:6379: ``rq-2``).

A background run is timed from the moment the issue was enqueued to the
moment the receiver accepted the last message (both clocks are this
machine's), after a warm-up issue that every worker had a chunk of.  The chunk
size (``DJANGO_VOX_BATCH_SIZE``) is N / 40 by default (``--latency-chunk``), so
that four workers have ten chunks each.  Every configuration must deliver each
of the N members exactly one message and mark every delivery sent.  For the
background runs, ``mark_lag_ms`` is the time from the receiver accepting a
message to its delivery's ``sent_at`` (median, 99th percentile, highest): the
window in which a worker killed would leave a sent message marked queued, to
be sent again on recovery.

The runner emits one JSON line per configuration (``throughput`` in messages
per second) and a summary with the ratios ``db-4`` / ``db-1`` and ``db-4`` /
``plain`` against the issue's targets (≥ 3.5 and ≥ 3).
"""

import json
import socket
import statistics
import time

from bench.common import BenchFailure, check_arrivals
from bench.prepare import clear_log, clear_tasks, delivery_counts, warm_up
from bench.taskworkers import Pool, chunk_size, wait_for

CASE = "latency"
#: (name, task backend, workers); ``plain`` is the loop without workers.
CONFIGURATIONS = [("plain", None, 0), ("db-1", "db", 1), ("db-2", "db", 2), ("db-4", "db", 4),
                  ("rq-2", "rq", 2)]
TARGETS = {"workers_4_vs_1": 3.5, "workers_4_vs_plain": 3.0}
#: RQ's queue lives in a Redis database of its own (the rate-limit case uses 13,
#: the worker tests 15).
REDIS_URL = "redis://127.0.0.1:6379/14"


# -- in the worker processes ------------------------------------------------------
def prepare():
    """Empty the delivery log, the task table and the posts."""
    from bench.app.models import Post

    clear_log()
    clear_tasks()
    Post.objects.all().delete()
    return {"ok": True}


def issue(n):
    """Issue ``published`` to the first ``n`` members in the background."""
    from bench import cases
    from bench.app.registrations import PostRegistration

    warm_up()
    post = cases.make_post(n)
    enqueued_at = time.time()
    PostRegistration.published.issue(post)  # autocommit: enqueued when this returns
    return {"post": post.pk, "enqueued_at": enqueued_at}


def deliveries():
    """The log's counts by status, and when each address's delivery was marked sent."""
    from django_vox.models import Delivery

    marked = {address: sent_at.timestamp()
              for addresses, sent_at in Delivery.objects.filter(sent_at__isnull=False)
              .values_list("to_addresses", "sent_at") for address in addresses}
    return {"counts": delivery_counts(), "marked": marked}


def worker_main(argv):
    """The worker's entry for this case (after django.setup())."""
    if argv[0] == "--latency-prepare":
        return prepare()
    if argv[0] == "--latency-issue":
        return issue(int(argv[1]))
    return deliveries()


def mark_lag(arrivals, marked):
    """Milliseconds from the receiver accepting each message to its delivery's
    ``sent_at`` (the window in which a killed worker leaves a sent message
    unmarked): median, 99th percentile and highest."""
    lags = sorted((marked[address] - moment) * 1000
                  for address, moment in arrivals["when"].items() if address in marked)
    if not lags:
        return {}
    return {"median": round(statistics.median(lags), 2),
            "p99": round(lags[min(len(lags) - 1, int(len(lags) * 0.99))], 2),
            "max": round(lags[-1], 2)}


# -- in the runner --------------------------------------------------------------
def unavailable():
    """Why this case cannot run here (PostgreSQL or Redis not answering), or None."""
    for what, port in (("PostgreSQL on 127.0.0.1:5432", 5432), ("Redis on 127.0.0.1:6379", 6379)):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                pass
        except OSError:
            return what
    return None


def flush_queue():
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter("rq:*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def background(runner, env, kind, count, n, chunk):
    """One background run; its measurement (the receiver's clock)."""
    db = "postgres"
    sink = runner.sinks["latency-smtp"]
    runner.worker(db, "--latency-prepare", env=env)
    if kind == "rq":
        flush_queue()
    pool = Pool(kind, count, env, runner.tmp)
    timeout = 120 + 3 * n * max(sink.delay_ms, 1) / 1000
    try:
        sink.reset()  # warm-up: every worker starts and imports what it needs
        runner.worker(db, "--latency-issue", count * chunk, env=env)
        wait_for(sink, count * chunk, pool, timeout)
        runner.worker(db, "--latency-prepare", env=env)
        sink.reset()
        issued = runner.worker(db, "--latency-issue", n, env=env)
        wait_for(sink, n, pool, timeout)
        arrivals = sink.command("arrivals")
        logged = runner.worker(db, "--latency-deliveries", env=env)
    finally:
        pool.stop()
        if kind == "rq":
            flush_queue()
    lost, doubled = check_arrivals(arrivals, n)
    deliveries = logged["counts"]
    if lost or doubled or deliveries != {"sent": n}:
        raise BenchFailure(f"latency {kind}-{count}: {len(lost)} lost (e.g. {lost[:3]}), "
                           f"{len(doubled)} doubled (e.g. {doubled[:3]}), deliveries {deliveries}")
    return max(arrivals["times"]) - issued["enqueued_at"], mark_lag(arrivals, logged["marked"])


def plain(runner, env, n):
    """The plain-Django loop on one connection, in one process (bench.worker times it)."""
    sink = runner.sinks["latency-smtp"]
    sink.reset()
    result = runner.worker("postgres", CASE, "floor", n, env=env)
    stats = sink.stats()
    if stats["messages"] != n or stats["recipients"] != n:
        raise BenchFailure(f"latency plain: {stats['messages']} of {n} messages arrived")
    return result["seconds"], None


def run(runner, n, *, chunk=0):
    """Every configuration at ``n``; returns (their lines, the summary)."""
    chunk = chunk_size(n, chunk)
    sink = runner.sinks["latency-smtp"]
    base = dict(runner.env("postgres"), BENCH_SMTP_PORT=str(sink.port),
                BENCH_BATCH_SIZE=str(chunk), BENCH_REDIS_URL=REDIS_URL)
    lines, throughput = [], {}
    for name, kind, count in CONFIGURATIONS:
        if kind is None:
            seconds, lag = plain(runner, base, n)
        else:
            env = dict(base, BENCH_ISSUE_METHOD="django_vox.tasks.issue", BENCH_TASKS=kind)
            seconds, lag = background(runner, env, kind, count, n, chunk)
        throughput[name] = round(n / seconds, 2)
        line = {"case": CASE, "config": name, "tasks": kind, "workers": count, "n": n,
                "db": "postgres", "delay_ms": sink.delay_ms, "chunk": chunk,
                "seconds": round(seconds, 3), "throughput": throughput[name]}
        if lag is not None:
            line["mark_lag_ms"] = lag
        runner.log.write("# " + json.dumps(line) + "\n")
        lines.append(line)
    ratios = {"workers_4_vs_1": round(throughput["db-4"] / throughput["db-1"], 3),
              "workers_4_vs_plain": round(throughput["db-4"] / throughput["plain"], 3)}
    summary = {"case": CASE, "n": n, "db": "postgres", "delay_ms": sink.delay_ms,
               "chunk": chunk, "throughput": throughput, **ratios, "targets": TARGETS,
               "target_met": all(ratios[key] >= TARGETS[key] for key in TARGETS)}
    return lines, summary
