"""JobQueueSensor against MariaDB: poking (reschedule mode) and deferring to JobQueueTrigger."""

from __future__ import annotations


import pytest
from airflow.sdk.exceptions import TaskDeferred

from roster.jobs import JobQueue
from roster.sensors.jobs import JobQueueSensor
from roster.triggers.jobs import JobQueueTrigger


def test_poke_sees_only_due_jobs_of_its_lane(maria):
    queue = JobQueue(maria)
    sensor = JobQueueSensor(task_id="wait", priorities="0-9", mode="reschedule")
    queue.publish("noop", priority=50)  # another lane's
    queue.publish("noop", priority=3, delay=3600)  # not due
    assert sensor.poke({}) is False
    queue.publish("urgent", {"key": "x"})  # priority 1
    assert sensor.poke({}) is True


def test_deferrable_sensor_defers_to_the_trigger_then_completes(maria):
    JobQueue(maria).update_schema()
    sensor = JobQueueSensor(task_id="wait", priorities="0-9", deferrable=True, poke_interval=2, timeout=60)
    with pytest.raises(TaskDeferred) as deferred:
        sensor.execute({})
    trigger = deferred.value.trigger
    assert isinstance(trigger, JobQueueTrigger)
    assert trigger.serialize() == (
        "roster.triggers.jobs.JobQueueTrigger",
        {"priorities": "0-9", "queue_name": "default", "db_conn_id": "roster_db", "poll_interval": 2},
    )
    assert sensor.execute_complete({}, {"status": "success", "ready": 3}) == 3


def test_deferrable_sensor_does_not_defer_when_jobs_are_ready(maria):
    JobQueue(maria).publish("urgent", {"key": "y"})
    sensor = JobQueueSensor(task_id="wait", priorities="0-9", deferrable=True)
    assert sensor.execute({}) is None
