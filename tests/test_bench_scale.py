"""The scale-out benchmark cases (bench/scale.py, issue 22) at tiny sizes.

No timing is asserted (beyond the receiver's delay being a lower bound): the
cases must deliver every message exactly once, count the HTTP requests, and
report the rate and its spread.
"""

import io
import json
import os
import smtplib
import time
import urllib.request
import xml.etree.ElementTree as ET

import pytest

from bench import report, runner, scale, scaleplot
from tests.fixtures.workers import SKIP_REASON

pytestmark = pytest.mark.skipif(runner.missing_requirement("rate-limit") is not None,
                                reason="the rate limits are not in this checkout")


def run(argv):
    out, log = io.StringIO(), io.StringIO()
    bench = runner.Runner(runner.parse_args(argv), out=out, log=log)
    status = bench.run()
    table = report.table_rst(bench.results) if status == 0 else ""
    return status, [json.loads(line) for line in out.getvalue().splitlines()], log.getvalue() + (
        "\n" + table if table else "")


def test_postmark_batch_counts_requests():
    status, lines, log = run(["--cases", "postmark-batch", "--n", "600", "--repeats", "1",
                              "--db", "sqlite"])
    assert status == 0, log
    medians = {line["impl"]: line for line in lines if "impl" in line}
    assert medians["ours"]["messages_delivered"] == medians["floor"]["messages_delivered"] == 600
    [summary] = [line for line in lines if "ratio" in line]
    # 600 individual messages: one request of 500 and one of 100, on both sides.
    assert summary["requests"] == [2, 2]
    assert summary["target_requests"] == 2 and summary["target_met"] is True
    assert "HTTP requests floor / ours: 2 / 2; target ≤ 2: met" in log  # the docs table


def test_rate_limit_case_delivers_each_message_once():
    status, lines, log = run(["--cases", "rate-limit", "--rate-limit", "40", "--rate-duration",
                              "1", "--rate-processes", "2", "--db", "sqlite",
                              "--rate-senders", "processes"])
    assert status == 0, log
    [summary] = lines
    assert (summary["n"], summary["processes"], summary["limit"]) == (40, 2, 40)
    assert summary["senders"] == "processes" and summary["db"] == "sqlite"
    assert (summary["lost"], summary["doubled"]) == (0, 0)
    assert summary["deliveries"] == {"sent": 40}
    assert [part["n"] for part in summary["parts"]] == [20, 20]
    assert summary["rate"] > 0 and "rate_error" in summary and "spread" in summary
    assert len(summary["part_arrivals"]) == 2
    assert "2 in-process senders, limit 40/s in " in log  # the docs table
    assert "lost 0, doubled 0" in log


def test_rate_limit_senders_are_planned_by_kind():
    def plan(*argv):
        return runner.Runner(runner.parse_args(["--cases", "rate-limit", "--rate-duration", "2",
                                                *argv])).plan()

    both = plan("--db", "sqlite")
    if runner.latency.unavailable() is None:  # the workers share a PostgreSQL database
        assert both == [("rate-limit", 100, "postgres", "workers"),
                        ("rate-limit", 100, "sqlite", "processes")]
    assert plan("--rate-senders", "processes") == [("rate-limit", 100, "sqlite", "processes")]
    with pytest.raises(SystemExit):
        runner.parse_args(["--rate-senders", "threads"])


@pytest.mark.workers
def test_rate_limit_case_with_task_workers_shares_the_limit():
    if os.environ.get("VOX_TEST_DATABASE") != "postgres":
        pytest.skip(SKIP_REASON)
    pg_name = os.environ.get("VOX_PG_NAME", "django_vox_test") + "_rate_bench"
    status, lines, log = run(["--cases", "rate-limit", "--rate-limit", "40", "--rate-duration",
                              "2", "--rate-processes", "2", "--rate-senders", "workers",
                              "--pg-name", pg_name])
    assert status == 0, log
    [summary] = lines
    assert (summary["senders"], summary["db"], summary["n"]) == ("workers", "postgres", 80)
    assert (summary["lost"], summary["doubled"]) == (0, 0)
    assert summary["deliveries"] == {"sent": 80}
    # Eight chunks of ten (N / 40, at least 10): the planning task sends the last one
    # itself, so eight tasks, run by the two workers.
    assert sum(summary["tasks_per_worker"]) == 8 and len(summary["tasks_per_worker"]) <= 2
    assert "2 db_workers (tasks each: " in log


def _scale_results():
    latency = {"case": "latency", "n": 100, "db": "postgres", "delay_ms": 20, "chunk": 10,
               "throughput": {"plain": 40.0, "db-1": 30.0, "db-2": 60.0, "db-4": 118.0,
                              "rq-2": 58.0},
               "workers_4_vs_1": 3.933, "workers_4_vs_plain": 2.95, "target_met": False,
               "targets": {"workers_4_vs_1": 3.5, "workers_4_vs_plain": 3.0}}
    rates = [{"case": "rate-limit", "n": 300, "db": db, "senders": senders, "limit": 50,
              "processes": 4, "rate": 49.9, "rate_error": -0.002, "per_second": [48, 50, 51],
              "cache": "redis", "span_seconds": 2.0, "spread": {"min": 48, "max": 51,
                                                                 "stdev": 1.2},
              "lost": 0, "doubled": 0, "target_met": True, "tasks_per_worker": [2, 1]}
             for db, senders in (("postgres", "workers"), ("sqlite", "processes"))]
    return [{"summary": summary, "medians": {}, "runs": {}} for summary in [latency, *rates]]


