"""A job's story: what it is (callback, parameters, serial group, identifier, lane), where it stands, and every
attempt: the failed ones from ``background_job_attempt`` (each with its traceback), the latest from the job row
itself (a finished or running attempt is not written elsewhere). Each attempt names its worker, and, when the worker
is an Airflow task instance, the task's log in Airflow's UI."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import orjson

from roster.jobs.lanes import lanes
from roster.jobs.states import State
from roster.jobs.store import Store
from roster.monitor.overview import _iso, as_datetime

_JOB_KEYS = ("id", "queue", "priority", "callback_name", "parameters", "state", "created_at", "available_at",
             "last_attempt_at", "number_of_attempts", "error_message", "serial_group", "identifier",
             "processed_by_broker", "execution_time_ms", "finished_at", "pid", "hostname", "worker", "memory",
             "metadata", "locked_until", "cancel_requested", "claim_id")  # fmt: skip
_ATTEMPT_KEYS = ("attempt", "claim_id", "state", "started_at", "finished_at", "execution_time_ms", "memory",
                 "error_message", "traceback", "pid", "hostname", "worker")  # fmt: skip
_TIMES = ("created_at", "available_at", "last_attempt_at", "finished_at", "locked_until", "started_at")
# What roster.operators.jobs records as the worker: "<dag_id>.<task_id>[<map_index>] <run_id> try <n>". A DAG id
# has no dot here (roster's DAGs have none); a task id may (task groups).
_WORKER = re.compile(r"^(?P<dag_id>[\w-]+)\.(?P<task_id>[\w.-]+)\[(?P<map_index>-?\d+)\] (?P<run_id>\S+) try (?P<try_number>\d+)$")


def task_instance(worker: str | None) -> dict[str, Any] | None:
    """The Airflow task instance a worker string names, with its log's place in Airflow's UI (``ui_path``, under
    the UI's base) and in its REST API (``api_path``); None for a worker that is not one (the CLI's, a test's)."""
    found = _WORKER.match(worker or "")
    if not found:
        return None
    ti = {**found.groupdict(), "map_index": int(found["map_index"]), "try_number": int(found["try_number"])}
    dag, run, task = (quote(ti[key], safe="") for key in ("dag_id", "run_id", "task_id"))
    mapped = f"/mapped/{ti['map_index']}" if ti["map_index"] >= 0 else ""
    ti["ui_path"] = f"/dags/{dag}/runs/{run}/tasks/{task}{mapped}?try_number={ti['try_number']}"
    ti["api_path"] = (f"/api/v2/dags/{dag}/dagRuns/{run}/taskInstances/{task}/logs/{ti['try_number']}"
                      f"?map_index={ti['map_index']}")  # fmt: skip
    return ti


def _json(value: Any) -> Any:
    return orjson.loads(value) if isinstance(value, (str, bytes)) and value else value


def _shaped(item: dict[str, Any]) -> dict[str, Any]:
    for key in _TIMES:
        if key in item:
            item[key] = _iso(as_datetime(item[key]))
    for key in ("memory", "metadata", "parameters"):
        if key in item:
            item[key] = _json(item[key])
    item["state"] = State(int(item["state"])).name.lower()
    return item


def job_story(store: Store, job_id: int) -> dict[str, Any] | None:
    """The story of job ``job_id`` (any queue), or None when there is no such job."""
    with store.reading() as tx:
        found = tx.rows("monitor/job_row", id=job_id)
        failures = tx.rows("monitor/job_attempts", id=job_id) if found else []
    if not found:
        return None
    job = _shaped(dict(zip(_JOB_KEYS, found[0])))
    attempts = [_shaped(dict(zip(_ATTEMPT_KEYS, row))) for row in failures]
    recorded = {attempt["claim_id"] for attempt in attempts}
    if job["last_attempt_at"] and job["claim_id"] not in recorded:
        failed = job["state"] in ("temporarily_failed", "permanently_failed", "cancelled")  # e.g. a rescue's
        attempts.append({  # the latest attempt, running or finished: only the job row holds it
            "attempt": job["number_of_attempts"], "claim_id": job["claim_id"], "state": job["state"],
            "started_at": job["last_attempt_at"], "finished_at": job["finished_at"],
            "execution_time_ms": job["execution_time_ms"], "memory": job["memory"],
            "error_message": job["error_message"] if failed else None,
            "traceback": None, "pid": job["pid"], "hostname": job["hostname"], "worker": job["worker"],
        })  # fmt: skip
    for attempt in attempts:
        attempt["task_instance"] = task_instance(attempt["worker"])
    job["lanes"] = [name for name, (low, high) in lanes().items() if low <= int(job["priority"]) <= high]
    return {"job": job, "attempts": attempts}
