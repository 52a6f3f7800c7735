from roster.dags.job_queue import dag  # noqa: F401 - Airflow DAG(s) defined in the roster package
