"""A roster dataset with the awkward cases, on MariaDB and on SQLite, and an independent reading of it."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone

import pytest
from sqlalchemy import text

from roster.seed import integer_group_ids, seed

# Users added on top of the seeded ones, each for a case the documents must get right.
SPECIAL_USERS = [
    # (username, roles, group_id, [(line_item_slug, state, attempts, updated_at)])
    ("zoë_ünïcødé", '["ROLE_USER"]', None, [("dated-inactive", "started", 2, "2026-03-04 05:06:07")]),
    ("用户_名", '["ROLE_USER", "ROLE_ADMIN"]', "group-7", [("dated-inactive", "completed", 1, "2026-01-02 03:04:05"),
                                               ("line-item-1", "cancelled", 0, "2026-02-03 04:05:06")]),
    ("no_assignments", "[]", "group-3", []),
    ('quote"and\\slash', '["ROLE_USER"]', "group-1", [("line-item-2", "ready", 0, "2026-05-06 07:08:09")]),
    # What JSON must escape, or that a server might write differently from orjson, in every string the document
    # holds: the state, the line item's texts, and roles JSON that is not written the way orjson writes it.
    ("tricky %(s41)s\ttab", ' [ "ROLE_\\u00e9\\/x" , 1.50, 1e3, -0.0, {"k": null, "é": "\\"\\n"} ] ', "group-5",
     [("tricky", 'st"a\\te %(7)s %(s41)s ü\n\x01', None, None), ("tricky", "ready", 3, "2026-06-07 08:09:10")]),
]
SEEDED_USERS = 300


def load_dataset(engine) -> None:
    """The seeded users, then SPECIAL_USERS; group ids as the column takes them (string or integer)."""
    seed(engine, users=SEEDED_USERS, assignments_per_user=3, line_items=12, reset=True)
    with engine.connect() as conn:
        integer_groups = integer_group_ids(conn)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO line_items (label, uri, slug, is_active, start_at, end_at, max_attempts, updated_at) "
                "VALUES ('Dated, inactive', 'https://roster.example/li/dated', 'dated-inactive', 0, "
                "'2026-01-01 08:00:00', '2026-12-31 18:30:00', 3, '2026-01-01 00:00:00')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO line_items (label, uri, slug, is_active, start_at, end_at, max_attempts, updated_at) "
                "VALUES (:label, 'https://roster.example/li/é?a=1&b=\\\\x', 'tricky', 1, NULL, NULL, NULL, NULL)"
            ),
            {"label": 'Tricky "quoted" \\ back\tslash, ünï 用 %(7)s %s \U0001f600 \u2028 \x7f'},
        )
        slugs = {slug: li_id for li_id, slug in conn.execute(text("SELECT id, slug FROM line_items"))}
        for username, roles, group_id, assignments in SPECIAL_USERS:
            conn.execute(
                text("INSERT INTO users (username, password, roles, group_id) VALUES (:u, 'x', :r, :g)"),
                {"u": username, "r": roles, "g": int(group_id.split("-")[1]) if integer_groups and group_id else group_id},
            )
            user_id = conn.execute(text("SELECT id FROM users WHERE username = :u"), {"u": username}).scalar_one()
            for slug, state, attempts, updated_at in assignments:
                conn.execute(
                    text(
                        "INSERT INTO assignments (user_id, line_item_id, state, attempts_count, updated_at) "
                        "VALUES (:u, :li, :s, :a, :t)"
                    ),
                    {"u": user_id, "li": slugs[slug], "s": state, "a": attempts, "t": updated_at},
                )


def _iso(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=timezone.utc).isoformat()


def expected_documents(engine) -> tuple[dict[str, dict], dict[int, dict]]:
    """Every user's and line item's document, read with one plain join (not the warmup's queries)."""
    users: dict[str, dict] = {}
    line_items: dict[int, dict] = {}
    with engine.connect() as conn:
        for row in conn.execute(text("SELECT * FROM line_items")).mappings():
            line_items[row["id"]] = {
                "id": row["id"], "uri": row["uri"], "label": row["label"], "slug": row["slug"],
                "isActive": bool(row["is_active"]), "startDateTime": _iso(row["start_at"]),
                "endDateTime": _iso(row["end_at"]), "maxAttempts": row["max_attempts"] or 0,
            }  # fmt: skip
        rows = conn.execute(
            text(
                "SELECT u.id AS uid, u.username, u.group_id, u.roles, a.id AS aid, a.state, a.attempts_count, "
                "a.updated_at, a.line_item_id FROM users u LEFT JOIN assignments a ON a.user_id = u.id "
                "ORDER BY u.id, a.id"
            )
        ).mappings()
        for row in rows:
            doc = users.setdefault(
                row["username"],
                {"id": row["uid"], "username": row["username"], "groupId": row["group_id"],
                 "roles": json.loads(row["roles"]), "assignments": []},
            )  # fmt: skip
            if row["aid"] is not None:
                doc["assignments"].append(
                    {"id": row["aid"], "state": row["state"], "attemptsCount": row["attempts_count"] or 0,
                     "updatedAt": _iso(row["updated_at"]), "lineItem": line_items[row["line_item_id"]]}
                )  # fmt: skip
    return users, line_items


@pytest.fixture(scope="session")
def sqlite_engine(tmp_path_factory):
    path = tmp_path_factory.mktemp("roster-sqlite") / "roster.db"
    os.environ["AIRFLOW_CONN_ROSTER_SQLITE"] = f"sqlite:///{path}"
    from roster.db import engine_for

    engine = engine_for("roster_sqlite")
    yield engine
    engine.dispose()


@dataclass
class Dataset:
    engine: object
    users: dict[str, dict]
    line_items: dict[int, dict]


@pytest.fixture(scope="session", params=["mariadb", "sqlite"])
def dataset(request) -> Dataset:
    """The dataset loaded in MariaDB, then in SQLite, with its expected documents."""
    engine = request.getfixturevalue("mariadb_engine" if request.param == "mariadb" else "sqlite_engine")
    load_dataset(engine)
    return Dataset(engine, *expected_documents(engine))
