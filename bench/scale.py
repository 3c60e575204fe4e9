"""The rate-limit case: several senders share one backend's limit.

``DJANGO_VOX_RATE_LIMITS = {"email-html": "LIMIT/s"}`` is held in a shared
cache (Redis at 127.0.0.1:6379 when it answers, else the database cache) and
N is ``limit × duration``, so each run should last ``duration`` seconds.  It
runs with two kinds of sender (``--rate-senders``):

``workers``
    One background issue to all N members (``django_vox.tasks.issue``),
    split into chunks of N / 40 that ``processes`` (default 4) django-tasks-db
    ``db_worker`` processes take, on PostgreSQL: how production shares a
    limit.  Reported too: how many of the issue's tasks (the planner, which
    sends the last chunk, and one per other chunk) each worker ran.
``processes``
    ``processes`` plain processes each issue one post in-process to their
    own slice of the members, all starting at the same moment.

The SMTP receiver notes when each message arrives and to whom; from that the
runner reports the measured rate (messages after the first, over the time
from the first to the last arrival), its spread (the number of messages in
each whole second from the first arrival: min, max, standard deviation) and
checks that every member got exactly one message and every delivery is
marked sent.

The processes are ``python -m bench.worker --rate-limit-part POST START_AT``;
``--rate-limit-prepare N PARTS``, ``--rate-limit-issue POST``,
``--rate-limit-deliveries`` and ``--rate-limit-chunks`` are their set-up,
the background issue and the checks.  Nothing here is timed by the worker:
the receiver's clock decides.
"""

import json
import math
import socket
import statistics
import subprocess
import sys
import time

from bench.common import ROOT, BenchFailure, check_arrivals
from bench.prepare import clear_log, clear_tasks, delivery_counts, warm_up
from bench.taskworkers import Pool, chunk_size, wait_for

CASE = "rate-limit"
SENDERS = ("workers", "processes")
#: The rate must land within this share of the limit (the issue's target).
TOLERANCE = 0.05
REDIS_URL = "redis://127.0.0.1:6379/13"


# -- in the worker processes ------------------------------------------------------
def prepare(n, parts):
    """Empty the log and the limit's cache; one post per part over disjoint slices."""
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection

    from bench import cases
    from bench.app.models import Post

    clear_log()
    clear_tasks()
    if connection.settings_dict["ENGINE"].endswith("sqlite3"):
        with connection.cursor() as cursor:  # four writers: wait for each other's commits
            cursor.execute("PRAGMA journal_mode=WAL")
    if "DatabaseCache" in type(cache).__name__:
        call_command("createcachetable", verbosity=0)
    cache.clear()
    Post.objects.all().delete()
    share = math.ceil(n / parts)
    posts = []
    for part in range(parts):
        post = cases.make_post(min(share, n - part * share))
        post.offset = part * share
        post.save(update_fields=["offset"])
        posts.append(post.pk)
    return {"posts": posts}


def run_part(post_id, start_at):
    """Issue the ``paced`` notification of one post, starting at ``start_at``."""
    from bench.app.models import Post
    from bench.app.registrations import PostRegistration

    warm_up()
    post = Post.objects.get(pk=post_id)
    time.sleep(max(0.0, start_at - time.time()))
    started = time.perf_counter()
    PostRegistration.paced.issue(post)
    return {"post": post_id, "n": post.audience, "seconds": round(time.perf_counter() - started, 3)}


def issue_background(post_id):
    """Issue the ``paced`` notification of one post through the task workers."""
    from bench.app.models import Post
    from bench.app.registrations import PostRegistration

    PostRegistration.paced.issue(Post.objects.get(pk=post_id))  # autocommit: enqueued now
    return {"post": post_id}


def tasks_per_worker():
    """``{worker id: tasks of the issue it ran}`` (django-tasks-db records who ran what)."""
    from django_tasks_db.models import DBTaskResult

    counts = {}
    for worker_ids in DBTaskResult.objects.values_list("worker_ids", flat=True):
        for worker_id in worker_ids[-1:]:
            counts[worker_id] = counts.get(worker_id, 0) + 1
    return counts


def worker_main(argv):
    """The worker's entry for this case (after django.setup())."""
    if argv[0] == "--rate-limit-prepare":
        return prepare(int(argv[1]), int(argv[2]))
    if argv[0] == "--rate-limit-part":
        return run_part(int(argv[1]), float(argv[2]))
    if argv[0] == "--rate-limit-issue":
        return issue_background(int(argv[1]))
    if argv[0] == "--rate-limit-chunks":
        return tasks_per_worker()
    return delivery_counts()


