"""Keeps the benchmark harness (bench/) from rotting: runs it at a tiny N.

No timing is asserted: only that both sides deliver every message through a
real SMTP server in another process, that the runner reports ratios, queries
and connections, that a missing message fails the run, and that the docs
(table and SVG) can be written from the results.
"""

import io
import json
import xml.etree.ElementTree as ET

import pytest

from bench import report, runner

pytestmark = pytest.mark.skipif(runner.missing_requirement("fanout-email") is not None,
                                reason="the html_email backend is not in this checkout")


def run(argv):
    out, log = io.StringIO(), io.StringIO()
    bench = runner.Runner(runner.parse_args(argv), out=out, log=log)
    status = bench.run()
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    return status, lines, bench, log.getvalue()


def test_fanout_and_bulk_at_tiny_n(tmp_path):
    status, lines, bench, log = run(["--cases", "fanout-email,bulk-email", "--n", "3",
                                     "--repeats", "1", "--db", "sqlite"])
    assert status == 0, log
    medians = [line for line in lines if "impl" in line]
    assert {(m["case"], m["impl"]) for m in medians} == {
        ("fanout-email", "floor"), ("fanout-email", "ours"),
        ("bulk-email", "floor"), ("bulk-email", "ours")}
    for line in medians:
        assert line["messages_delivered"] == 3
        assert line["connections"] == 1
        assert line["queries"] >= 1
        assert line["seconds"] > 0 and line["peak_rss"] > 0
    messages = {(m["case"], m["impl"]): m["messages"] for m in medians}
    assert messages[("fanout-email", "ours")] == 3
    assert messages[("bulk-email", "ours")] == 1
    ratios = [line for line in lines if "ratio" in line]
    assert [r["case"] for r in ratios] == ["fanout-email", "bulk-email"]
    for summary in ratios:  # one repeat: its paired ratio is the ratio of the medians
        assert summary["paired_ratio"] == pytest.approx(summary["ratio"], abs=0.002)
        assert summary["paired_range"] == [summary["paired_ratio"]] * 2

    report.write_docs(bench.results, tmp_path)
    svg = ET.fromstring((tmp_path / "benchmarks.svg").read_text())
    assert svg.tag.endswith("svg")
    assert len(svg.findall(".//{http://www.w3.org/2000/svg}circle")) == 4
    table = (tmp_path / "benchmarks-results.inc").read_text()
    assert "fanout-email" in table and "bulk-email" in table


def test_a_missing_message_fails_the_run(monkeypatch):
    monkeypatch.setattr(runner.Runner, "expected", lambda self, case, n: (n + 1, n + 1))
    status, lines, _bench, log = run(["--cases", "fanout-email", "--n", "2", "--repeats", "1",
                                      "--db", "sqlite"])
    assert status == 1
    assert "expected 3 message(s)" in lines[-1]["error"]
    assert "BENCHMARK FAILED" in log


def test_a_case_whose_piece_is_missing_says_so(monkeypatch):
    monkeypatch.setitem(runner.REQUIREMENTS, "webhook",
                        ("django_vox.backends.no_such_backend", "the no_such backend"))
    status, lines, _bench, _log = run(["--cases", "webhook", "--quick"])
    assert status == 0
    assert lines == [{"case": "webhook", "available": False,
                      "reason": "not available: the no_such backend"}]
