"""The latency-bound case: one issue over many connections, in many ways.

The SMTP receiver (another process) answers each message's data
``--latency-delay-ms`` late (default 20 ms), as a relay on the network would,
so sending is bound by latency, not CPU.  The same N individual emails are
sent, with the default settings apart from the number of workers and of
connections (``DJANGO_VOX_CONCURRENCY``):

* ``plain``: the plain-Django loop on one SMTP connection (the floor of the
  other cases, in one process);
* ``inprocess`` / ``inprocess-c4``: our issue in one process, on one and on
  four connections;
* ``db-1``, ``db-2``, ``db-4``: one background issue
  (``DJANGO_VOX_ISSUE_METHOD = "django_vox.tasks.issue"``) taken by 1, 2 and
  4 ``db_worker`` processes (django-tasks-db on PostgreSQL), one connection
  each; ``db-1-c4`` and ``db-4-c4``: the same with four connections per
  worker; ``rq-2``: 2 RQ workers (django-tasks-rq on Redis at 127.0.0.1:6379).

A background run is timed from the moment the issue was enqueued to the
moment the receiver accepted the last message (both clocks are this
machine's), after a warm-up issue that every worker had a chunk of.  Chunks
are the setting's default (sized from the issue) unless ``--latency-chunk``
says otherwise.  Every configuration must deliver each of the N members
exactly one message and mark every delivery sent.  For the background runs,
``mark_lag_ms`` is the time from the receiver accepting a message to its
delivery's ``sent_at`` (median, 99th percentile, highest): the window in
which a worker killed would leave a sent message marked queued.

Each configuration runs ``--latency-repeats`` times (3 by default), in turn;
the runner emits one JSON line per configuration with the median throughput
(messages per second), the runs' throughputs, and ``limit``: what the
connections could carry at most, connections × 1 / (round trips × delay)
(one round trip per message is delayed), then a summary with the ratios
against the issue's targets.
"""

import json
import os
import socket
import statistics
import time

from bench.common import BenchFailure, check_arrivals
from bench.prepare import clear_log, clear_tasks, delivery_counts, warm_up
from bench.taskworkers import Pool, wait_for

CASE = "latency"
#: name: (how it sends, worker processes, connections each).  ``plain`` and
#: ``inprocess`` send in one process (the bench worker times them).
CONFIGURATIONS = {
    "plain": ("floor", 0, 1),
    "inprocess": ("ours", 0, 1),
    "inprocess-c4": ("ours", 0, 4),
    "db-1": ("db", 1, 1),
    "db-2": ("db", 2, 1),
    "db-4": ("db", 4, 1),
    "db-1-c4": ("db", 1, 4),
    "db-4-c4": ("db", 4, 4),
    "rq-2": ("rq", 2, 1),
}
#: The ratios of median throughputs the issue asks for (issue 35), and the
#: configurations each compares.
TARGETS = {"workers_4_vs_1": 3.5, "connections_4_vs_plain": 3.0,
           "workers_4_c4_vs_plain": 10.0}
RATIOS = {"workers_4_vs_1": ("db-4", "db-1"), "connections_4_vs_plain": ("db-1-c4", "plain"),
          "workers_4_c4_vs_plain": ("db-4-c4", "plain"), "workers_4_vs_plain": ("db-4", "plain"),
          "inprocess_vs_plain": ("inprocess", "plain")}
#: Round trips per message the receiver delays (its answer to the data).
ROUND_TRIPS = 1
#: A warm-up issue gives each worker one chunk of the default size's floor:
#: this many contacts per connection (django_vox.background.chunks.MIN_CHUNK,
#: which the default multiplies by the connections).
WARM_UP_CHUNK = 20
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
    """One background run; its measurement (the receiver's clock).
    ``chunk`` is the warm-up's chunk size (one chunk per worker)."""
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


