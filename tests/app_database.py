"""The roster application's own database, as a new user has it: the tables of SPEC made by the application's own
tool (Doctrine's SchemaTool, tests/doctrine_schema.py: its plain single-column indexes, its names, no roster DDL),
read through a MariaDB user that has SELECT on the three tables and nothing else.

Database and user names derive from ROSTER_TEST_DATABASE, so parallel runs never share them.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass

import pytest
from sqlalchemy import create_engine, make_url, text

from conftest import MARIADB_URL, TEST_DATABASE

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


def create_app_schema(name: str, conn_id: str, *variants: str, platform: str = "mariadb", dataset: bool = True):
    """(Re)create database ``name`` with the application's tables, made by Doctrine's SchemaTool (``variants``:
    see tests/doctrine_schema.py); ``conn_id`` (root) points at it."""
    from roster.connections import engine_for

    from doctrine_schema import create_tables

    _admin(f"DROP DATABASE IF EXISTS `{name}`", f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    create_tables(platform, name, *variants)
    os.environ[f"AIRFLOW_CONN_{conn_id.upper()}"] = f"{MARIADB_URL}/{name}"
    engine = engine_for(conn_id)
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


def select_only_user(user: str, database: str) -> tuple[str, str]:
    """(Re)create MariaDB user ``user`` with SELECT on the three roster tables of ``database`` and nothing else;
    its URL and password."""
    password = "ro-" + secrets.token_hex(10)
    _admin(f"DROP USER IF EXISTS '{user}'@'%'", f"CREATE USER '{user}'@'%' IDENTIFIED BY :password", password=password)
    _admin(*(f"GRANT SELECT ON `{database}`.`{table}` TO '{user}'@'%'" for table in ("users", "line_items", "assignments")))
    url = make_url(MARIADB_URL).set(username=user, password=password, database=database)
    return url.render_as_string(hide_password=False), password


def drop_user(user: str) -> None:
    _admin(f"DROP USER IF EXISTS '{user}'@'%'")


@pytest.fixture(scope="session")
def app_database():
    """The application's schema holding the warmup dataset, and a SELECT-only user on it (conn ``roster_app``)."""
    from tests.warmup.conftest import expected_documents

    name = f"{TEST_DATABASE}_app"
    engine = create_app_schema(name, "roster_app_admin")
    users, line_items = expected_documents(engine)
    engine.dispose()
    reader_url, password = select_only_user(READER, name)
    os.environ["AIRFLOW_CONN_ROSTER_APP"] = reader_url
    yield AppDatabase(name, "roster_app_admin", "roster_app", reader_url, password, users, line_items)
    drop_user(READER)
    drop_app_schema(name)
