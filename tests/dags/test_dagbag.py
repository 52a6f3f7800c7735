"""Every DAG file loads, with the ids and shapes of SPEC.md, and without I/O at parse time."""

from __future__ import annotations

import socket

import sqlalchemy

from conftest import ROOT, parse_dags


def test_dagbag_has_no_import_errors(dagbag):
    assert dagbag.import_errors == {}
    assert {"roster_user_cache_warmup", "roster_user_cache_warmup_worker"} <= set(dagbag.dag_ids)


def test_dag_files_do_no_io_at_parse_time(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a DAG file opened a connection while being parsed")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(sqlalchemy, "create_engine", refuse)
    bag = parse_dags()
    assert bag.import_errors == {}
    assert len(bag.dags) >= 2


def test_warmup_dag_shape(dagbag):
    dag = dagbag.dags["roster_user_cache_warmup"]
    assert dag.max_active_runs == 1 and dag.catchup is False
    assert set(dag.params.keys()) == {"usernames", "line_item_slugs", "batch", "modulo", "remainder", "mode"}
    assert dag.task_dict["warm_shard"].pool == "roster_cache_warmup"
    assert dag.task_dict["summary"].trigger_rule == "all_done"
    worker = dagbag.dags["roster_user_cache_warmup_worker"]
    assert worker.max_active_runs == 1
    sensor = worker.task_dict["wait_for_messages"]
    assert sensor.deferrable is True and sensor.delete_message_on_reception is False


def test_broker_dag_runs_the_lanes_side_by_side_then_settles_the_messages(dagbag):
    dag = dagbag.dags["roster_job_broker"]
    lanes = {"run_roster_jobs_urgent", "run_roster_jobs_all"}
    assert dag.task_dict["wait_for_job_ids"].downstream_task_ids == lanes
    assert dag.task_dict["settle_messages"].upstream_task_ids == lanes
    assert dag.task_dict["outcomes"].upstream_task_ids == lanes
    assert dag.task_dict["outcomes"].trigger_rule == "all_done"
    assert {dag.task_dict[t].pool for t in lanes} == {"roster_jobs_urgent", "roster_jobs_all"}


def test_broker_sensor_starts_and_ends_in_the_triggerer_as_the_scheduler_sees_it(dagbag):
    from airflow.serialization.serialized_objects import BaseSerialization, DagSerialization

    from roster.triggers.jobs import JobMessageTrigger

    serialized = DagSerialization.from_dict(DagSerialization.to_dict(dagbag.dags["roster_job_broker"]))
    sensor = serialized.task_dict["wait_for_job_ids"]
    assert sensor.start_from_trigger is True
    args = sensor.start_trigger_args
    assert args.trigger_cls == "roster.triggers.jobs.JobMessageTrigger" and args.next_method == "execute_complete"
    trigger = JobMessageTrigger(**BaseSerialization.deserialize(args.trigger_kwargs))  # what the triggerer builds
    assert trigger.queue_setting == "ROSTER_JOBS_QUEUE_URL" and trigger.sqs_queue == ""
    assert (trigger.wait_time_seconds, trigger.max_messages, trigger.delete_message_on_reception) == (5, 10, False)
    assert trigger.give_up_after == 3600 and trigger.aws_conn_id == "roster_sqs"


def test_a_bad_broker_idle_wait_is_an_import_error_that_names_the_variable(monkeypatch):
    monkeypatch.setenv("ROSTER_BROKER_IDLE_WAIT", "soon")
    bag = parse_dags(ROOT / "dags" / "roster_job_broker.py")
    assert "ROSTER_BROKER_IDLE_WAIT='soon' must be a number of seconds" in "".join(bag.import_errors.values())
