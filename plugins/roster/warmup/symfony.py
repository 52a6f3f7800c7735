"""Symfony Messenger's Amazon SQS transport (5.4), as the roster application sends and reads warmup messages.

With ``messenger.transport.symfony_serializer`` (JSON) the transport sends the message object's properties as the
body, ``{"usernames": [...]}``, and the envelope's headers as SQS message attributes of type String: ``type`` (the
message class, which the receiving worker deserializes the body into) and ``Content-Type``. Headers whose names SQS
refuses travel together as one JSON object in the ``X-Symfony-Messenger`` attribute: among them the stamps,
``X-Message-Stamp-<stamp class>`` (a ``RedeliveryStamp`` with its ``retryCount`` once the application's worker
failed a message and sent it again). Pure functions, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from roster import settings
from roster.errors import RosterError

DEFAULT_MESSAGE_TYPE = "OAT\\SimpleRoster\\Message\\WarmUpGroupedUserCacheMessage"
SPECIAL_HEADERS_ATTRIBUTE = "X-Symfony-Messenger"
REDELIVERY_STAMP_HEADER = "X-Message-Stamp-Symfony\\Component\\Messenger\\Stamp\\RedeliveryStamp"
CONTENT_TYPE = "application/json"


class EnvelopeError(RosterError):
    """A message whose Messenger headers say it is not a warmup message roster can read."""


def message_type() -> str:
    """The application's warmup message class: ``ROSTER_WARMUP_MESSAGE_TYPE``, else the roster application's."""
    return settings.env_or_variable("ROSTER_WARMUP_MESSAGE_TYPE") or DEFAULT_MESSAGE_TYPE


def message_attributes(type_: str) -> dict[str, dict[str, str]]:
    """The attributes the transport sends with a message of class ``type_`` (no stamps: a fresh dispatch)."""
    return {
        "type": {"DataType": "String", "StringValue": type_},
        "Content-Type": {"DataType": "String", "StringValue": CONTENT_TYPE},
    }


def headers(message: Mapping[str, Any]) -> dict[str, str]:
    """The Messenger headers of a received SQS message, merged as the transport's receiver merges them."""
    attributes = dict(message.get("MessageAttributes") or {})
    merged: dict[str, Any] = {}
    special = attributes.pop(SPECIAL_HEADERS_ATTRIBUTE, None)
    if special and special.get("DataType") == "String":
        try:
            merged = orjson.loads(special.get("StringValue", ""))
        except orjson.JSONDecodeError:
            merged = None
        if not isinstance(merged, dict):
            raise EnvelopeError(f"attribute {SPECIAL_HEADERS_ATTRIBUTE} is not a JSON object of headers")
    for name, attribute in attributes.items():
        if attribute.get("DataType") == "String":
            merged[name] = attribute.get("StringValue", "")
    return merged


def check_headers(envelope_headers: Mapping[str, str], type_: str) -> None:
    """Refuse a message the application's worker would not read as a ``type_`` in JSON; plain messages (no
    headers, as roster sent them before) pass."""
    sent_type = envelope_headers.get("type")
    if sent_type is not None and sent_type != type_:
        raise EnvelopeError(
            f'header "type" is {sent_type!r}, not the warmup message class {type_!r} (ROSTER_WARMUP_MESSAGE_TYPE)'
        )
    content_type = envelope_headers.get("Content-Type")
    if content_type is not None and content_type.split(";")[0].strip().lower() != CONTENT_TYPE:
        raise EnvelopeError(
            f'header "Content-Type" is {content_type!r}: the transport must use the symfony_serializer with JSON'
        )


def php_serialized(body: str | bytes) -> bool:
    """Whether ``body`` is what Messenger's default PhpSerializer sends: ``O:36:\\"Symfony\\...\\Envelope\\"...``."""
    head = body[:100].decode(errors="replace") if isinstance(body, bytes) else body[:100]
    return head.startswith("O:") and "Envelope" in head


def retry_count(envelope_headers: Mapping[str, str]) -> int:
    """The retry count of the last ``RedeliveryStamp`` (0 when the application's worker never retried it)."""
    raw = envelope_headers.get(REDELIVERY_STAMP_HEADER)
    try:
        stamps = orjson.loads(raw) if raw else []
        return int(stamps[-1]["retryCount"]) if stamps else 0
    except (orjson.JSONDecodeError, LookupError, TypeError, ValueError):
        return 0  # a stamp roster cannot read changes nothing about the usernames to warm
