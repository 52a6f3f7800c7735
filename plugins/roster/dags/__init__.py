"""roster's DAG definitions, one module per file of the checkout's dags/ (``roster_<module>.py``).

A deployment takes them as they are: point a ``LocalDagBundle`` at this directory (``roster dags bundle`` prints
the ``[dag_processor] dag_bundle_config_list`` entry), or write one-line files importing them into a dags folder
(``roster dags write DIR``, as the checkout's dags/ holds). The package's ``.airflowignore`` keeps this file out of
parsing.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

# module -> the names of the DAG objects it defines at top level (each DAG must be a module global: a one-line
# file re-exports them, and a parser that finds the module already imported sees only globals).
MODULES: dict[str, tuple[str, ...]] = {
    "user_cache_warmup": ("dag",),
    "user_cache_warmup_worker": ("dag",),
    "job_queue": ("dag",),
    "job_broker": ("dag",),
    "job_maintenance": ("clear_finished_dag", "dag"),
    "failed_jobs": ("dag",),
    "cancel_jobs": ("dag",),
    "health": ("dag",),
}


def directory() -> Path:
    """This package's directory on disk: what a ``LocalDagBundle``'s ``path`` names."""
    return Path(str(resources.files(__name__)))


def one_line_file(module: str) -> str:
    """The text of ``roster_<module>.py`` for a dags folder. It names Airflow, so Airflow's safe-mode parsing
    (a file must mention both "airflow" and "dag") reads it."""
    names = ", ".join(MODULES[module])
    return f"from roster.dags.{module} import {names}  # noqa: F401 - Airflow DAG(s) defined in the roster package\n"


def write_one_line_files(folder: Path) -> list[Path]:
    """Write ``roster_<module>.py`` for every module into ``folder`` (created when missing); the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for module in MODULES:
        path = folder / f"roster_{module}.py"
        path.write_text(one_line_file(module), encoding="utf-8")
        written.append(path)
    return written
