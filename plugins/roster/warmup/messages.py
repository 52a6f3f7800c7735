"""Asynchronous warmup through SQS: ``{"usernames": [...]}`` messages, at most 100 users each.

The messages are the roster application's own (``WarmUpGroupedUserCacheMessage`` as Symfony Messenger's SQS transport
sends it, see :mod:`roster.warmup.symfony`), so the application and roster can share the queue both ways during a
migration. Publishing batches ten messages per SendMessageBatch call. Handling a received batch warms the users of every
well-formed message in one pass, then deletes each message only once its users were written; a malformed message
(not JSON, wrong shape, unknown users) is logged with its id and removed, or moved to the dead-letter queue when
``ROSTER_WARMUP_DEAD_LETTER_QUEUE_URL`` is set, without holding back the others.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import orjson

from roster import settings
from roster.errors import RosterError
from roster.sqs import SQS_BATCH, dead_letter, delete_batches, poisoned, receive_count, send_batches
from roster.warmup import symfony

if TYPE_CHECKING:
    from roster.warmup.shard import UserCacheWarmer

log = logging.getLogger("roster.warmup.messages")

MAX_USERS_PER_MESSAGE = 100


class MalformedMessageError(RosterError):
    """A warmup message that can never be processed as it is."""


def warmup_queue_url() -> str:
    return settings.required_setting("ROSTER_WARMUP_QUEUE_URL")


def encode(usernames: Sequence[str]) -> str:
    return orjson.dumps({"usernames": list(usernames)}).decode()


def decode(body: str | bytes) -> list[str]:
    """The usernames of a message body; :class:`MalformedMessageError` says what is wrong with it."""
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        if symfony.php_serialized(body):
            raise MalformedMessageError(
                "body is a PHP-serialized envelope: set the transport's serializer to "
                "messenger.transport.symfony_serializer"
            ) from None
        raise MalformedMessageError(f"body is not JSON ({exc})") from None
    if not isinstance(payload, dict) or set(payload) != {"usernames"}:
        raise MalformedMessageError('body must be an object with exactly one key, "usernames"')
    usernames = payload["usernames"]
    # No upper bound: roster sends at most 100, the application as many as its payload size says (SQS caps a
    # message at 256 KiB anyway).
    if not isinstance(usernames, list) or not usernames:
        raise MalformedMessageError('"usernames" must be a non-empty list of usernames')
    if not all(isinstance(name, str) and name.strip() for name in usernames):
        raise MalformedMessageError('"usernames" must hold non-empty strings only')
    return usernames


def decode_message(message: dict[str, Any], type_: str) -> list[str]:
    """The usernames of a received SQS message, checking the Messenger headers it carries."""
    try:
        symfony.check_headers(symfony.headers(message), type_)
    except symfony.EnvelopeError as exc:
        raise MalformedMessageError(str(exc)) from None
    return decode(message.get("Body", ""))


def publish_usernames(
    client, queue_url: str, pages: Iterable[Sequence[str]], *, message_type: str | None = None
) -> tuple[int, int]:
    """Send the usernames as messages of at most 100; return ``(messages, usernames)`` sent.

    :param message_type: the application's message class (default: ``ROSTER_WARMUP_MESSAGE_TYPE``)
    """
    attributes = symfony.message_attributes(message_type or symfony.message_type())
    entries: list[dict[str, Any]] = []
    sent = users = 0
    for page in pages:
        for start in range(0, len(page), MAX_USERS_PER_MESSAGE):
            chunk = page[start : start + MAX_USERS_PER_MESSAGE]
            entries.append({"MessageBody": encode(chunk), "MessageAttributes": attributes})
            users += len(chunk)
            if len(entries) == SQS_BATCH:
                sent += send_batches(client, queue_url, entries, what="warmup message")
                entries = []
    if entries:
        sent += send_batches(client, queue_url, entries, what="warmup message")
    return sent, users


def handle_messages(
    warmer: UserCacheWarmer, client, queue_url: str, messages: Sequence[dict[str, Any]], *, batch: int = 1000
) -> dict[str, Any]:
    """Warm the users of received SQS ``messages`` (as ``receive_message`` returns them), then delete them.

    When the warm fails (Redis or the database down), the messages come back after their visibility timeout, except
    those received ``ROSTER_SQS_MAX_RECEIVES`` times: they are dead-lettered (or deleted) so none loops forever."""
    good: list[tuple[dict[str, Any], list[str]]] = []
    malformed: list[tuple[dict[str, Any], str]] = []
    # SQS delivers at least once: a message received twice is handled once, deleted with its latest receipt.
    messages = list({message.get("MessageId", id(message)): message for message in messages}.values())
    type_ = symfony.message_type()
    for message in messages:
        try:
            good.append((message, decode_message(message, type_)))
        except MalformedMessageError as exc:
            malformed.append((message, str(exc)))
    retried = _log_redeliveries(messages)
    usernames = list(dict.fromkeys(name for _, names in good for name in names))
    try:
        result = warmer.warm_usernames(usernames, batch=batch) if usernames else None
    except RosterError as exc:
        given_up = [(message, f"not warmed after {receive_count(message)} receives: {exc}") for message, _ in good
                    if poisoned(message)]  # fmt: skip
        _remove(client, queue_url, given_up, [])
        raise
    unknown = set(result.usernames_not_found) if result else set()
    done = []
    for message, names in good:
        missing = [name for name in names if name in unknown]
        if missing:
            malformed.append((message, f"unknown user(s): {', '.join(missing[:10])}"))
        else:
            done.append(message)
    kept = _remove(client, queue_url, malformed, done)
    summary = result.to_dict() if result else {"users_warmed": 0, "users_failed": 0, "users_without_assignments": 0}
    summary.update(
        messages=len(messages),
        messages_done=len(done),
        messages_malformed=len(malformed),
        messages_redelivered=retried,
        messages_kept=kept,
        malformed=[{"message_id": m.get("MessageId"), "reason": reason} for m, reason in malformed],
    )
    return summary


def _remove(client, queue_url: str, malformed: Sequence[tuple[dict[str, Any], str]], done: Sequence[dict]) -> int:
    """Dead-letter the ``malformed`` messages (when ROSTER_WARMUP_DEAD_LETTER_QUEUE_URL is set), then delete them
    and the ``done`` ones; return how many stay. A malformed message the dead-letter queue refused stays, to be
    tried again on its next receive, unless it was received ROSTER_SQS_MAX_RECEIVES times: then it is deleted."""
    dead_letter_url = settings.env_or_variable("ROSTER_WARMUP_DEAD_LETTER_QUEUE_URL")
    removed = list(done)
    for message, reason in malformed:
        if dead_letter_url and not dead_letter(client, dead_letter_url, message, reason, what="warmup message"):
            if not poisoned(message):
                log.error("warmup message %s (%s) stays until the dead-letter queue takes it", message.get("MessageId"), reason)
                continue
        log.error("warmup message %s is removed after %d receive(s): %s", message.get("MessageId"), receive_count(message), reason)
        removed.append(message)
    delete_batches(client, queue_url, removed, what="warmup message")
    return len(malformed) + len(done) - len(removed)


def _log_redeliveries(messages: Sequence[dict[str, Any]]) -> int:
    """Log the messages SQS or the application's worker delivered before; return how many."""
    redelivered = 0
    for message in messages:
        receives = receive_count(message)
        try:
            retries = symfony.retry_count(symfony.headers(message))
        except symfony.EnvelopeError:
            retries = 0
        if receives > 1 or retries:
            redelivered += 1
            log.info("warmup message %s: received %d time(s), retry %d", message.get("MessageId"), receives, retries)
    return redelivered
