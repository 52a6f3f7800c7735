"""The roster application's own database, as a new user has it: the tables of SPEC made by the application's
migrations (tests/app_schema.sql: plain single-column indexes, the application's names, no roster DDL), read
through a MariaDB user that has SELECT on the three tables and nothing else.

Database and user names derive from ROSTER_TEST_DATABASE, so parallel runs never share them.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

from conftest import MARIADB_URL, TEST_DATABASE

SCHEMA = Path(__file__).with_name("app_schema.sql")
READER = f"{TEST_DATABASE}_reader"[:80]


@dataclass
class AppDatabase:
    name: str
    admin_conn_id: str
    reader_conn_id: str
    reader_url: str
    reader_password: str
    users: dict[str, dict]
    line_items: dict[int, dict]


def create_app_schema(name: str, conn_id: str, *, dataset: bool = True):
    """(Re)create database ``name`` with the application's schema; ``conn_id`` (root) points at it."""
    from roster.connections import engine_for
    from roster.db import statements

    _admin(f"DROP DATABASE IF EXISTS `{name}`", f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
    os.environ[f"AIRFLOW_CONN_{conn_id.upper()}"] = f"{MARIADB_URL}/{name}"
    engine = engine_for(conn_id)
    with engine.begin() as conn:
        for statement in statements(SCHEMA.read_text(encoding="utf-8")):
            conn.execute(text(statement))
    if dataset:
        from tests.warmup.conftest import load_dataset

        load_dataset(engine)
    return engine


def drop_app_schema(name: str) -> None:
    _admin(f"DROP DATABASE IF EXISTS `{name}`")


def _admin(*statements: str, **params) -> None:
    admin = create_engine(MARIADB_URL + "/", connect_args={"charset": "utf8mb4"})
    try:
        with admin.begin() as conn:
            for statement in statements:
                conn.execute(text(statement), params)
    finally:
        admin.dispose()


@pytest.fixture(scope="session")
def app_database():
    """The application's schema holding the warmup dataset, and a SELECT-only user on it (conn ``roster_app``)."""
    from tests.warmup.conftest import expected_documents

    name = f"{TEST_DATABASE}_app"
    engine = create_app_schema(name, "roster_app_admin")
    users, line_items = expected_documents(engine)
    engine.dispose()
    password = "ro-" + secrets.token_hex(10)
    _admin(f"DROP USER IF EXISTS '{READER}'@'%'", f"CREATE USER '{READER}'@'%' IDENTIFIED BY :password", password=password)
    _admin(*(f"GRANT SELECT ON `{name}`.`{table}` TO '{READER}'@'%'" for table in ("users", "line_items", "assignments")))
    url = make_url(MARIADB_URL).set(username=READER, password=password, database=name)
    reader_url = url.render_as_string(hide_password=False)
    os.environ["AIRFLOW_CONN_ROSTER_APP"] = reader_url
    yield AppDatabase(name, "roster_app_admin", "roster_app", reader_url, password, users, line_items)
    _admin(f"DROP USER IF EXISTS '{READER}'@'%'")
    drop_app_schema(name)
