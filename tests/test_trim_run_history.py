"""scripts/trim_run_history.sh: the job DAGs' runs older than a day leave Airflow's metadata, nothing else does."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from conftest import ROOT


def _add_runs(runs: list[tuple[str, str, timedelta]]) -> None:
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from airflow.utils.state import DagRunState
    from airflow.utils.types import DagRunType

    now = datetime.now(timezone.utc)
    with create_session() as session:
        session.query(DagRun).filter(DagRun.run_id.like("trim-%")).delete(synchronize_session=False)
        for dag_id, run_id, age in runs:
            session.add(DagRun(
                dag_id=dag_id, run_id=run_id, run_type=DagRunType.SCHEDULED, state=DagRunState.SUCCESS,
                logical_date=now - age, start_date=now - age, run_after=now - age,
            ))  # fmt: skip


def _run_ids() -> set[tuple[str, str]]:
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session

    with create_session() as session:
        return {(r.dag_id, r.run_id) for r in session.query(DagRun).filter(DagRun.run_id.like("trim-%"))}


def test_old_job_dag_runs_go_and_everything_else_stays(airflow_db):
    day = timedelta(days=1)
    _add_runs([
        ("roster_job_queue", "trim-queue-old-1", 3 * day), ("roster_job_queue", "trim-queue-old-2", 2 * day),
        ("roster_job_queue", "trim-queue-new", timedelta(minutes=5)),
        ("roster_job_broker", "trim-broker-old", 2 * day), ("roster_job_broker", "trim-broker-new", timedelta(hours=1)),
        ("roster_user_cache_warmup", "trim-warmup-old", 3 * day),
    ])  # fmt: skip
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}

    done = subprocess.run([str(ROOT / "scripts" / "trim_run_history.sh")], capture_output=True, text=True,
                          timeout=300, env=env)  # fmt: skip

    assert done.returncode == 0, done.stderr[-3000:]
    assert _run_ids() == {
        ("roster_job_queue", "trim-queue-new"), ("roster_job_broker", "trim-broker-new"),
        ("roster_user_cache_warmup", "trim-warmup-old"),
    }  # fmt: skip


def test_a_bad_history_setting_is_one_line(airflow_db):
    done = subprocess.run([str(ROOT / "scripts" / "trim_run_history.sh")], capture_output=True, text=True,
                          timeout=60, env={**os.environ, "ROSTER_RUN_HISTORY_HOURS": "a day"})  # fmt: skip
    assert done.returncode == 2
    assert done.stderr == "trim_run_history: ROSTER_RUN_HISTORY_HOURS=a day is not a whole number of hours\n"
