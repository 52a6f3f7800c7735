"""Brokers tell consumers which jobs to claim; the table stays the truth. SqsBroker sends ``{"id": N}`` messages."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Protocol

import orjson

from roster import settings
from roster.connections import sqs_client
from roster.errors import RosterError
from roster.sqs import delete_batches, send_batches

log = logging.getLogger("roster.jobs.broker")


class Broker(Protocol):
    def send(self, ids: Sequence[int]) -> None: ...


class MalformedJobMessageError(RosterError):
    """A broker message that names no job."""


def decode_job_id(body: str | bytes) -> int:
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise MalformedJobMessageError("body is not JSON") from None
    if isinstance(payload, dict) and set(payload) == {"id"}:
        payload = payload["id"]
    if isinstance(payload, bool) or not isinstance(payload, int) or payload <= 0:
        raise MalformedJobMessageError('body must be {"id": <positive job id>}')
    return payload


class SqsBroker:
    """Job ids to an SQS queue, ten per SendMessageBatch call.

    :param queue_url: the queue (``ROSTER_JOBS_QUEUE_URL``)
    :param client: a boto3 SQS client; by default the amazon provider's hook for ``aws_conn_id``
    """

    def __init__(self, queue_url: str, *, client: Any = None, aws_conn_id: str = settings.SQS_CONN_ID) -> None:
        self.queue_url = queue_url
        self._client = client
        self.aws_conn_id = aws_conn_id

    @property
    def client(self):
        if self._client is None:
            self._client = sqs_client(self.aws_conn_id)
        return self._client

    def send(self, ids: Sequence[int]) -> None:
        entries = [{"MessageBody": orjson.dumps({"id": job_id}).decode()} for job_id in ids]
        send_batches(self.client, self.queue_url, entries, what="job id")


def decode_messages(messages: Sequence[dict]) -> tuple[dict[int, list[dict]], list[dict]]:
    """``({job id: its messages}, malformed messages)``: one id may come in several messages (duplicates)."""
    ids: dict[int, list[dict]] = {}
    malformed = []
    for message in messages:
        try:
            ids.setdefault(decode_job_id(message.get("Body", "")), []).append(message)
        except MalformedJobMessageError as exc:
            log.error("job message %s is malformed and is removed: %s", message.get("MessageId"), exc)
            malformed.append(message)
    return ids, malformed


def claimable_messages(queue, ids) -> set[int]:
    """The ids whose job is still READY: their message must stay (the job's turn has not come)."""
    from roster.jobs.states import State

    if not ids:
        return set()
    with queue._cursor() as cursor:
        queue._execute(cursor, "SELECT id FROM background_job WHERE id IN :ids AND state = :ready",
                       {"ids": list(ids), "ready": int(State.READY)})  # fmt: skip
        return {row[0] for row in cursor.fetchall()}


def settle_messages(queue, client, queue_url: str, messages: Sequence[dict]) -> dict[str, int]:
    """Once the delivered jobs had their turn: delete each message whose job was claimed or is found already taken
    or done (a duplicate delivery claims nothing), and the malformed ones (logged). A message whose job is still
    READY (a serial group's turn has not come, a delay) stays, to be delivered again after its visibility timeout."""
    ids, malformed = decode_messages(messages)
    keep = claimable_messages(queue, ids)
    done = [m for job_id, ms in ids.items() if job_id not in keep for m in ms] + malformed
    delete_batches(client, queue_url, done, what="job message")
    log.info("%d job message(s): %d deleted (%d malformed), %d kept for later",
             len(messages), len(done), len(malformed), len(keep))  # fmt: skip
    return {"messages": len(messages), "messages_deleted": len(done), "messages_kept": len(keep),
            "messages_malformed": len(malformed)}  # fmt: skip


def handle_job_messages(queue, client, queue_url: str, messages: Sequence[dict], **process_kwargs) -> dict:
    """Claim and run the jobs named by received broker messages, then settle the messages."""
    ids, _ = decode_messages(messages)
    summary = queue.process(job_ids=list(ids), **process_kwargs) if ids else {"claimed": 0}
    return {**summary, **settle_messages(queue, client, queue_url, messages)}
