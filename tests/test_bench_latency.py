"""The latency-bound benchmark case (bench/latency.py, issues 22 and 35).

The smoke test runs the whole case at a tiny size with real task workers
(django-tasks-db on PostgreSQL, django-tasks-rq on Redis), so it is a
``workers`` test; no timing is asserted, only that every configuration
delivered each message exactly once and the report carries its throughput
and the ratios.  The others check the plan and the report on any database.
"""

import io
import json
import os

import pytest

from bench import latency, report, runner
from tests.fixtures.workers import SKIP_REASON

CONFIGS = ["plain", "inprocess", "inprocess-c4", "db-1", "db-2", "db-4", "db-1-c4", "db-4-c4",
           "rq-2"]


def test_the_case_runs_on_postgres_whatever_the_databases_asked():
    options = runner.parse_args(["--cases", "latency,fanout-email", "--quick"])
    plan = runner.Runner(options).plan()
    assert ("latency", 500, "postgres") in plan
    assert ("fanout-email", 100, "sqlite") in plan
    assert [n for case, n, *_rest in runner.Runner(runner.parse_args(
        ["--cases", "latency"])).plan() if case == "latency"] == [1000]
    assert options.latency_repeats == 1
    assert runner.parse_args(["--cases", "latency"]).latency_repeats == 3


def test_the_limit_line_is_connections_over_round_trips_times_delay():
    assert latency.limit(20, 0, 1) == 50.0  # one process, one connection
    assert latency.limit(20, 4, 1) == 200.0
    assert latency.limit(20, 1, 4) == 200.0
    assert latency.limit(20, 4, 4) == 800.0
    assert latency.limit(5, 2, 1) == 400.0


def test_unknown_configurations_are_refused():
    with pytest.raises(SystemExit):
        runner.parse_args(["--cases", "latency", "--latency-configs", "db-9"])
    assert runner.parse_args(["--latency-configs", "plain,db-1-c4"]).latency_configs == [
        "plain", "db-1-c4"]


def test_report_row_names_throughput_and_targets():
    summary = {"case": "latency", "n": 2000, "db": "postgres", "delay_ms": 20.0,
               "chunk": "default",
               "throughput": {"plain": 40.0, "db-1": 38.5, "db-4": 150.0, "db-1-c4": 130.0,
                              "db-4-c4": 420.0},
               "limit": {"plain": 50.0, "db-1": 50.0, "db-4": 200.0, "db-1-c4": 200.0,
                         "db-4-c4": 800.0},
               "workers_4_vs_1": 3.896, "connections_4_vs_plain": 3.25,
               "workers_4_c4_vs_plain": 10.5, "targets": latency.TARGETS, "target_met": True}
    [row] = report.table_rows([{"summary": summary, "medians": {}, "runs": {}}])
    assert row[:3] == ["latency", "postgres", "2,000"]
    assert row[-1] == (
        "receiver 20 ms per message, default chunks: plain 40.0/s (limit 50), db-1 38.5/s "
        "(limit 50), db-4 150.0/s (limit 200), db-1-c4 130.0/s (limit 200), db-4-c4 420.0/s "
        "(limit 800); 4 / 1 workers 3.90× (target ≥ 3.5); 1 worker × 4 connections / plain "
        "loop 3.25× (target ≥ 3.0); 4 workers × 4 connections / plain loop 10.50× (target ≥ "
        "10.0): met")
    assert len(row) == len(report.HEADER)
    assert report.panels([{"summary": summary, "medians": {}, "runs": {}}]) == {}


@pytest.mark.workers
def test_latency_case_with_real_workers_delivers_each_message_once():
    if os.environ.get("VOX_TEST_DATABASE") != "postgres":
        pytest.skip(SKIP_REASON)
    missing = runner.missing_requirement("latency")
    if missing:
        pytest.fail(f"the latency case cannot run: {missing}")
    pg_name = os.environ.get("VOX_PG_NAME", "django_vox_test") + "_latency_bench"
    out, log = io.StringIO(), io.StringIO()
    bench = runner.Runner(runner.parse_args(
        ["--cases", "latency", "--n", "40", "--latency-delay-ms", "5", "--latency-chunk", "5",
         "--latency-repeats", "1", "--pg-name", pg_name]), out=out, log=log)
    status = bench.run()
    assert status == 0, log.getvalue() + out.getvalue()
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    configs, [summary] = lines[:-1], lines[-1:]
    assert [line["config"] for line in configs] == CONFIGS
    assert {(line["n"], line["delay_ms"], line["chunk"]) for line in configs} == {(40, 5, 5)}
    assert [line["workers"] for line in configs] == [0, 0, 0, 1, 2, 4, 1, 4, 2]
    assert [line["connections"] for line in configs] == [1, 1, 4, 1, 1, 1, 4, 4, 1]
    assert [line["limit"] for line in configs] == [200.0, 200.0, 800.0, 200.0, 400.0, 800.0,
                                                   800.0, 3200.0, 400.0]
    assert all(line["throughput"] > 0 and line["seconds"] > 0 for line in configs)
    # Never sooner than the receiver's delay allows for one connection at a time.
    assert configs[0]["seconds"] >= 40 * 0.005
    assert list(summary["throughput"]) == CONFIGS
    assert summary["workers_4_vs_1"] == round(
        summary["throughput"]["db-4"] / summary["throughput"]["db-1"], 3)
    assert summary["workers_4_c4_vs_plain"] == round(
        summary["throughput"]["db-4-c4"] / summary["throughput"]["plain"], 3)
    assert summary["connections_4_vs_plain"] == round(
        summary["throughput"]["db-1-c4"] / summary["throughput"]["plain"], 3)
    assert "4 / 1 workers" in report.table_rst(bench.results)
