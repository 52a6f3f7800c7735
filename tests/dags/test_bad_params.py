"""Bad DAG params (a trigger's conf): each is refused naming the param, by Airflow's schema check or by roster's own
validation behind it, or accepted as roster reads it."""

from __future__ import annotations

import copy
import math

import pytest
from airflow.sdk.exceptions import AirflowFailException, ParamValidationError

from conftest import parse_dags
from roster.errors import InvalidOptionError

REFUSED = [
    # (dag id, conf, the param the message must name)
    ("roster_user_cache_warmup", {"modulo": 0}, "modulo"),
    ("roster_user_cache_warmup", {"modulo": 101}, "modulo"),
    ("roster_user_cache_warmup", {"modulo": 1.5}, "modulo"),
    ("roster_user_cache_warmup", {"modulo": True}, "modulo"),
    ("roster_user_cache_warmup", {"modulo": math.nan}, "modulo"),
    ("roster_user_cache_warmup", {"batch": 0}, "batch"),
    ("roster_user_cache_warmup", {"batch": 100_001}, "batch"),
    ("roster_user_cache_warmup", {"batch": "1000"}, "batch"),
    ("roster_user_cache_warmup", {"remainder": 4, "modulo": 4}, "remainder"),
    ("roster_user_cache_warmup", {"remainder": -1}, "remainder"),
    ("roster_user_cache_warmup", {"mode": "later"}, "mode"),
    ("roster_user_cache_warmup", {"usernames": 42}, "usernames"),
    ("roster_user_cache_warmup", {"usernames": [""]}, "usernames"),
    ("roster_user_cache_warmup", {"line_item_slugs": ["ok", 3]}, "line_item_slugs"),
    ("roster_user_cache_warmup", {"modulus": 2}, "modulus"),
    ("roster_failed_jobs", {"ids": [0]}, "ids"),
    ("roster_failed_jobs", {"ids": ["7"]}, "ids"),
    ("roster_failed_jobs", {"ids": 7}, "ids"),
    ("roster_failed_jobs", {"action": "nuke"}, "action"),
    ("roster_failed_jobs", {"all": "yes"}, "all"),
    ("roster_failed_jobs", {"confirm": 1}, "confirm"),
    ("roster_clear_finished_jobs", {"days": -1}, "days"),
    ("roster_clear_finished_jobs", {"days": "soon"}, "days"),
    ("roster_clear_finished_jobs", {"days": math.nan}, "days"),
    ("roster_clear_finished_jobs", {"days": math.inf}, "days"),
    ("roster_clear_finished_jobs", {"days": 1e12}, "days"),
]

ACCEPTED = [
    ("roster_user_cache_warmup", {"modulo": 3}, {"modulo": 3, "remainder": None}),
    ("roster_user_cache_warmup", {"usernames": "a, b,a"}, {"usernames": ("a", "b")}),
    ("roster_user_cache_warmup", {"usernames": ["zoë", "用户"]}, {"usernames": ("zoë", "用户")}),
    ("roster_user_cache_warmup", {"remainder": 0, "modulo": 1}, {"remainder": 0, "modulo": 1}),
    ("roster_user_cache_warmup", {"batch": 100_000, "mode": "async"}, {"batch": 100_000, "mode": "async"}),
    ("roster_clear_finished_jobs", {"days": 0}, {"days": 0}),
    ("roster_clear_finished_jobs", {"days": 0.5}, {"days": 0.5}),
]


@pytest.fixture(scope="module")
def dags():
    return parse_dags().dags


def _triggered(dags, dag_id: str, conf: dict) -> dict:
    """The run's params as Airflow makes them from a trigger's conf: each known param checked against its schema
    (``Invalid input for param <name>: ...``)."""
    params = copy.deepcopy(dags[dag_id].params)
    params.update(conf)
    return params.validate()


def _read_by_roster(mariadb_engine, dag_id: str, params: dict):
    """What the DAG's first task does with its params."""
    if dag_id == "roster_user_cache_warmup":
        from roster.warmup import WarmupOptions

        return WarmupOptions.from_params(params)
    if dag_id == "roster_clear_finished_jobs":
        from roster.operators.job_maintenance import ClearFinishedJobsOperator

        return ClearFinishedJobsOperator(task_id="clear", days=params["days"]).execute({})
    return params


@pytest.mark.parametrize(("dag_id", "conf", "param"), REFUSED, ids=[f"{d}-{c}" for d, c, _ in REFUSED])
def test_refused_naming_the_param(dags, mariadb_engine, dag_id, conf, param):
    with pytest.raises((ParamValidationError, InvalidOptionError, AirflowFailException)) as refused:
        _read_by_roster(mariadb_engine, dag_id, _triggered(dags, dag_id, conf))

    assert param in str(refused.value).splitlines()[0]


@pytest.mark.parametrize(("dag_id", "conf", "read"), ACCEPTED, ids=[f"{d}-{c}" for d, c, _ in ACCEPTED])
def test_accepted_as_roster_reads_it(dags, mariadb_engine, dag_id, conf, read):
    params = _triggered(dags, dag_id, conf)
    result = _read_by_roster(mariadb_engine, dag_id, params)

    if dag_id == "roster_user_cache_warmup":
        assert {key: getattr(result, key) for key in read} == read
    else:
        assert isinstance(result, int) and result >= 0 and params == read  # ran: deleted what was that old
