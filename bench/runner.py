"""Runs the cases side by side, checks the receivers, prints JSON lines.

For each case, N and database, each repeat runs the floor and ours (in
alternating order) in fresh worker processes; the receiving server's counters
are reset before and read after each run.  A run whose messages did not all
arrive stops the benchmark with exit status 1.  The medians of the repeats are
printed as one JSON line per implementation, then the ratio ours/floor.
"""

import argparse
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import inapp, latency, scale, suppressed
from bench.common import ROOT, BenchFailure

ALL_CASES = ["fanout-email", "bulk-email", "webhook", "xmpp", "memory", "enqueue",
             "background-email", "postmark-batch", "rate-limit", "latency", "fanout-suppressed",
             "inapp"]
DEFAULT_N = {
    "fanout-email": [100, 1000, 10000],
    "bulk-email": [100, 1000, 10000],
    "webhook": [100, 1000, 10000],
    "xmpp": [200],
    "memory": [10000],
    "enqueue": [10, 10000],
    "background-email": [1000],
    "postmark-batch": [1000],
    "rate-limit": [],  # N = --rate-limit × --rate-duration
    "latency": [1000],
    "fanout-suppressed": [10000],
    "inapp": [10000],
}
QUICK_N = {"fanout-email": [100], "bulk-email": [100], "webhook": [100], "xmpp": [50],
           "memory": [2000], "enqueue": [10], "background-email": [100],
           "postmark-batch": [1000], "rate-limit": [], "latency": [500],
           "fanout-suppressed": [1000],
           "inapp": [100]}
#: Postmark's batch endpoint takes up to this many messages per request.
POSTMARK_BATCH = 500
#: Cases run on every database asked for; the others on the first one only.
PER_DATABASE = {"fanout-email", "enqueue", "background-email", "inapp"}
TARGETS = {"fanout-email": 1.2, "bulk-email": 1.1, "webhook": 1.3, "xmpp": 1.5}
#: The implementations each case runs (floor and ours unless listed).  The
#: background case also runs our in-process issue: its target (issue 22) is the
#: background fan-out by one worker at most 1.15 × that.
IMPLS = {"enqueue": ["ours"], "background-email": ["floor", "ours", "inprocess"],
         "fanout-suppressed": ["unsuppressed", "ours"]}
INPROCESS_TARGET = 1.15
MEMORY_LIMIT = 60 * 1024 * 1024
#: What each case needs that may arrive later on another branch.
REQUIREMENTS = {
    "fanout-email": ("django_vox.backends.html_email", "the html_email backend"),
    "bulk-email": ("django_vox.backends.html_email", "the html_email backend"),
    "memory": ("django_vox.backends.html_email", "the html_email backend"),
    "webhook": ("django_vox.backends.json_webhook", "the json_webhook backend"),
    "xmpp": ("django_vox.backends.xmpp", "the xmpp backend"),
    "enqueue": ("django_vox.tasks", "the background issue method django_vox.tasks.issue"),
    "background-email": ("django_vox.tasks", "the task django_vox.tasks.deliver"),
    "postmark-batch": ("django_vox.backends.postmark_email", "the postmark_email backend"),
    "rate-limit": ("django_vox.ratelimit", "the rate limits (django_vox.ratelimit)"),
    "latency": ("django_tasks_rq", "django-tasks-rq (pip install django-vox[test])"),
    "fanout-suppressed": ("django_vox.tracking", "the suppression list (django_vox.tracking)"),
    "inapp": ("django_vox.backends.inapp", "the inapp backend"),
}


