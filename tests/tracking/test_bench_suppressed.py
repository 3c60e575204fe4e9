"""The ``fanout-suppressed`` benchmark case runs (no timing asserted): both
sides deliver the same messages through a real SMTP server in another
process, the suppressed side logs the rest as suppressed, and the summary
carries its target (ours / today's unsuppressed fan-out)."""

import io
import json

from bench import runner


def test_fanout_suppressed_at_tiny_n():
    out, log = io.StringIO(), io.StringIO()
    bench = runner.Runner(runner.parse_args(["--cases", "fanout-suppressed", "--n", "20",
                                             "--repeats", "1", "--db", "sqlite"]),
                          out=out, log=log)
    assert bench.run() == 0, log.getvalue()
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    medians = {line["impl"]: line for line in lines if "impl" in line}
    assert set(medians) == {"unsuppressed", "ours"}
    assert {impl: line["messages_delivered"] for impl, line in medians.items()} == {
        "unsuppressed": 18, "ours": 18}
    [summary] = [line for line in lines if "target" in line]
    assert summary["target"] == 1.05 and summary["ratio"] > 0
    assert summary["unsuppressed_ratio"] == summary["ratio"]
