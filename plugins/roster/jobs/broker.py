"""Brokers wake lanes; the table stays the truth.

SqsBroker sends, per publishing transaction (a single publish, a ``bulk()`` block, a ``transaction()``), one
message per lane its jobs fall in, ``{"ids": [N, ...]}`` (chunked under SQS's 256 KiB), so 20,000 jobs published in
one bulk cost a request or two, not 2,000. Messages in the old form ``{"id": N}`` are still accepted. A job's lane
is the narrowest lane of roster/pools.json whose priority range holds its priority.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

import orjson

from roster import settings
from roster.connections import sqs_client
from roster.errors import RosterError
from roster.jobs.config import Deadline
from roster.sqs import SQS_BATCH, delete_batches, give_up_poisoned, send_batches

log = logging.getLogger("roster.jobs.broker")

MESSAGE_BYTES = 250_000  # a message body's limit: under SQS's 262,144 bytes, with room for the request's own
CLAIM_BY_ID_MAX = 1_000  # delivered ids claimed by id per process() call (an IN list); more are drained instead
SETTLE_RECEIVES = 500  # at most this many receives of 10 when settling a backlog (5,000 messages) ...
SETTLE_SECONDS = 20.0  # ... and for at most this long
BACKLOG_VISIBILITY = 2  # seconds: a backlog message not deleted (its job is still READY) is visible again soon
JOB_IDS = "RosterJobIds"  # the key of a received message's decoded job ids (see decoded)


class Broker(Protocol):
    def send(self, ids: Sequence[int], priorities: Sequence[int] | None = None) -> None: ...


class MalformedJobMessageError(RosterError):
    """A broker message that names no job."""


def decode_job_ids(body: str | bytes) -> list[int]:
    """The job ids of a message body: ``{"ids": [N, ...]}``, or the old ``{"id": N}``."""
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise MalformedJobMessageError("body is not JSON") from None
    if isinstance(payload, dict) and set(payload) == {"id"}:
        payload = [payload["id"]]
    elif isinstance(payload, dict) and set(payload) == {"ids"} and isinstance(payload["ids"], list):
        payload = payload["ids"]
    else:
        raise MalformedJobMessageError('body must be {"ids": [<positive job id>, ...]} or {"id": <positive job id>}')
    if not payload or any(isinstance(i, bool) or not isinstance(i, int) or i <= 0 for i in payload):
        raise MalformedJobMessageError('"ids" must be a non-empty list of positive job ids')
    return payload


def encode_job_ids(ids: Sequence[int], limit: int = MESSAGE_BYTES) -> list[str]:
    """``{"ids": [...]}`` bodies of at most ``limit`` bytes each, together holding every id in order."""
    bodies: list[str] = []
    chunk: list[str] = []
    size = len('{"ids":[]}')
    for job_id in ids:
        text = str(int(job_id))
        if chunk and size + len(text) + 1 > limit:
            bodies.append('{"ids":[' + ",".join(chunk) + "]}")
            chunk, size = [], len('{"ids":[]}')
        chunk.append(text)
        size += len(text) + 1
    if chunk:
        bodies.append('{"ids":[' + ",".join(chunk) + "]}")
    return bodies


def lane_of(priority: int, lanes: dict[str, tuple[int, int]]) -> str | None:
    """The narrowest lane whose range holds ``priority`` (``None``: no lane does)."""
    holding = [(high - low, name) for name, (low, high) in lanes.items() if low <= priority <= high]
    return min(holding)[1] if holding else None


def group_by_lane(ids: Sequence[int], priorities: Sequence[int] | None) -> dict[str | None, list[int]]:
    """``{lane: its ids}``; without priorities (a re-broker), every id in one group."""
    if priorities is None:
        return {None: list(ids)}
    from roster.jobs.lanes import lanes

    ranges = lanes()
    groups: dict[str | None, list[int]] = {}
    for job_id, priority in zip(ids, priorities, strict=True):
        groups.setdefault(lane_of(int(priority), ranges), []).append(job_id)
    return groups


class SqsBroker:
    """Job ids to an SQS queue: one ``{"ids": [...]}`` message per lane and publishing transaction.

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

    def send(self, ids: Sequence[int], priorities: Sequence[int] | None = None) -> None:
        entries = [
            {"MessageBody": body} for group in group_by_lane(ids, priorities).values() for body in encode_job_ids(group)
        ]
        send_batches(self.client, self.queue_url, entries, what="job id message")


def decoded(messages: Sequence[dict]) -> list[dict]:
    """Each message with its job ids decoded once, under ``JOB_IDS`` (``None`` for a malformed one, logged here).
    The broker's sensor and trigger decode what they receive, so the lanes and the settle task downstream, in
    processes of their own, read the ids from the XCom instead of decoding the bodies again; a message that
    already carries ``JOB_IDS`` is taken as it is."""
    out = []
    for message in messages:
        if JOB_IDS not in message:
            try:
                message = {**message, JOB_IDS: decode_job_ids(message.get("Body", ""))}
            except MalformedJobMessageError as exc:
                log.error("job message %s is malformed and is removed: %s", message.get("MessageId"), exc)
                message = {**message, JOB_IDS: None}
        out.append(message)
    return out


