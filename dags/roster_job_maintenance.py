from roster.dags.job_maintenance import clear_finished_dag, dag  # noqa: F401 - Airflow DAG(s) defined in the roster package
