"""Pausing a lane: two consumer processes, one of the paused lane and one of another; after one claim cycle the
paused lane's consumer claims nothing more and ends green (``stopped_by: paused``), its unstarted jobs are handed
back in place, the other lane goes on; resumed, the lane is consumed again. The CLI and bad lane names too."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import timedelta

import orjson
import pytest
from sqlalchemy import text

from roster.errors import InvalidOptionError
from roster.jobs import JobQueue, pause
from roster.jobs.consumer import CONTROL_EVERY_SECONDS
from roster.jobs.store import utcnow

from conftest import run_roster

pytestmark = pytest.mark.slow


def _consumer(engine, priorities: str, worker: str) -> subprocess.Popen:
    url = engine.url.render_as_string(hide_password=False)
    return subprocess.Popen([sys.executable, "-m", "tests.jobs.consumer", url, "30", priorities, "0", worker],
                            stdout=subprocess.PIPE, text=True)  # fmt: skip


def _claims(engine, worker: str) -> list:
    with engine.connect() as conn:
        return [row[0] for row in conn.execute(
            text("SELECT last_attempt_at FROM background_job WHERE worker = :w AND last_attempt_at IS NOT NULL"),
            {"w": worker})]  # fmt: skip


def test_a_paused_lane_claims_nothing_after_one_claim_cycle(maria):
    queue = JobQueue(maria, lease_seconds=30)
    with queue.bulk():
        for i in range(400):
            queue.publish("record", {"key": f"u{i}", "sleep": 0.01}, priority=5)  # the urgent lane (0-9)
            queue.publish("record", {"key": f"a{i}", "sleep": 0.01}, priority=50)
    urgent, general = _consumer(maria, "0-9", "urgent"), _consumer(maria, "10-", "general")
    try:
        for _ in range(300):  # both are claiming (at most 30 s)
            if _claims(maria, "urgent") and _claims(maria, "general"):
                break
            time.sleep(0.1)
        paused_at = utcnow()
        assert pause.pause(queue.store, "roster_jobs_urgent")["paused"] is True
        stdout, _ = urgent.communicate(timeout=60)
        summary = orjson.loads(stdout.strip().splitlines()[-1])
        assert urgent.returncode == 0 and summary["stopped_by"] == "paused", summary
        cycle_end = paused_at + timedelta(seconds=CONTROL_EVERY_SECONDS + 0.5)
        late = [at for at in _claims(maria, "urgent") if at > cycle_end]
        assert late == [], f"claims of the paused lane after one cycle: {late}"
        time.sleep(1.5)
        assert max(_claims(maria, "general")) > cycle_end  # the other lane went on
    finally:
        general.kill()
        general.wait(timeout=30)
    with maria.connect() as conn:
        left = conn.execute(text("SELECT COUNT(*), SUM(number_of_attempts) FROM background_job"
                                 " WHERE priority = 5 AND state = 1")).one()  # fmt: skip
    assert left[0] > 0 and left[1] == 0  # in place: READY, no attempt counted
    # A consumer of the paused lane started now claims nothing; resumed, the lane drains.
    assert queue.process(priorities="0-9")["stopped_by"] == "paused"
    assert pause.resume(queue.store, "roster_jobs_urgent") == {"lane": "roster_jobs_urgent", "paused": False,
                                                                "was_paused": True}  # fmt: skip
    assert queue.process(priorities="0-9")["stopped_by"] == "empty"
    with maria.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM background_job WHERE priority = 5 AND state <> 3")).scalar() == 0


def test_pause_and_resume_from_the_cli_and_bad_lanes(maria):
    queue = JobQueue(maria)
    paused = run_roster("jobs", "pause", "roster_jobs_all")
    assert paused.returncode == 0, paused.stderr
    first = orjson.loads(paused.stdout)
    assert first["paused"] is True and first["lane"] == "roster_jobs_all"
    assert pause.pause(queue.store, "roster_jobs_all")["since"] == first["since"]  # pausing again keeps since-when
    assert set(pause.paused_lanes(queue.store)) == {"roster_jobs_all"}
    resumed = run_roster("jobs", "resume", "roster_jobs_all")
    assert resumed.returncode == 0 and orjson.loads(resumed.stdout)["was_paused"] is True
    assert pause.paused_lanes(queue.store) == {}
    refused = run_roster("jobs", "pause", "roster_jobs_nope")
    assert refused.returncode == 2
    assert refused.stderr.strip() == ("roster: error: lane 'roster_jobs_nope': no such lane "
                                      "(lanes: roster_jobs_urgent, roster_jobs_all)")  # fmt: skip
    for bad in ("", None, 7):
        with pytest.raises(InvalidOptionError, match=r"^lane .*: no such lane \(lanes: roster_jobs_urgent"):
            pause.pause(queue.store, bad)
