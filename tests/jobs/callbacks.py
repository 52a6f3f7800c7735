"""Job callbacks of the tests (ROSTER_JOB_MODULES=tests.jobs.callbacks). Runs are recorded in job_runs."""

from __future__ import annotations

import os
import time

from sqlalchemy import create_engine, text

from roster.jobs import DieError, PermanentError, SkipJob, WaitingError, job

_engines: dict[str, object] = {}


def _record(key: str, started: float, finished: float) -> None:
    url = os.environ["ROSTER_TEST_RUNS_URL"]
    engine = _engines.get(url) or _engines.setdefault(url, create_engine(url))
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO job_runs (run_key, pid, started, finished) VALUES (:k, :p, :s, :f)"),
            {"k": key, "p": os.getpid(), "s": started, "f": finished},
        )


@job("noop")
def noop(**_ignored) -> None:
    pass


@job("record", priority=50)
def record(key: str, sleep: float = 0.0) -> str:
    started = time.time()
    if sleep:
        time.sleep(sleep)
    _record(key, started, time.time())
    return key


@job("fail_permanently")
def fail_permanently() -> None:
    raise PermanentError("this can never work")


@job("fail_temporarily")
def fail_temporarily() -> None:
    raise ConnectionError("remote API down")


@job("wait")
def wait() -> None:
    raise WaitingError("the previous step has not happened yet")


@job("skip")
def skip() -> None:
    raise SkipJob("nothing to do")


@job("die")
def die() -> None:
    raise DieError(RuntimeError("fatal for this consumer"))


@job("urgent", priority=1)
def urgent(key: str) -> str:
    return record(key)


@job("cancel_myself", priority=50)
def cancel_myself(key: str, then: str = "return") -> str:
    """Asks for its own cancel while it runs, records what current_job() sees, then returns or fails."""
    from roster.jobs import JobQueue, current_job

    running = current_job()
    before = running.cancel_requested
    JobQueue(running.store.engine).cancel([running.id])
    _record(f"{key}:{int(before)}{int(running.cancel_requested)}", time.time(), time.time())
    if then == "fail":
        raise ConnectionError("stopped early: cancelled")
    return key


@job("record_file", priority=50)
def record_file(key: str, sleep: float = 0.0) -> str:
    """Like record, into the file ROSTER_TEST_RUNS_FILE (one line per run): works while the database is down."""
    started = time.time()
    if sleep:
        time.sleep(sleep)
    with open(os.environ["ROSTER_TEST_RUNS_FILE"], "a", encoding="utf-8") as runs:
        runs.write(f"{key} {os.getpid()} {started:.6f} {time.time():.6f}\n")
    return key


@job("stall")
def stall(key: str, sleeps: list[float], outcomes: list[str]) -> str:
    """Run n of the job (counted in job_runs) marks its start there at once (finished 0), sleeps ``sleeps[n]`` and
    ends ``outcomes[n]``: ``ok`` or ``fail``. A test stops the process mid-run, past its lease."""
    url = os.environ["ROSTER_TEST_RUNS_URL"]
    engine = _engines.get(url) or _engines.setdefault(url, create_engine(url))
    with engine.connect() as conn:
        run = conn.execute(text("SELECT COUNT(*) FROM job_runs WHERE run_key = :k"), {"k": key}).scalar_one()
    _record(key, time.time(), 0)
    time.sleep(sleeps[run])
    if outcomes[run] == "fail":
        raise ConnectionError(f"run {run} failed")
    return key


@job("limited", priority=50, concurrency=3)
def limited(key: str, sleep: float = 0.0) -> str:
    """At most 3 PROCESSING per concurrency_key (the publish's), recorded like record."""
    return record(key, sleep)


@job("rated", priority=50, rate="20/2s")
def rated(key: str) -> str:
    """At most 20 starts in any 2 s, across consumers."""
    return record(key)


@job("batch_item", priority=50)
def batch_item(key: str, fail: bool = False) -> str:
    if fail:
        raise PermanentError(f"{key} can never work")
    return key


@job("batch_report", priority=40)
def batch_report(batch: dict) -> None:
    """A batch's on_complete: records its counts (the run key) when it runs."""
    now = time.time()
    _record(f"report {batch['name']} {batch['total']} {batch['finished']} {batch['failed']} {batch['cancelled']}",
            now, now)  # fmt: skip
