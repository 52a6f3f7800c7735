"""The roster application's tables made by the application's own tool: Doctrine ORM's SchemaTool (Debian's
php-doctrine-orm, installed by scripts/php.sh) on tests/doctrine/mapping, a mapping of SPEC's data model.

``doctrine_ddl`` prints the DDL SchemaTool would run; ``create_tables`` has SchemaTool create the tables itself.
A variant (``ids=bigint``, ``ids=unsigned``, ``group_id=integer``, ``collation=NAME``; platform ``mysql80`` for a
native JSON ``roles``) changes the mapping the way deployments differ.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from sqlalchemy import make_url

from conftest import MARIADB_URL

SCRIPT = Path(__file__).with_name("doctrine") / "schema.php"


def _database(platform: str, database: str) -> str:
    if platform == "sqlite":
        return database
    url = make_url(MARIADB_URL)
    if url.username not in (None, "root") or url.password:
        raise RuntimeError("tests/doctrine/schema.php connects as root without a password (ROSTER_TEST_MARIADB)")
    return f"{url.host or '127.0.0.1'}:{url.port or 3306}/{database}"


def _run(platform: str, database: str, variants: tuple[str, ...], *flags: str) -> str:
    command = ["php", str(SCRIPT), platform, _database(platform, database), *flags, *variants]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {done.stderr.strip()[:2000]}")
    return done.stdout


def doctrine_ddl(platform: str, database: str, *variants: str) -> str:
    """The DDL SchemaTool emits for the mapping on ``platform`` (mariadb, mysql80, sqlite)."""
    return _run(platform, database, variants)


def create_tables(platform: str, database: str, *variants: str) -> str:
    """SchemaTool creates the tables in ``database`` (MariaDB: the database must exist; SQLite: a file path)."""
    return _run(platform, database, variants, "--create")
