"""Operators of the user cache warmup: plan the shards, warm one shard, summarise, and handle SQS messages."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowFailException

from roster import settings
from roster.errors import InvalidOptionError, SchemaError

if TYPE_CHECKING:
    from airflow.sdk import Context


def _options(params: Any):
    from roster.warmup import WarmupOptions

    try:
        # Every key of the run's conf: an unknown one (a typo) fails the plan instead of being ignored.
        return WarmupOptions.from_params({k: params[k] for k in params})
    except InvalidOptionError as exc:
        # Bad input will not get better on retry: fail at once, with the message naming the param.
        raise AirflowFailException(str(exc)) from exc


class UserCacheWarmupPlanOperator(BaseOperator):
    """Validate the run's params, check the usernames named and count the users of each shard.

    Returns one ``{"remainder", "users_total", "options"}`` dict per shard: the kwargs of the mapped warm tasks.
    The usernames that name nobody are logged and pushed as XCom ``usernames_unknown``; when all of them do, the
    plan fails (without retry).
    """

    template_fields: Sequence[str] = ("db_conn_id",)

    def __init__(self, *, db_conn_id: str = settings.DB_CONN_ID, **kwargs) -> None:
        super().__init__(**kwargs)
        self.db_conn_id = db_conn_id

    def execute(self, context: Context) -> list[dict[str, Any]]:
        from roster.connections import engine_for
        from roster.warmup import UserCacheWarmer
        from roster.warmup.db_check import check
        from roster.warmup.messages import warmup_queue_url
        from roster.warmup.scope import check_usernames

        options = _options(context["params"])
        if options.mode == "async":
            try:
                warmup_queue_url()
            except InvalidOptionError as exc:
                raise AirflowFailException(str(exc)) from exc
        engine = engine_for(self.db_conn_id)
        try:
            report = check(engine)  # what `roster db check` prints: the schema, access path, missing indexes
            for line in report.lines():
                self.log.info("%s", line)
            if not report.ok:
                raise report.error()
            unknown = check_usernames(engine, options.usernames)
            shards = UserCacheWarmer(engine, None, schema=report.schema).plan(options)
        except (InvalidOptionError, SchemaError) as exc:  # only unknown users, an unknown slug, a missing column
            raise AirflowFailException(str(exc)) from exc
        finally:
            engine.dispose()
        total = sum(shard["users"] for shard in shards)
        self.log.info("%d users in %d shard(s) of modulo %d (%s mode)", total, len(shards), options.modulo, options.mode)
        context["ti"].xcom_push(key="usernames_unknown", value=unknown)
        return [
            {"remainder": shard["remainder"], "users_total": shard["users"], "options": options.to_params()}
            for shard in shards
        ]


class UserCacheWarmupOperator(BaseOperator):
    """Warm one shard (``user.id % modulo == remainder``) of the users in scope, or in async mode publish their
    usernames to ``ROSTER_WARMUP_QUEUE_URL``. Returns the shard's counts.

    :param options: warmup params (see :class:`roster.warmup.WarmupOptions`)
    :param remainder: the shard to warm
    :param users_total: the shard's size when the plan already counted it (for progress logging)
    """

    template_fields: Sequence[str] = ("options", "remainder", "db_conn_id", "redis_conn_id", "sqs_conn_id")
    ui_color = "#f4d6b8"

    def __init__(
        self,
        *,
        options: dict[str, Any],
        remainder: int,
        users_total: int | None = None,
        db_conn_id: str = settings.DB_CONN_ID,
        redis_conn_id: str = settings.REDIS_CONN_ID,
        sqs_conn_id: str = settings.SQS_CONN_ID,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        self.options = options
        self.remainder = remainder
        self.users_total = users_total
        self.db_conn_id = db_conn_id
        self.redis_conn_id = redis_conn_id
        self.sqs_conn_id = sqs_conn_id

    def execute(self, context: Context) -> dict[str, Any]:
        from roster.connections import engine_for, redis_for, sqs_client
        from roster.warmup import UserCacheWarmer
        from roster.warmup.messages import publish_usernames, warmup_queue_url

        options = _options(self.options)
        engine = engine_for(self.db_conn_id)
        redis_client = None
        try:
            if options.mode == "async":
                warmer = UserCacheWarmer(engine, None)
                queue_url = warmup_queue_url()
                sent, users = publish_usernames(
                    sqs_client(self.sqs_conn_id), queue_url, warmer.shard_usernames(options, self.remainder)
                )
                self.log.info("shard %d: published %d users in %d messages to %s", self.remainder, users, sent, queue_url)
                return {"remainder": self.remainder, "modulo": options.modulo, "users_published": users, "messages": sent}
            redis_client = redis_for(self.redis_conn_id)
            warmer = UserCacheWarmer(engine, redis_client, redis_conn_id=self.redis_conn_id)
            result = warmer.warm_shard(options, self.remainder, users_total=self.users_total)
        except (InvalidOptionError, SchemaError) as exc:  # a wrong Redis URL, a missing column: no retry helps
            raise AirflowFailException(str(exc)) from exc
        finally:  # a shard that failed (Redis down mid-run) lets go of its connections too
            if redis_client is not None:
                redis_client.close()
            engine.dispose()
        for error in result.errors:
            self.log.warning("user not warmed: %s", error)
        return result.to_dict()


class UserCacheWarmupSummaryOperator(BaseOperator):
    """Add up the shards' counts; fail the run when a shard failed (after its retries).

    :param planned: the plan task's output (one entry per shard)
    :param shard_results: the mapped warm tasks' outputs
    :param usernames_unknown: the plan's XCom ``usernames_unknown`` (usernames that name nobody)
    """

    template_fields: Sequence[str] = ("planned", "shard_results", "usernames_unknown")

    def __init__(
        self, *, planned: Any, shard_results: Any, usernames_unknown: Any = None,
        redis_conn_id: str = settings.REDIS_CONN_ID, **kwargs,
    ) -> None:  # fmt: skip
        super().__init__(**kwargs)
        self.planned = planned
        self.shard_results = shard_results
        self.usernames_unknown = usernames_unknown
        self.redis_conn_id = redis_conn_id

    def execute(self, context: Context) -> dict[str, Any]:
        """The run's totals; recorded as the latest run (for the health DAG) and sent as metrics, failed or not."""
        from roster.operators import metrics

        record: dict[str, Any] = {"run_id": context["run_id"], "failed": False, "finished_at": time.time()}
        try:
            summary = self._summarise()
        except AirflowFailException as exc:
            record.update(failed=True, error=str(exc)[:500])
            raise
        else:
            record.update({k: v for k, v in summary.items() if k != "errors"})
            metrics.warmup_summary(summary)
            return summary
        finally:
            self._record(record)

    def _record(self, record: dict[str, Any]) -> None:
        from roster.connections import redis_for
        from roster.warmup.runs import record_last_run

        try:
            client = redis_for(self.redis_conn_id)
            try:
                record_last_run(client, record)
            finally:
                client.close()
        except Exception as exc:  # the run's own outcome matters more than its record
            self.log.warning("could not record the run's outcome in the cache Redis: %s", exc)

    def _summarise(self) -> dict[str, Any]:
        from roster.warmup.scope import MAX_NAMES_SHOWN, names

        planned = list(self.planned or [])
        if not planned:
            # Runs after failures too (trigger rule all_done): no plan means the plan task failed.
            raise AirflowFailException("the plan task failed, nothing was warmed: see its log")
        shard_results = self.shard_results or []
        unknown = list(self.usernames_unknown or [])
        # Indexed up to len() rather than iterated: iterating a lazy XCom sequence probes one past its end, which
        # Airflow logs as an error. Failed shards left no XCom, so they are simply absent.
        results = [shard_results[i] for i in range(len(shard_results)) if shard_results[i]]
        done = {result["remainder"] for result in results}
        failed_shards = sorted(shard["remainder"] for shard in planned if shard["remainder"] not in done)
        keys = ("users_warmed", "users_without_assignments", "users_failed", "users_published", "messages")
        summary: dict[str, Any] = {key: sum(result.get(key, 0) for result in results) for key in keys}
        # Shards may run side by side or one after another: the rate is over the wall time they spanned.
        seconds = (
            max(result["finished_at"] for result in results) - min(result["started_at"] for result in results)
            if results and all("started_at" in result for result in results)
            else sum(result.get("seconds", 0.0) for result in results)
        )
        summary.update(
            shards_planned=len(planned),
            shards_done=len(results),
            shards_failed=failed_shards,
            seconds=round(seconds, 3),
            users_per_second=round(summary["users_warmed"] / seconds, 1) if seconds else 0.0,
            errors=[error for result in results for error in result.get("errors", [])][:10],
            # Keys written before a Redis restart are gone: these shards should be warmed again.
            redis_reconnected_shards=[result["remainder"] for result in results if result.get("redis_reconnected")],
            users_unknown=len(unknown),
            usernames_unknown=unknown[:MAX_NAMES_SHOWN],
        )
        self.log.info(
            "warmed %d users (%d without assignments, %d failed, %d unknown) in %d/%d shards, %.0f users/s",
            summary["users_warmed"], summary["users_without_assignments"], summary["users_failed"],
            len(unknown), len(results), len(planned), summary["users_per_second"],
        )  # fmt: skip
        if unknown:
            self.log.warning("usernames that name no user: %s", names(unknown))
        if failed_shards:
            raise AirflowFailException(f"shard(s) {failed_shards} failed: see their task logs; {summary}")
        return summary


