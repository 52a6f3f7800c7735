from roster.dags.health import dag  # noqa: F401 - Airflow DAG(s) defined in the roster package
