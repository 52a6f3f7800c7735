"""What the page needs from Airflow's metadata database (the api-server has it; the domain does not): pool slots
and the latest runs of roster_user_cache_warmup with their tasks' results."""

from __future__ import annotations

from typing import Any

WARMUP_DAG_ID = "roster_user_cache_warmup"


def pool_slots() -> dict[str, dict[str, int]]:
    """``{pool: {"used", "total"}}``: slots held by running, queued or deferred task instances."""
    from airflow.models.pool import Pool

    return {
        name: {"used": int(stats["running"] + stats["queued"] + stats["deferred"]), "total": int(stats["total"])}
        for name, stats in Pool.slots_stats().items()
    }


def warmup_runs(limit: int = 10) -> list[dict[str, Any]]:
    """The latest warmup runs, newest first: state, times, the summary's totals and each shard's counts."""
    from sqlalchemy import select

    from airflow.models.dagrun import DagRun
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        runs = session.scalars(
            select(DagRun).where(DagRun.dag_id == WARMUP_DAG_ID).order_by(DagRun.id.desc()).limit(limit)
        ).all()
        results = session.execute(
            select(XComModel.run_id, XComModel.task_id, XComModel.map_index, XComModel.value).where(
                XComModel.dag_id == WARMUP_DAG_ID, XComModel.key == "return_value",
                XComModel.run_id.in_([run.run_id for run in runs]), XComModel.task_id.in_(["summary", "warm_shard"]),
            )
        ).all() if runs else []  # fmt: skip
        out = [_run(run) for run in runs]
    by_run = {run["run_id"]: run for run in out}
    for run_id, task_id, map_index, value in results:
        value = XComModel.deserialize_value(_Row(value))
        if task_id == "summary":
            by_run[run_id]["summary"] = value
        elif isinstance(value, dict):
            by_run[run_id]["shards"].append({**value, "map_index": map_index})
    for run in out:
        run["shards"].sort(key=lambda shard: shard.get("remainder", shard["map_index"]))
    return out


class _Row:
    """What XComModel.deserialize_value reads: an object with ``value``."""

    def __init__(self, value: Any) -> None:
        self.value = value


def _run(run) -> dict[str, Any]:
    def iso(value):
        return value.isoformat() if value else None

    seconds = (run.end_date - run.start_date).total_seconds() if run.end_date and run.start_date else None
    return {"run_id": run.run_id, "state": str(run.state), "start_date": iso(run.start_date),
            "end_date": iso(run.end_date), "seconds": seconds, "summary": None, "shards": []}  # fmt: skip
