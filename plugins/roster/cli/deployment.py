"""What a deployment takes from the installed package: ``roster dags path|bundle|write DIR`` (the DAG files) and
``roster pools [--import]`` (the lanes' Airflow pools)."""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

from roster.cli.common import print_result
from roster.errors import RosterError

LOCAL_DAG_BUNDLE = "airflow.dag_processing.bundles.local.LocalDagBundle"


def bundle_config() -> list[dict]:
    """``[dag_processor] dag_bundle_config_list``: Airflow's default bundle (the dags folder) and roster's."""
    from roster.dags import directory

    return [
        {"name": "dags-folder", "classpath": LOCAL_DAG_BUNDLE, "kwargs": {}},
        {"name": "roster", "classpath": LOCAL_DAG_BUNDLE, "kwargs": {"path": str(directory())}},
    ]


def cmd_dags_path(args: argparse.Namespace) -> int:
    from roster.dags import directory

    print_result(directory())
    return 0


def cmd_dags_bundle(args: argparse.Namespace) -> int:
    print_result(json.dumps(bundle_config()))
    return 0


def cmd_dags_write(args: argparse.Namespace) -> int:
    from roster.dags import write_one_line_files

    for path in write_one_line_files(Path(args.folder)):
        print_result(path)
    return 0


def _airflow() -> str:
    """The ``airflow`` command beside this Python (the same installation), else the one on PATH."""
    beside = Path(sys.executable).with_name("airflow")
    found = str(beside) if beside.exists() else shutil.which("airflow")
    if not found:
        raise RosterError("roster pools --import: no `airflow` command beside this Python or on PATH")
    return found


def cmd_pools(args: argparse.Namespace) -> int:
    from roster.jobs.lanes import POOLS_FILE, pools_json

    if not args.import_:
        print_result(pools_json().rstrip("\n"))
        return 0
    with resources.as_file(POOLS_FILE) as path:
        done = subprocess.run([_airflow(), "pools", "import", str(path)], capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise RosterError(f"airflow pools import failed (exit {done.returncode}): {last}")
    print_result("imported pools: " + ", ".join(json.loads(pools_json())))
    return 0


def add_deployment_subcommands(commands) -> None:
    dags = commands.add_parser("dags", help="the DAG files of the installed package, for a DAG bundle or a dags folder")
    dags_commands = dags.add_subparsers(dest="dags_command", required=True, metavar="DAGS_COMMAND")
    dags_commands.add_parser("path", help="the package's DAG directory").set_defaults(handler=cmd_dags_path)
    dags_commands.add_parser(
        "bundle", help="[dag_processor] dag_bundle_config_list: the dags folder and a LocalDagBundle on roster's DAGs"
    ).set_defaults(handler=cmd_dags_bundle)
    write = dags_commands.add_parser("write", help="write one-line DAG files importing roster's DAGs into FOLDER")
    write.add_argument("folder", metavar="FOLDER")
    write.set_defaults(handler=cmd_dags_write)

    pools = commands.add_parser("pools", help="print roster's Airflow pools (the job lanes) as JSON, or import them")
    pools.add_argument("--import", dest="import_", action="store_true", help="import them with `airflow pools import`")
    pools.set_defaults(handler=cmd_pools)
