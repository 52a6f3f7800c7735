"""
### roster_user_cache_warmup

Warms `user.<username>` (and `lineItem.<id>`) documents in the cache Redis from the roster database, every
10 minutes or on demand from the trigger form.

`plan` validates the params (an unknown param name fails it: a typo never widens a run to every user), reports
usernames that name nobody (and fails when all of them do), and counts each shard's users; `warm_shard` runs once per shard
(`user.id % modulo == remainder`), in pool `roster_cache_warmup`; `summary` adds up the counts and fails the run
when a shard failed. With `mode=async` the shards publish `{"usernames": [...]}` messages to
`ROSTER_WARMUP_QUEUE_URL` instead, for `roster_user_cache_warmup_worker`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import DAG, Param

from roster.operators.warmup import (
    UserCacheWarmupOperator,
    UserCacheWarmupPlanOperator,
    UserCacheWarmupSummaryOperator,
)
from roster.settings import WARMUP_POOL
from roster.warmup.options import PARAMS_SCHEMA

with DAG(
    dag_id="roster_user_cache_warmup",
    description="Warm the roster user cache in Redis, sharded by user id",
    schedule="*/10 * * * *",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    # A run that outlives its slot would only delay the next one: the next run warms everything again anyway.
    dagrun_timeout=timedelta(minutes=30),
    params={name: Param(**schema) for name, schema in PARAMS_SCHEMA.items()},
    default_args={"retries": 2, "retry_delay": timedelta(seconds=30), "retry_exponential_backoff": True},
    tags=["roster", "cache"],
    doc_md=__doc__,
) as dag:
    plan = UserCacheWarmupPlanOperator(task_id="plan", retries=0)
    warm = UserCacheWarmupOperator.partial(
        task_id="warm_shard", pool=WARMUP_POOL, map_index_template="shard {{ task.remainder }}"
    ).expand_kwargs(plan.output)
    UserCacheWarmupSummaryOperator(
        task_id="summary", planned=plan.output, shard_results=warm.output,
        usernames_unknown=plan.output["usernames_unknown"], trigger_rule="all_done", retries=0,
    )  # fmt: skip
