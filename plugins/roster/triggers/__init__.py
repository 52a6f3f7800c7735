"""Airflow triggers of roster (they run in the triggerer)."""
