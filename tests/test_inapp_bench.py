"""The in-app benchmark case runs (bench/inapp.py); no timing is asserted."""

import io
import json

from bench import runner


def test_the_inapp_case_reports_fan_out_and_idle_polls():
    out, log = io.StringIO(), io.StringIO()
    bench = runner.Runner(runner.parse_args(["--cases", "inapp", "--n", "30", "--db", "sqlite",
                                             "--quick"]), out=out, log=log)
    assert bench.run() == 0, log.getvalue()
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    configs = {line["config"]: line for line in lines if "config" in line}
    assert set(configs) == {"fanout", "fanout-one-batch", "idle-poll"}
    assert configs["fanout"]["stored"] == 30 and configs["fanout"]["queries"] > 0
    assert configs["idle-poll"]["queries_per_poll"] == 1.0
    [summary] = [line for line in lines if "target_met" in line]
    assert summary["one_batch_queries"] == summary["ten_users_queries"]
    assert summary["target_met"] is True
