"""The Airflow side of batches: :class:`AnnounceBatchesOperator` emits an Asset event for each batch that
completed (``roster://batches/<name>``), so a DAG scheduled on that Asset runs once the batch is done.

Asset names are known only when a batch completes, so the task's outlet is an ``AssetAlias`` (``roster_batches``)
resolved at run time through ``outlet_events``: Airflow's way to emit events for assets a task cannot list when the
DAG is parsed. Each completed batch is taken by one task (``batch_announce.sql``); the event is written when the
task succeeds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from airflow.sdk import Asset, AssetAlias, BaseOperator

from roster import settings
from roster.operators.jobs import job_queue

if TYPE_CHECKING:
    from airflow.sdk import Context

BATCHES_ALIAS = "roster_batches"


class AnnounceBatchesOperator(BaseOperator):
    """Complete the batches whose last check was lost, then emit an Asset event per completed batch not announced
    yet; returns their names."""

    template_fields: Sequence[str] = ("queue_name", "db_conn_id")

    def __init__(self, *, queue_name: str = "default", db_conn_id: str = settings.DB_CONN_ID, **kwargs) -> None:
        kwargs.setdefault("outlets", [AssetAlias(BATCHES_ALIAS)])
        super().__init__(**kwargs)
        self.queue_name = queue_name
        self.db_conn_id = db_conn_id

    def execute(self, context: Context) -> list[str]:
        from roster.jobs.batches import asset_uri

        with job_queue(self.db_conn_id, self.queue_name) as queue:
            names = queue.announce_batches()
        for name in names:
            context["outlet_events"][AssetAlias(BATCHES_ALIAS)].add(Asset(asset_uri(name)), extra={"batch": name})
            self.log.info("batch %s complete: Asset event for %s", name, asset_uri(name))
        return names