def delivered_ids(messages: Sequence[dict]) -> list[int]:
    """Every job id the messages name, once, in id order (one id may come in several messages: duplicates)."""
    return sorted({job_id for message in decoded(messages) for job_id in message[JOB_IDS] or ()})


def still_ready(queue, ids: Iterable[int]) -> set[int]:
    """The ids whose job is still READY: a message naming one must stay (the job's turn has not come)."""
    ids = sorted(set(ids))
    ready: set[int] = set()
    for start in range(0, len(ids), CLAIM_BY_ID_MAX):
        with queue.store.transaction() as tx:
            ready.update(row[0] for row in tx.rows("ready_of_ids", ids=ids[start : start + CLAIM_BY_ID_MAX]))
    return ready


def settle_messages(queue, client, queue_url: str, messages: Sequence[dict]) -> dict[str, int]:
    """Once the delivered jobs had their turn: delete each message all of whose jobs were claimed or are found
    taken or done (a duplicate delivery claims nothing), and the malformed ones (logged), ten per request. A
    message naming a job still READY (a serial group's turn has not come, a delay) stays, to come back later,
    unless it came ROSTER_SQS_MAX_RECEIVES times: then it is deleted and the job left to the lanes' polling."""
    messages = decoded(messages)
    named = [m for m in messages if m[JOB_IDS] is not None]
    malformed = [m for m in messages if m[JOB_IDS] is None]
    ready = still_ready(queue, (job_id for m in named for job_id in m[JOB_IDS]))
    kept, given_up = give_up_poisoned([m for m in named if not ready.isdisjoint(m[JOB_IDS])], what="job message")
    done = [m for m in named if ready.isdisjoint(m[JOB_IDS])] + malformed + given_up
    delete_batches(client, queue_url, done, what="job message")
    log.info("%d job message(s): %d deleted (%d malformed), %d kept for later",
             len(messages), len(done), len(malformed), len(kept))  # fmt: skip
    return {"messages": len(messages), "messages_deleted": len(done), "messages_kept": len(kept),
            "messages_malformed": len(malformed)}  # fmt: skip


def settle_backlog(queue, client, queue_url: str, *, receives: int = SETTLE_RECEIVES,
                   seconds: float = SETTLE_SECONDS) -> dict[str, int]:  # fmt: skip
    """Receive what else waits in the queue, ten at a time without waiting, and settle it, until the queue is
    empty, ``receives`` or ``seconds``: a backlog of messages for jobs long done is cleared in one run. A message
    kept (its job is still READY) is visible again after BACKLOG_VISIBILITY seconds, to wake the next run."""
    totals = {"messages": 0, "messages_deleted": 0, "messages_kept": 0, "messages_malformed": 0, "receives": 0}
    deadline = time.monotonic() + seconds
    seen: set[str] = set()
    for _ in range(receives):
        if time.monotonic() >= deadline:
            break
        batch = client.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=SQS_BATCH, WaitTimeSeconds=0, VisibilityTimeout=BACKLOG_VISIBILITY,
            MessageSystemAttributeNames=["ApproximateReceiveCount"],  # a message kept too often is given up
        ).get("Messages", [])
        totals["receives"] += 1
        batch = [m for m in batch if m.get("MessageId") not in seen]  # a kept one back again: settled already
        if not batch:
            break
        seen.update(m.get("MessageId") for m in batch)
        for key, value in settle_messages(queue, client, queue_url, batch).items():
            totals[key] += value
    return totals


def add_counts(first: dict[str, Any], second: dict[str, Any]) -> dict[str, Any]:
    """Two consumer runs' summaries as one: counts and seconds added, errors joined, the second's stop reason."""
    merged = dict(first)
    for key, value in second.items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            merged[key] = round(merged.get(key, 0) + value, 3)
        elif isinstance(value, list):
            merged[key] = merged.get(key, []) + value
        else:
            merged[key] = value
    return merged


def process_delivered(queue, ids: Sequence[int], *, deadline: Deadline = Deadline(), **process_kwargs) -> dict:
    """Claim and run the delivered jobs, CLAIM_BY_ID_MAX ids per ``process()`` call, within ``deadline``."""
    summary: dict[str, Any] = {"claimed": 0, "finished": 0}
    for start in range(0, len(ids), CLAIM_BY_ID_MAX):
        if deadline.passed():
            break
        chunk = list(ids[start : start + CLAIM_BY_ID_MAX])
        summary = add_counts(summary, queue.process(job_ids=chunk, deadline=deadline, **process_kwargs))
    return summary


def handle_job_messages(queue, client, queue_url: str, messages: Sequence[dict], **process_kwargs) -> dict:
    """Claim and run the jobs named by received broker messages, then settle the messages."""
    summary = process_delivered(queue, delivered_ids(messages), **process_kwargs)
    return {**summary, **settle_messages(queue, client, queue_url, messages)}