class Sink:
    """A receiver process from bench.sinks, driven over its stdin/stdout."""

    def __init__(self, kind, *args):
        self.kind = kind
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.sinks", kind, *args], cwd=ROOT,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()
        if not line:
            raise BenchFailure(f"The {kind} receiver did not start")
        info = json.loads(line)
        self.host, self.port = info["host"], info["port"]
        self.delay_ms = info.get("delay_ms", 0)

    def command(self, name):
        self.process.stdin.write(name + "\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def stats(self):
        return self.command("stats")

    def reset(self):
        self.command("reset")

    def stop(self):
        if self.process.poll() is None:
            try:
                self.process.stdin.write("quit\n")
                self.process.stdin.flush()
                self.process.wait(10)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()


def missing_requirement(case):
    """What a case lacks in this checkout, or None."""
    module, what = REQUIREMENTS[case]
    try:
        if importlib.util.find_spec(module) is None:
            return what
    except ModuleNotFoundError:
        return what
    if case == "latency" and latency.unavailable():
        return latency.unavailable()
    if case == "xmpp":
        try:
            from tests.fixtures.xmpp import ProsodyServer  # noqa: F401
        except ImportError:
            return "the Prosody fixture (tests/fixtures/xmpp.py ProsodyServer)"
        if importlib.util.find_spec("aioxmpp") is None:
            return "aioxmpp (pip install django-vox[xmpp])"
        if shutil.which("prosody") is None and not os.path.exists("/usr/bin/prosody"):
            return "the prosody server (apt-get install prosody)"
    return None


def ensure_postgres(name):
    import psycopg

    with psycopg.connect(host=os.environ.get("VOX_PG_HOST", "127.0.0.1"),
                         port=os.environ.get("VOX_PG_PORT", "5432"),
                         user=os.environ.get("VOX_PG_USER", "postgres"),
                         dbname="postgres", autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                                    (name,)).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')


class Runner:
    def __init__(self, options, out=sys.stdout, log=sys.stderr):
        self.options = options
        self.out = out
        self.log = log
        self.tmp = Path(tempfile.mkdtemp(prefix="django-vox-bench-"))
        self.sinks = {}
        self.xmpp = None
        self.results = []
        self.failures = []
        self.rate_cache = ""

    # -- infrastructure -----------------------------------------------------
    def env(self, db):
        env = dict(os.environ, DJANGO_SETTINGS_MODULE="bench.settings",
                   BENCH_DB=self.db_spec(db), PYTHONPATH=str(ROOT))
        if self.options.batch_size:
            env["BENCH_BATCH_SIZE"] = str(self.options.batch_size)
        if self.options.chunk_size:
            env["BENCH_CHUNK_SIZE"] = str(self.options.chunk_size)
        if self.options.sqlite_journal and db == "sqlite":
            env["BENCH_SQLITE_JOURNAL"] = self.options.sqlite_journal
        if "smtp" in self.sinks:
            env["BENCH_SMTP_PORT"] = str(self.sinks["smtp"].port)
        if "http" in self.sinks:
            env["BENCH_HTTP_PORT"] = str(self.sinks["http"].port)
        if self.xmpp is not None:
            env.update(self.xmpp.environment())
        return env

    def db_spec(self, db):
        if db == "postgres":
            return "postgres:" + self.options.pg_name
        return f"sqlite:{self.tmp / 'bench.sqlite3'}"

    def worker_raw(self, db, *args):
        return subprocess.run([sys.executable, "-m", "bench.worker", *map(str, args)], cwd=ROOT,
                              env=self.env(db), check=True)

    def worker(self, db, *args, env=None):
        result = subprocess.run([sys.executable, "-m", "bench.worker", *map(str, args)], cwd=ROOT,
                                env=env or self.env(db), capture_output=True, text=True)
        if result.returncode != 0:
            raise BenchFailure(f"bench.worker {' '.join(map(str, args))} failed "
                               f"(exit {result.returncode}):\n{result.stderr[-4000:]}")
        if result.stderr.strip():
            self.log.write(result.stderr)
        return json.loads(result.stdout.strip().splitlines()[-1])

    def start(self, cases):
        self.sinks["smtp"] = Sink("smtp")
        if "webhook" in cases or "postmark-batch" in cases:
            self.sinks["http"] = Sink("http")
        if "latency" in cases:
            self.sinks["latency-smtp"] = Sink("smtp", "--delay-ms",
                                              str(self.options.latency_delay_ms))
        if "rate-limit" in cases:
            self.rate_cache = scale.shared_cache()
        if "xmpp" in cases:
            from bench.xmpp import Prosody

            self.xmpp = Prosody(self.tmp / "prosody")
            self.xmpp.start()

    def stop(self):
        for sink in self.sinks.values():
            sink.stop()
        if self.xmpp is not None:
            self.xmpp.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def setup_db(self, db, max_n):
        if db == "postgres":
            ensure_postgres(self.options.pg_name)
        http = self.sinks.get("http")
        base = f"http://127.0.0.1:{http.port}/hook/" if http else "http://127.0.0.1:9/hook/"
        jid_prefix = self.xmpp.jid_prefix if self.xmpp else "bob@localhost/m"
        started = time.perf_counter()
        self.worker(db, "--setup", max_n, base, jid_prefix)
        self.log.write(f"# {db}: {max_n} members ready in {time.perf_counter() - started:.1f}s\n")

    # -- one case -------------------------------------------------------------
    def receiver(self, case):
        if case in ("webhook", "postmark-batch"):
            return self.sinks["http"]
        if case == "xmpp":
            return self.xmpp
        return self.sinks["smtp"]

    def expected(self, case, n):
        """(messages, recipients) that must arrive."""
        if case == "bulk-email":
            return 1, n
        if case == "enqueue":
            return 0, 0
        if case == "fanout-suppressed":
            return suppressed.delivered(n), suppressed.delivered(n)
        return n, n

    def run_once(self, case, impl, n, db):
        receiver = self.receiver(case)
        receiver.reset()
        result = self.worker(db, case, impl, n)
        stats = receiver.stats(n) if case == "xmpp" else receiver.stats()
        result.update(db=db, connections=stats["connections"],
                      messages_delivered=stats["recipients"],
                      messages=stats["messages"], requests=stats.get("requests"))
        if case == "enqueue" and result.get("enqueued") != 1:
            raise BenchFailure(f"enqueue N={n} on {db}: expected 1 queued task, "
                               f"found {result.get('enqueued')}")
        messages, recipients = self.expected(case, n)
        if stats["messages"] != messages or stats["recipients"] != recipients:
            raise BenchFailure(
                f"{case} {impl} N={n} on {db}: expected {messages} message(s) to {recipients} "
                f"recipient(s) at the receiver, got {stats['messages']} to {stats['recipients']}")
        self.log.write("# " + json.dumps(result) + "\n")
        return result

    def run_scale_case(self, case, n, db, variant=None):
        """The cases that are not floor against ours: their own lines and summary."""
        if case == "inapp":
            lines, summary = inapp.run(self, n, db)
            runs = {"configs": lines}
        elif case == "rate-limit":
            lines, runs = [], {}
            summary = scale.run(self, db, limit=self.options.rate_limit,
                                duration=self.options.rate_duration,
                                processes=self.options.rate_processes, senders=variant)
        else:
            lines, summary = latency.run(self, n, chunk=self.options.latency_chunk,
                                         repeats=self.options.latency_repeats,
                                         configs=self.options.latency_configs)
            runs = {"configs": lines}
        for line in [*lines, summary]:
            self.emit(line)
        self.results.append({"summary": summary, "medians": {}, "runs": runs})

    def run_case(self, case, n, db, variant=None):
        if case in ("rate-limit", "latency", "inapp"):
            return self.run_scale_case(case, n, db, variant)
        impls = IMPLS.get(case, ["floor", "ours"])
        runs = {impl: [] for impl in impls}
        for repeat in range(self.options.repeats):
            order = impls if repeat % 2 == 0 else impls[::-1]
            for impl in order:
                runs[impl].append(self.run_once(case, impl, n, db))
        medians = {impl: median_result(results) for impl, results in runs.items()}
        for impl in impls:
            self.emit(medians[impl])
        ours, floor = medians["ours"], medians.get("floor")
        summary = {"case": case, "n": n, "db": db, "repeats": self.options.repeats}
        if floor:
            summary["ratio"] = round(ours["seconds"] / floor["seconds"], 3)
            summary["cpu_ratio"] = round(ours["cpu_seconds"] / max(floor["cpu_seconds"], 1e-9), 3)
            summary.update(paired_ratios(runs["floor"], runs["ours"]))
            if case in TARGETS:
                summary["target"] = TARGETS[case]
                summary["target_met"] = summary["ratio"] <= TARGETS[case]
        summary.update(case_targets(case, n, medians, runs))
        self.emit(summary)
        self.results.append({"summary": summary, "medians": medians, "runs": runs})

    def emit(self, record):
        self.out.write(json.dumps(record) + "\n")
        self.out.flush()

    def profile(self, spec):
        """Profile one run (pyinstrument, installed in the venv) and print where time goes."""
        case, impl, n = spec.split(":")
        db = self.options.db[0]
        self.start([case])
        try:
            self.setup_db(db, int(n))
            output = self.tmp / "profile.txt"
            self.worker_raw(db, "--profile", case, impl, n, output)
            self.out.write(output.read_text())
        finally:
            self.stop()
        return 0

    # -- all ------------------------------------------------------------------
    def plan(self):
        cases = self.options.cases
        dbs = self.options.db
        plan = []
        for case in cases:
            for db in ["postgres"] if case == "latency" else (
                    dbs if case in PER_DATABASE else dbs[:1]):
                if case == "rate-limit":  # its N follows from the limit and the duration
                    plan.extend(self.rate_limit_plan(db))
                    continue
                for n in self.options.n or (QUICK_N if self.options.quick else DEFAULT_N)[case]:
                    plan.append((case, n, db))
        return plan

    def rate_limit_plan(self, db):
        """The rate-limit runs: task workers on PostgreSQL (when it and Redis
        answer), in-process senders on ``db``."""
        n = int(self.options.rate_limit * self.options.rate_duration)
        runs = []
        for senders in self.options.rate_senders:
            if senders == "workers":
                missing = latency.unavailable()
                if missing:
                    self.log.write(f"# rate-limit workers: not available: {missing}\n")
                    continue
                runs.append(("rate-limit", n, "postgres", "workers"))
            else:
                runs.append(("rate-limit", n, db, "processes"))
        return runs

    def run(self):
        available, plan = [], self.plan()
        for case in self.options.cases:
            missing = missing_requirement(case)
            if missing:
                self.emit({"case": case, "available": False,
                           "reason": f"not available: {missing}"})
                self.results.append({"summary": {"case": case, "available": False,
                                                 "reason": f"not available: {missing}"}})
            else:
                available.append(case)
        plan = [item for item in plan if item[0] in available]
        if not plan:
            return 0
        self.start(available)
        try:
            for db in dict.fromkeys(item[2] for item in plan):
                self.setup_db(db, max(item[1] for item in plan if item[2] == db))
            for case, n, db, *variant in plan:
                self.run_case(case, n, db, *variant)
        except BenchFailure as err:
            self.emit({"error": str(err)})
            self.log.write(f"BENCHMARK FAILED: {err}\n")
            return 1
        finally:
            self.stop()
        return 0


def case_targets(case, n, medians, runs):
    """The summary fields of the cases whose target is not ours / floor."""
    ours = medians["ours"]
    if "inprocess" in medians:
        inprocess = medians["inprocess"]
        ratio = round(ours["seconds"] / inprocess["seconds"], 3)
        return {"inprocess_ratio": ratio,
                "inprocess_cpu_ratio": round(ours["cpu_seconds"]
                                             / max(inprocess["cpu_seconds"], 1e-9), 3),
                "inprocess_paired": paired_ratios(runs["inprocess"], runs["ours"]),
                "inprocess_target": INPROCESS_TARGET, "target_met": ratio <= INPROCESS_TARGET}
    if case == "memory":
        return {"rss_limit": MEMORY_LIMIT, "target_met": ours["rss_delta"] <= MEMORY_LIMIT}
    if case == "postmark-batch":
        target = -(-n // POSTMARK_BATCH)
        return {"requests": [medians["floor"]["requests"], ours["requests"]],
                "target_requests": target, "target_met": ours["requests"] <= target}
    if case == "enqueue":
        return {"latency_seconds": ours["seconds"], "queries": ours["queries"]}
    if case == "fanout-suppressed":
        return suppressed.summary(medians)
    return {}


def paired_ratios(floor_runs, ours_runs):
    """The ours/floor ratio of each repeat (the two ran back to back), as
    ``paired_ratio`` (their median) and ``paired_range`` ([lowest, highest]).

    Beside the ratio of the medians, they show how much of a difference is the
    machine: a slow spell that hits one side of one repeat moves one paired
    ratio, and the range says by how much.
    """
    ratios = sorted(ours["seconds"] / max(floor["seconds"], 1e-9)
                    for floor, ours in zip(floor_runs, ours_runs, strict=True))
    return {"paired_ratio": round(statistics.median(ratios), 3),
            "paired_range": [round(ratios[0], 3), round(ratios[-1], 3)]}


def median_result(results):
    first = dict(results[0])
    for key in ("seconds", "cpu_seconds", "gc_seconds", "gc_collections", "queries", "peak_rss",
                "rss_delta", "connections", "messages_delivered", "requests"):
        values = [r[key] for r in results if r.get(key) is not None]
        if values:
            value = statistics.median(values)
            first[key] = round(value, 6) if isinstance(value, float) else value
    first["repeats"] = len(results)
    return first


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--cases", default=",".join(ALL_CASES),
                        help=f"comma-separated, from {', '.join(ALL_CASES)}")
    parser.add_argument("--n", default="", help="comma-separated N for every case "
                                                "(default: per case, see bench/runner.py)")
    parser.add_argument("--db", default="sqlite,postgres",
                        help="sqlite and/or postgres (fanout-email and enqueue run on each; "
                             "latency always on postgres; the other cases on the first)")
    parser.add_argument("--repeats", type=int, default=5, help="runs per implementation")
    parser.add_argument("--quick", action="store_true",
                        help="small N, one repeat, SQLite only: a check that everything runs")
    parser.add_argument("--save", default="", help="write every run and median to this JSON file")
    parser.add_argument("--docs", action="store_true",
                        help="also write docs/benchmarks-results.inc and docs/benchmarks.svg "
                             "from the results (implies --save docs/benchmarks.json)")
    parser.add_argument("--batch-size", type=int, default=0,
                        help="DJANGO_VOX_BATCH_SIZE for our side (default: the setting's 1000)")
    parser.add_argument("--chunk-size", type=int, default=0,
                        help="DJANGO_VOX_CHUNK_SIZE for our side (default: the setting's, "
                             "sized from the issue)")
    parser.add_argument("--pg-name", default="django_vox_bench")
    parser.add_argument("--sqlite-journal", default="", choices=["", "delete", "wal"],
                        help="SQLite's journal_mode for every run (default: the file's own, "
                             "delete unless a case set wal)")
    parser.add_argument("--rate-limit", type=int, default=50,
                        help="rate-limit case: messages per second allowed (default 50)")
    parser.add_argument("--rate-duration", type=float, default=60,
                        help="rate-limit case: seconds the run should last at that rate "
                             "(default 60; --quick: 5)")
    parser.add_argument("--rate-processes", type=int, default=4,
                        help="rate-limit case: sender processes sharing the limit (default 4)")
    parser.add_argument("--rate-senders", default=",".join(scale.SENDERS),
                        help="rate-limit case: comma-separated, from workers (db_workers "
                             "taking one background issue, on PostgreSQL) and processes "
                             "(in-process issues); default both")
    parser.add_argument("--latency-delay-ms", type=float, default=20,
                        help="latency case: the SMTP receiver answers each message this late "
                             "(default 20)")
    parser.add_argument("--latency-chunk", type=int, default=0,
                        help="latency case: DJANGO_VOX_CHUNK_SIZE, contacts per chunk "
                             "(default: the setting's default, sized from the issue)")
    parser.add_argument("--latency-repeats", type=int, default=3,
                        help="latency case: runs of each configuration, in turn (default 3; "
                             "--quick: 1); the medians are reported")
    parser.add_argument("--latency-configs", default=",".join(latency.CONFIGURATIONS),
                        help="latency case: comma-separated configurations, from "
                             f"{', '.join(latency.CONFIGURATIONS)} (default all)")
    parser.add_argument("--profile", default="",
                        help="CASE:IMPL:N - profile one run with pyinstrument and print it")
    options = parser.parse_args(argv)
    options.cases = [c.strip() for c in options.cases.split(",") if c.strip()]
    unknown = [c for c in options.cases if c not in ALL_CASES]
    if unknown:
        parser.error(f"unknown case(s): {', '.join(unknown)}")
    options.n = [int(x) for x in options.n.split(",") if x.strip()]
    options.db = [d.strip() for d in options.db.split(",") if d.strip()]
    options.rate_senders = [s.strip() for s in options.rate_senders.split(",") if s.strip()]
    if set(options.rate_senders) - set(scale.SENDERS):
        parser.error(f"--rate-senders: choose from {', '.join(scale.SENDERS)}")
    options.latency_configs = [c.strip() for c in options.latency_configs.split(",") if c.strip()]
    if set(options.latency_configs) - set(latency.CONFIGURATIONS):
        parser.error(f"--latency-configs: choose from {', '.join(latency.CONFIGURATIONS)}")
    if options.quick:
        options.repeats = 1 if "--repeats" not in " ".join(argv) else options.repeats
        if "--db" not in " ".join(argv):
            options.db = ["sqlite"]
        if "--rate-duration" not in " ".join(argv):
            options.rate_duration = 5
        if "--latency-repeats" not in " ".join(argv):
            options.latency_repeats = 1
    if options.docs and not options.save:
        options.save = str(ROOT / "docs" / "benchmarks.json")
    return options


def main(argv=None):
    options = parse_args(sys.argv[1:] if argv is None else argv)
    runner = Runner(options)
    if options.profile:
        return runner.profile(options.profile)
    status = runner.run()
    if options.save:
        Path(options.save).write_text(json.dumps(runner.results, indent=1) + "\n")
    if options.docs:
        from bench.report import write_docs

        write_docs(runner.results, ROOT / "docs")
    return status
