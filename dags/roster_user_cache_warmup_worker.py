from roster.dags.user_cache_warmup_worker import dag  # noqa: F401 - Airflow DAG(s) defined in the roster package
