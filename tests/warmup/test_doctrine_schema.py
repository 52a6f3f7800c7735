"""roster's recorded copy of the application's tables (roster/sql/roster_schema*.sql, what `roster seed` creates
for the demo) is Doctrine's SchemaTool output on the mapping of SPEC's data model, statement for statement."""

from __future__ import annotations

import pytest

from roster.db import sql_file, statements

from app_database import _admin
from conftest import TEST_DATABASE
from doctrine_schema import doctrine_ddl


@pytest.mark.parametrize("dialect", ["mysql", "sqlite"])
def test_the_recorded_schema_is_what_doctrine_emits(dialect, tmp_path):
    if dialect == "mysql":
        name = f"{TEST_DATABASE}_doctrine"
        _admin(f"DROP DATABASE IF EXISTS `{name}`", f"CREATE DATABASE `{name}`")
        try:
            emitted = doctrine_ddl("mariadb", name)
        finally:
            _admin(f"DROP DATABASE IF EXISTS `{name}`")
    else:
        emitted = doctrine_ddl("sqlite", str(tmp_path / "empty.db"))

    recorded = statements(sql_file("roster_schema.sql", dialect))
    assert statements(emitted) == recorded, (
        "roster/sql/roster_schema*.sql differs from Doctrine's output: record it again with "
        "php tests/doctrine/schema.php mariadb|sqlite DATABASE"
    )
    assert any("group_id VARCHAR(255) DEFAULT NULL" in statement for statement in recorded)