# -- in the runner --------------------------------------------------------------
def shared_cache():
    """``redis:URL`` when Redis answers on 127.0.0.1:6379, else the database cache."""
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return f"redis:{REDIS_URL}"
    except OSError:
        return "db"


def measure(times, limit):
    """Rate and spread of the arrival ``times`` against ``limit`` per second."""
    times = sorted(times)
    if len(times) < 2:
        return {"rate": None, "per_second": [], "target_met": False}
    span = times[-1] - times[0]
    rate = (len(times) - 1) / span if span > 0 else math.inf
    seconds = int(span)  # whole seconds from the first arrival; the partial last one is left out
    per_second = [0] * seconds
    for moment in times:
        index = int(moment - times[0])
        if index < seconds:
            per_second[index] += 1
    spread = {"min": min(per_second), "max": max(per_second),
              "stdev": round(statistics.pstdev(per_second), 2)} if per_second else {}
    error = rate / limit - 1
    return {"rate": round(rate, 3), "rate_error": round(error, 4), "span_seconds": round(span, 3),
            "per_second": per_second, "spread": spread,
            "target_met": abs(error) <= TOLERANCE}


def part_timeline(arrivals, parts):
    """For each sender: its first and last arrival (seconds after the very first)."""
    when = arrivals["when"]
    origin = min(when.values(), default=0.0)
    timeline, offset = [], 0
    for part in parts:
        mine = [when[f"member{i}@bench.example"] for i in range(offset, offset + part["n"])
                if f"member{i}@bench.example" in when]
        offset += part["n"]
        if mine:
            timeline.append([round(min(mine) - origin, 3), round(max(mine) - origin, 3)])
    return timeline


def _in_processes(runner, db, env, n, processes, duration):
    """``processes`` senders issuing in-process at the same moment; their reports."""
    posts = runner.worker(db, "--rate-limit-prepare", n, processes, env=env)["posts"]
    runner.sinks["smtp"].reset()
    start_at = time.time() + 3.0  # time for every process to start and warm up
    children = [subprocess.Popen(
        [sys.executable, "-m", "bench.worker", "--rate-limit-part", str(post), str(start_at)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for post in posts]
    parts = []
    for child in children:
        out, err = child.communicate(timeout=duration * 4 + 120)
        if child.returncode != 0:
            raise BenchFailure(f"rate-limit sender failed (exit {child.returncode}):\n{err[-4000:]}")
        parts.append(json.loads(out.strip().splitlines()[-1]))
    return {"parts": parts}


def _in_workers(runner, db, env, n, processes, duration):
    """One background issue taken by ``processes`` db_workers; tasks per worker."""
    env = dict(env, BENCH_ISSUE_METHOD="django_vox.tasks.issue", BENCH_TASKS="db",
               BENCH_CHUNK_SIZE=str(chunk_size(n)))
    post = runner.worker(db, "--rate-limit-prepare", n, 1, env=env)["posts"][0]
    sink = runner.sinks["smtp"]
    pool = Pool("db", processes, env, runner.tmp)
    try:
        time.sleep(5.0)  # every worker started and polling before the issue
        pool.check()
        sink.reset()
        runner.worker(db, "--rate-limit-issue", post, env=env)
        wait_for(sink, n, pool, duration * 4 + 120)
    finally:
        pool.stop()
    chunks = runner.worker(db, "--rate-limit-chunks", env=env)
    return {"tasks_per_worker": sorted(chunks.values(), reverse=True)}


def run(runner, db, *, limit, duration, processes, senders="processes"):
    """Run the case with one kind of sender; return its summary."""
    n = int(limit * duration)
    env = dict(runner.env(db), BENCH_CACHE=runner.rate_cache,
               BENCH_RATE_LIMITS=json.dumps({"email-html": f"{limit}/s"}))
    sending = _in_workers if senders == "workers" else _in_processes
    details = sending(runner, db, env, n, processes, duration)
    arrivals = runner.sinks["smtp"].command("arrivals")
    if "parts" in details:
        details["part_arrivals"] = part_timeline(arrivals, details["parts"])
    lost, doubled = check_arrivals(arrivals, n)
    deliveries = runner.worker(db, "--rate-limit-deliveries", env=env)
    summary = {"case": CASE, "n": n, "db": db, "senders": senders, "limit": limit,
               "processes": processes, "duration": duration,
               "cache": runner.rate_cache.partition(":")[0], "lost": len(lost),
               "doubled": len(doubled), "deliveries": deliveries, **details,
               **measure(arrivals["times"], limit)}
    if lost or doubled or deliveries != {"sent": n}:
        raise BenchFailure(f"rate-limit {senders}: {len(lost)} lost (e.g. {lost[:3]}), "
                           f"{len(doubled)} doubled (e.g. {doubled[:3]}), deliveries {deliveries}")
    return summary
