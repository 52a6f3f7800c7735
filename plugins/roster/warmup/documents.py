"""The cache documents of SPEC.md ("Cache format"), built from database rows.

Line item documents are built once per shard and shared by reference between the users' assignments; orjson
then serialises each user document in one call.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson

LineItemRow = tuple[int, str, str, str, int, str | None, str | None, int]
UserRow = tuple[int, str, int | None, str | bytes]
# (user_id, id, state, attempts_count, updated_at ISO 8601, line_item_id), as assignments_of_users.sql returns it.
AssignmentRow = tuple[int, int, str, int, str, int]


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


def user_document(
    user: UserRow, assignments: Sequence[AssignmentRow], line_items: Mapping[int, dict[str, Any]]
) -> bytes:
    """The ``user.<username>`` document as UTF-8 JSON. Raises ``KeyError`` for an unknown line item id and
    ``orjson.JSONDecodeError`` for roles that are not JSON: the caller counts the user as failed."""
    user_id, username, group_id, roles = user
    return orjson.dumps(
        {
            "id": user_id,
            "username": username,
            "groupId": group_id,
            "roles": orjson.loads(roles),
            "assignments": [
                {
                    "id": assignment_id,
                    "state": state,
                    "attemptsCount": attempts_count,
                    "updatedAt": updated_at,
                    "lineItem": line_items[line_item_id],
                }
                for _, assignment_id, state, attempts_count, updated_at, line_item_id in assignments
            ],
        }
    )
