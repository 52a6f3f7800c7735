"""Airflow operators over roster's domain modules: argument handling, logging and XCom; the work is elsewhere."""