def test_scale_plot_draws_latency_bars_and_rate_lines(tmp_path):
    svg = ET.fromstring(scaleplot.svg(_scale_results()))
    ns = "{http://www.w3.org/2000/svg}"
    titles = [t.text for t in svg.iter(ns + "title")]
    assert "db-4: 118.0 messages/s" in titles and "plain: 40.0 messages/s" in titles
    assert len(svg.findall(f"{ns}polyline")) == 2  # one line per kind of sender
    texts = "".join(t.text or "" for t in svg.iter(ns + "text"))
    assert "target: 3 × plain" in texts and "workers: 49.9/s" in texts
    assert scaleplot.svg(_scale_results()[:0]) is None
    report.write_docs(_scale_results(), tmp_path)
    assert (tmp_path / "benchmarks-scale.svg").exists()


def test_report_merge_replaces_results_of_the_same_run():
    old = _scale_results()
    newer = dict(old[1], summary=dict(old[1]["summary"], rate=50.1))
    merged = report.merge([old, [newer]])
    assert [r["summary"]["case"] for r in merged] == ["latency", "rate-limit", "rate-limit"]
    assert merged[1]["summary"]["rate"] == 50.1 and merged[2] is old[2]


def test_measure_rate_and_spread():
    # 11 arrivals 0.1 s apart, then one more a second later: 11 messages after the first in 2 s.
    times = [100 + i / 10 for i in range(11)] + [102.0]
    measured = scale.measure(times, limit=5)
    assert measured["rate"] == pytest.approx(11 / 2)
    assert measured["rate_error"] == pytest.approx(0.1)
    assert measured["per_second"] == [10, 1]
    assert measured["spread"] == {"min": 1, "max": 10, "stdev": 4.5}
    assert measured["target_met"] is False
    assert scale.measure([100 + i / 5 for i in range(51)], limit=5)["target_met"] is True


def test_check_arrivals_finds_lost_doubled_and_strangers():
    got = {"member0@bench.example": 1, "member1@bench.example": 2, "x@bench.example": 1}
    lost, doubled = scale.check_arrivals({"recipients": got}, 3)
    assert lost == ["member2@bench.example"]
    assert doubled == ["member1@bench.example", "x@bench.example"]


@pytest.fixture
def sink():
    started = []

    def start(*args):
        started.append(runner.Sink(*args))
        return started[-1]

    yield start
    for one in started:
        one.stop()


def test_receivers_answer_after_the_configured_delay(sink):
    http = sink("http", "--delay-ms", "60")
    smtp = sink("smtp", "--delay-ms")  # the default delay: a provider 20 ms away
    assert (http.delay_ms, smtp.delay_ms, sink("http").delay_ms) == (60, 20, 0)
    request = urllib.request.Request(f"http://127.0.0.1:{http.port}/hook/1", data=b"{}",
                                     method="POST", headers={"Content-Type": "application/json"})
    began = time.monotonic()
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
    assert time.monotonic() - began >= 0.06  # never sooner than the delay
    began = time.monotonic()
    with smtplib.SMTP("127.0.0.1", smtp.port, timeout=10) as client:
        client.sendmail("a@bench.example", ["b@bench.example"], "Subject: x\r\n\r\nbody\r\n")
        sent = time.monotonic() - began
    assert sent >= 0.02
    assert smtp.stats()["messages"] == 1 and http.stats()["requests"] == 1
    assert smtp.command("arrivals")["recipients"] == {"b@bench.example": 1}


def test_http_receiver_answers_as_postmark(sink):
    http = sink("http")
    body = json.dumps({"Messages": [{"To": "a@x.example"}, {"To": "b@x.example"}]}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{http.port}/pm/email/batchWithTemplates", data=body, method="POST",
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        answers = json.loads(response.read())
    assert [(a["To"], a["ErrorCode"]) for a in answers] == [("a@x.example", 0), ("b@x.example", 0)]
    assert http.stats() == {"messages": 2, "recipients": 2, "connections": 1, "requests": 1,
                            "bytes": len(body), "bad": 0}


def test_background_case_is_judged_against_the_in_process_issue():
    status, lines, log = run(["--cases", "background-email", "--n", "20", "--repeats", "2",
                              "--db", "sqlite"])
    assert status == 0, log
    medians = {line["impl"]: line for line in lines if "impl" in line}
    assert set(medians) == {"floor", "ours", "inprocess"}
    assert all(m["messages_delivered"] == 20 for m in medians.values())
    [summary] = [line for line in lines if "inprocess_ratio" in line]
    assert summary["inprocess_ratio"] == round(
        medians["ours"]["seconds"] / medians["inprocess"]["seconds"], 3)
    assert summary["inprocess_target"] == 1.15
    assert summary["target_met"] is (summary["inprocess_ratio"] <= 1.15)
    assert "background / in-process" in log and "target ≤ 1.15" in log  # the docs table