def in_process(runner, env, impl, n):
    """The plain-Django loop (``floor``) or our issue (``ours``), in one
    process on one or more connections (bench.worker times it)."""
    sink = runner.sinks["latency-smtp"]
    sink.reset()
    result = runner.worker("postgres", CASE, impl, n, env=env)
    stats = sink.stats()
    arrivals = sink.command("arrivals")
    lost, doubled = check_arrivals(arrivals, n)
    if stats["messages"] != n or lost or doubled:
        raise BenchFailure(f"latency {impl}: {stats['messages']} of {n} messages arrived, "
                           f"{len(lost)} lost, {len(doubled)} doubled")
    return result["seconds"], None


def limit(delay_ms, workers, connections):
    """Messages per second the connections could carry: connections × 1 /
    (round trips × delay)."""
    return round(max(workers, 1) * connections / (ROUND_TRIPS * delay_ms / 1000), 1)


def measure(runner, base, name, n, chunk):
    """One run of configuration ``name``: (seconds, mark lag or None)."""
    kind, count, connections = CONFIGURATIONS[name]
    env = dict(base, BENCH_CONCURRENCY=str(connections))
    if kind in ("floor", "ours"):
        return in_process(runner, env, kind, n)
    env.update(BENCH_ISSUE_METHOD="django_vox.tasks.issue", BENCH_TASKS=kind)
    return background(runner, env, kind, count, n, chunk or WARM_UP_CHUNK * connections)


def run(runner, n, *, chunk=0, repeats=3, configs=None):
    """Every configuration at ``n``, ``repeats`` times in turn; returns (one
    line per configuration with the medians, the summary)."""
    sink = runner.sinks["latency-smtp"]
    base = dict(runner.env("postgres"), BENCH_SMTP_PORT=str(sink.port), BENCH_REDIS_URL=REDIS_URL)
    if chunk:
        base["BENCH_CHUNK_SIZE"] = str(chunk)
    names = [name for name in CONFIGURATIONS if configs is None or name in configs]
    runs = {name: [] for name in names}
    for repeat in range(repeats):
        for name in names:
            seconds, lag = measure(runner, base, name, n, chunk)
            runs[name].append((seconds, lag))
            runner.log.write(f"# latency {name} run {repeat + 1}: {seconds:.3f} s, "
                             f"{n / seconds:.1f}/s, mark lag {lag}\n")
    lines, throughput = [], {}
    for name in names:
        kind, count, connections = CONFIGURATIONS[name]
        seconds = statistics.median(s for s, _lag in runs[name])
        throughput[name] = round(n / seconds, 2)
        line = {"case": CASE, "config": name, "tasks": kind, "workers": count,
                "connections": connections, "n": n, "db": "postgres",
                "delay_ms": sink.delay_ms, "chunk": chunk or "default", "repeats": repeats,
                "seconds": round(seconds, 3), "throughput": throughput[name],
                "throughputs": [round(n / s, 2) for s, _lag in runs[name]],
                "limit": limit(sink.delay_ms, count, connections)}
        lags = [lag for _s, lag in runs[name] if lag]
        if lags:
            line["mark_lag_ms"] = {key: max(lag[key] for lag in lags) if key != "median"
                                   else statistics.median(lag[key] for lag in lags)
                                   for key in lags[0]}
        runner.log.write("# " + json.dumps(line) + "\n")
        lines.append(line)
    ratios = {key: round(throughput[a] / throughput[b], 3) for key, (a, b) in RATIOS.items()
              if a in throughput and b in throughput}
    summary = {"case": CASE, "n": n, "db": "postgres", "delay_ms": sink.delay_ms,
               "chunk": chunk or "default", "repeats": repeats, "throughput": throughput,
               "limit": {line["config"]: line["limit"] for line in lines},
               "load_average": load_average(), **ratios, "targets": TARGETS,
               "target_met": all(ratios.get(key, 0) >= TARGETS[key] for key in TARGETS)}
    return lines, summary


def load_average():
    """The host's 1, 5 and 15 minute load averages (shared machines: say how busy)."""
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except OSError:
        return None
