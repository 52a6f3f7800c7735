"""The cache documents of SPEC.md ("Cache format"), as UTF-8 JSON byte for byte what orjson writes.

A line item document is built once per shard with orjson. A user document is assembled from one row per user
(roster/sql/warmup/user_documents_*.sql): the server writes the assignments array's text with %-format keys where a
string would need JSON escaping (see assignments_packed.sql); :class:`DocumentParts` fills them with orjson's text,
so Python makes no object per assignment and orjson stays the reference for every escaped string.
"""

from __future__ import annotations

from typing import Any

import orjson

LineItemRow = tuple[int, str, str, str, int, str | None, str | None, int]
# (id, username, group_id, roles JSON, assignments array text as UTF-8 bytes or None), as user_documents_page.sql
# returns it.
UserRow = tuple[int, str, int | str | None, str | bytes, bytes | None]

# Bytes throughout (the page query returns the assignments as bytes, orjson writes bytes): no str copy to encode.
_USER = b'{"id":%d,"username":%s,"groupId":%s,"roles":%s,"assignments":[%s]}'
_ROLES_KEPT = 4096  # distinct roles texts remembered per shard (deployments have a handful)


def line_item_document(row: LineItemRow) -> dict[str, Any]:
    line_item_id, label, uri, slug, is_active, start_at, end_at, max_attempts = row
    return {
        "id": line_item_id,
        "uri": uri,
        "label": label,
        "slug": slug,
        "isActive": bool(is_active),
        "startDateTime": start_at,
        "endDateTime": end_at,
        "maxAttempts": max_attempts,
    }


class DocumentParts(dict):
    """The JSON text of what many documents share, under the keys the page query writes: ``b"7"`` is line item 7's
    document, ``b"s" + hex`` the JSON string of that UTF-8 state (made on first use). A key naming no line item
    raises ``KeyError``."""

    def __init__(self, line_items: dict[int, dict[str, Any]]) -> None:
        super().__init__()
        self._roles: dict[str | bytes, bytes] = {}
        self.add_line_items(line_items)

    def add_line_items(self, line_items: dict[int, dict[str, Any]]) -> None:
        self.update((str(li_id).encode(), orjson.dumps(doc)) for li_id, doc in line_items.items())

    def __missing__(self, key: bytes) -> bytes:
        if not key.startswith(b"s"):
            raise KeyError(key)
        text = self[key] = orjson.dumps(bytes.fromhex(key[1:].decode()).decode())
        return text

    def roles(self, raw: str | bytes) -> bytes:
        """``roles`` as orjson writes it once parsed (spacing and escapes normalised); ``orjson.JSONDecodeError``
        when it is not JSON."""
        text = self._roles.get(raw)
        if text is None:
            if len(self._roles) >= _ROLES_KEPT:
                self._roles.clear()
            text = self._roles[raw] = orjson.dumps(orjson.loads(raw))
        return text


def page_documents(
    users: list[UserRow], parts: DocumentParts, key_prefix: str
) -> tuple[list[tuple[str, bytes]], int, list[tuple[UserRow, Exception]]]:
    """The ``(key_prefix + username, document)`` pairs of a page, how many of those users have no assignment, and
    the users whose document could not be built with their error: ``KeyError`` for a line item id ``parts`` does
    not hold, ``orjson.JSONDecodeError`` for roles that are not JSON. One loop for the page, names bound locally:
    it runs once per user of every shard."""
    documents: list[tuple[str, bytes]] = []
    append = documents.append
    failed = []
    without_assignments = 0
    dumps = orjson.dumps
    roles_text = parts.roles
    for user in users:
        user_id, username, group_id, roles, assignments = user
        try:
            document = _USER % (
                user_id,
                dumps(username),
                dumps(group_id),  # keeps the column's type: a number from an integer column, else a string or null
                roles_text(roles),
                # The server writes datetimes as 2026-01-02 03:04:05, the one space of its text (assignments_packed.sql).
                assignments.replace(b" ", b"T") % parts if assignments else b"",
            )
        except Exception as exc:  # noqa: BLE001 - the caller decides what a failed user means
            failed.append((user, exc))
            continue
        append((key_prefix + username, document))
        if not assignments:
            without_assignments += 1
    return documents, without_assignments, failed