class UserCacheWarmupMessagesOperator(BaseOperator):
    """Warm the users of the SQS messages a sensor received (XCom key ``messages``), then delete the messages.

    :param sensor_task_id: the SqsSensor task whose ``messages`` XCom holds the received messages
    :param queue_url: the queue the messages came from (their receipt handles belong to it)
    """

    template_fields: Sequence[str] = ("queue_url", "db_conn_id", "redis_conn_id", "sqs_conn_id")

    def __init__(
        self,
        *,
        sensor_task_id: str,
        queue_url: str,
        batch: int = 1000,
        db_conn_id: str = settings.DB_CONN_ID,
        redis_conn_id: str = settings.REDIS_CONN_ID,
        sqs_conn_id: str = settings.SQS_CONN_ID,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        self.sensor_task_id = sensor_task_id
        self.queue_url = queue_url
        self.batch = batch
        self.db_conn_id = db_conn_id
        self.redis_conn_id = redis_conn_id
        self.sqs_conn_id = sqs_conn_id

    def execute(self, context: Context) -> dict[str, Any]:
        from roster.connections import engine_for, redis_for, sqs_client
        from roster.warmup import UserCacheWarmer
        from roster.warmup.messages import handle_messages

        messages = context["ti"].xcom_pull(task_ids=self.sensor_task_id, key="messages") or []
        engine = engine_for(self.db_conn_id)
        redis_client = redis_for(self.redis_conn_id)
        try:
            warmer = UserCacheWarmer(engine, redis_client, redis_conn_id=self.redis_conn_id)
            summary = handle_messages(warmer, sqs_client(self.sqs_conn_id), self.queue_url, messages, batch=self.batch)
        finally:
            engine.dispose()
            redis_client.close()
        self.log.info(
            "%d message(s): %d done, %d malformed, %d redelivered; %d users warmed",
            summary["messages"], summary["messages_done"], summary["messages_malformed"],
            summary["messages_redelivered"], summary["users_warmed"],
        )  # fmt: skip
        return summary
