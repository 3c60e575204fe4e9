"""Task-worker processes for the scale-out cases (:mod:`bench.latency`,
:mod:`bench.scale`), started and watched from the runner.
"""

import subprocess
import sys
import time
import uuid

from bench.common import ROOT, BenchFailure

#: The RQ queue the ``rq`` workers take tasks from.
RQ_QUEUE = "default"


def chunk_size(n, requested=0):
    """``requested``, or N / 40 (at least 10, at most the setting's default 1000)."""
    return requested or max(10, min(1000, n // 40))


class Pool:
    """``count`` task-worker processes of one kind, stopped by :meth:`stop`."""

    def __init__(self, kind, count, env, log_dir):
        self.processes = []
        for number in range(1, count + 1):
            name = f"latency-{kind}-{number}-{uuid.uuid4().hex[:6]}"
            if kind == "db":
                args = ["db_worker", "--interval", "0.05", "--no-startup-delay",
                        "--worker-id", name]
            else:
                args = ["rqworker", "--job-class", "django_tasks_rq.backend.Job",
                        "--worker-class", "rq.worker.SimpleWorker", "--name", name, RQ_QUEUE]
            log = open(log_dir / f"{name}.log", "w")  # noqa: SIM115 - closed in stop()
            process = subprocess.Popen([sys.executable, "-m", "django", *args], cwd=ROOT,
                                       env=env, stdout=log, stderr=subprocess.STDOUT)
            process.log_file, process.log_path = log, log_dir / f"{name}.log"
            self.processes.append(process)

    def check(self):
        for process in self.processes:
            if process.poll() is not None:
                raise BenchFailure(f"latency: a task worker exited ({process.returncode}):\n"
                                   f"{self.logs()}")

    def logs(self):
        self._flush()
        return "\n".join(p.log_path.read_text()[-2000:] for p in self.processes)

    def _flush(self):
        for process in self.processes:
            process.log_file.flush()

    def stop(self):
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=15)
            process.log_file.close()


def wait_for(sink, n, pool, timeout):
    """Poll the receiver until ``n`` messages arrived (a failed worker stops it)."""
    deadline = time.monotonic() + timeout
    while sink.stats()["messages"] < n:
        pool.check()
        if time.monotonic() > deadline:
            raise BenchFailure(f"latency: {sink.stats()['messages']} of {n} messages arrived "
                               f"within {timeout:.0f} s\n{pool.logs()}")
        time.sleep(0.1)
    time.sleep(0.3)  # a doubled message would arrive now


