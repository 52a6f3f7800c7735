from roster.dags.job_broker import dag  # noqa: F401 - Airflow DAG(s) defined in the roster package
