from roster.dags.failed_jobs import dag  # noqa: F401 - Airflow DAG(s) defined in the roster package
