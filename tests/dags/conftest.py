"""DAGs parsed from dags/ as the scheduler would, run end to end with ``dag.test()``."""

from __future__ import annotations

import pytest

from conftest import parse_dags


@pytest.fixture
def dagbag(airflow_db):
    """Parsed anew for each test: dag.test(run_conf=...) leaves the conf in the DAG's params."""
    return parse_dags()


@pytest.fixture(scope="session")
def warmup_data(mariadb_engine):
    """The warmup test dataset in MariaDB, with its expected documents."""
    from tests.warmup.conftest import expected_documents, load_dataset

    load_dataset(mariadb_engine)
    return expected_documents(mariadb_engine)
