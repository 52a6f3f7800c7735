"""SQS in batches: SendMessageBatch and DeleteMessageBatch take at most ten entries a request (and 256 KiB).

Used by the warmup's messages and the job broker alike.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from roster import settings
from roster.errors import RosterError, ServiceUnavailableError

log = logging.getLogger("roster.sqs")

SQS_BATCH = 10
SQS_BATCH_BYTES = 262_144  # a SendMessageBatch request's bodies together, like one message's body


def batches(entries: Sequence[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """``entries`` in requests of at most ten whose bodies add up to at most SQS_BATCH_BYTES (a body over the limit
    goes alone, for SQS to refuse with its own reason)."""
    out: list[list[dict[str, Any]]] = []
    size = 0
    for entry in entries:
        body = len(entry["MessageBody"].encode())
        if not out or len(out[-1]) == SQS_BATCH or size + body > SQS_BATCH_BYTES:
            out.append([])
            size = 0
        out[-1].append(entry)
        size += body
    return out


def send_batches(client, queue_url: str, entries: Sequence[dict[str, Any]], *, what: str = "message") -> int:
    """Send ``entries`` (``MessageBody`` and optional ``MessageAttributes``; ids are assigned here) in requests
    of ten at most, and of 256 KiB at most; return how many were sent. A refused request or a rejected entry is a
    :class:`ServiceUnavailableError` naming the queue and ``what`` was sent."""
    for batch in batches(entries):
        chunk = [{**entry, "Id": str(i)} for i, entry in enumerate(batch)]
        try:
            response = client.send_message_batch(QueueUrl=queue_url, Entries=chunk)
        except Exception as exc:
            raise ServiceUnavailableError(f"SQS queue {queue_url} refused {what}s: {exc}") from exc
        failed = response.get("Failed") or []
        if failed:
            reasons = "; ".join(f"{f.get('Code')}: {f.get('Message')}" for f in failed[:3])
            raise ServiceUnavailableError(f"SQS queue {queue_url} rejected {len(failed)} {what}(s): {reasons}")
    return len(entries)


def delete_batches(client, queue_url: str, messages: Sequence[dict[str, Any]], *, what: str = "message") -> int:
    """Delete received ``messages`` by receipt handle in requests of ten; return how many SQS did not delete.

    Not fatal: a message SQS did not delete comes back after its visibility timeout."""
    not_deleted = 0
    for start in range(0, len(messages), SQS_BATCH):
        chunk = messages[start : start + SQS_BATCH]
        entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(chunk)]
        response = client.delete_message_batch(QueueUrl=queue_url, Entries=entries)
        if response.get("Failed"):
            not_deleted += len(response["Failed"])
            log.warning("SQS did not delete %d %s(s): %s", len(response["Failed"]), what, response["Failed"][:3])
    return not_deleted


def resendable_attributes(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A received message's attributes as SendMessage takes them (a dead-lettered message keeps its ``type``)."""
    keep = ("DataType", "StringValue", "BinaryValue")
    return {
        name: {key: value for key, value in attribute.items() if key in keep}
        for name, attribute in (message.get("MessageAttributes") or {}).items()
    }


def receive_count(message: dict[str, Any]) -> int:
    """How many times SQS delivered ``message`` (``ApproximateReceiveCount``; 1 when it was not asked for)."""
    try:
        return int((message.get("Attributes") or {}).get("ApproximateReceiveCount", 1))
    except (TypeError, ValueError):
        return 1


def poisoned(message: dict[str, Any]) -> bool:
    """Received ``ROSTER_SQS_MAX_RECEIVES`` times or more without being settled: give it up instead of keeping it."""
    return receive_count(message) >= settings.sqs_max_receives()


def give_up_poisoned(kept: Sequence[dict[str, Any]], *, what: str = "message") -> tuple[list[dict], list[dict]]:
    """``(still kept, given up)``: of the messages about to be kept for a later delivery, those :func:`poisoned`
    are given up (logged) so that none is redelivered forever."""
    still, given_up = [], []
    for message in kept:
        (given_up if poisoned(message) else still).append(message)
    for message in given_up:
        log.error("%s %s was received %d times without being settled: deleted", what, message.get("MessageId"),
                  receive_count(message))  # fmt: skip
    return still, given_up


def dead_letter(client, queue_url: str | None, message: dict[str, Any], reason: str, *, what: str = "message") -> bool:
    """Send a copy of ``message`` (body, attributes, ``roster_error``) to the dead-letter ``queue_url``; whether it
    went. Never raises: a dead-letter queue that fails must not hold back deleting the messages already handled."""
    if not queue_url:
        return False
    entry = {"MessageBody": message.get("Body", ""), "MessageAttributes": {**resendable_attributes(message),
             "roster_error": {"DataType": "String", "StringValue": reason[:1000]}}}  # fmt: skip
    try:
        send_batches(client, queue_url, [entry], what=f"dead-lettered {what}")
    except RosterError as exc:
        log.error("%s %s could not be dead-lettered: %s", what, message.get("MessageId"), exc)
        return False
    return True
