"""What a deployment takes from the package: ``roster --version``, ``roster dags path|bundle|write``, ``roster pools
[--import]``; the checkout's dags/ is what ``roster dags write`` writes, and the package's DAG directory (the bundle)
holds the same DAGs."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from conftest import ROOT, parse_dags
from roster.dags import MODULES, directory

ROSTER = str(Path(sys.executable).with_name("roster"))


def roster(*args: str) -> str:
    done = subprocess.run([ROSTER, *args], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_version_is_the_distribution_s():
    assert roster("--version").strip() == f"roster {metadata.version('roster')}"


def test_pools_prints_the_package_s_pools_json():
    pools = json.loads(roster("pools"))
    assert pools == json.loads((ROOT / "plugins" / "roster" / "pools.json").read_text())
    assert {"roster_cache_warmup", "roster_jobs_urgent", "roster_jobs_all"} <= set(pools)


def test_pools_import_puts_them_into_airflow(airflow_db):
    assert roster("pools", "--import").strip() == "imported pools: roster_cache_warmup, roster_jobs_urgent, roster_jobs_all"
    airflow = str(Path(sys.executable).with_name("airflow"))
    listed = subprocess.run([airflow, "pools", "list", "-o", "json"], capture_output=True, text=True, timeout=120)
    pools = {pool["pool"]: pool for pool in json.loads(next(l for l in listed.stdout.splitlines() if l.startswith("[")))}
    assert int(pools["roster_jobs_all"]["slots"]) == 3


def test_dags_write_writes_the_checkout_s_dags_folder(tmp_path):
    written = roster("dags", "write", str(tmp_path / "dags")).split()
    assert sorted(Path(path).name for path in written) == sorted(path.name for path in (ROOT / "dags").glob("*.py"))
    for path in (ROOT / "dags").glob("*.py"):
        assert (tmp_path / "dags" / path.name).read_text() == path.read_text(), path.name


def test_dags_path_and_bundle_name_the_package_s_dag_directory():
    assert roster("dags", "path").strip() == str(directory()) == str(ROOT / "plugins" / "roster" / "dags")
    bundles = {bundle["name"]: bundle for bundle in json.loads(roster("dags", "bundle"))}
    assert bundles["roster"] == {"name": "roster", "classpath": "airflow.dag_processing.bundles.local.LocalDagBundle",
                                 "kwargs": {"path": str(directory())}}  # fmt: skip
    assert bundles["dags-folder"]["kwargs"] == {}  # Airflow's default bundle stays


def test_the_bundle_holds_the_same_dags_as_the_checkout_and_every_one_is_a_module_global(airflow_db):
    from airflow.sdk import DAG

    bundle = parse_dags(directory())
    assert bundle.import_errors == {}
    assert set(bundle.dag_ids) == set(parse_dags().dag_ids)
    assert sorted(path.stem for path in directory().glob("*.py") if path.stem != "__init__") == sorted(MODULES)
    for module, names in MODULES.items():
        defined = vars(__import__(f"roster.dags.{module}", fromlist=["_"]))
        assert sorted(name for name, value in defined.items() if isinstance(value, DAG)) == sorted(names), module
