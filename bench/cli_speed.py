"""How long a ``roster`` command takes from a shell, against the floor the CLI paid before (importing Airflow).

    .venv/bin/python bench/cli_speed.py [--runs 10] [--jobs 200]

Each command runs ``--runs`` times as a fresh process (as a script calling it in a loop would); the figures are
the median and the fastest wall time. Settings come from the environment, as ``.standalone/env.sh`` gives them
(an unset ``ROSTER_JOBS_QUEUE_URL`` would make the command ask Airflow for a Variable of that name). Commands: ``roster --help``; ``roster jobs publish warm_users`` into a
SQLite roster database in a temporary directory, without a broker and with one (a moto SQS server on a free
loopback port, as ``make standalone`` sets up); ``roster jobs publish --from-file`` of ``--jobs`` jobs at once.
Baseline, in the same run: ``python -c "import airflow"``, which every command paid before it imported only
what it needs. The ratio is baseline median / command median.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.standalone import start_moto  # noqa: E402

BIN = Path(sys.executable).parent
ROSTER = str(BIN / "roster")


def timed(command: list[str], env: dict[str, str], runs: int) -> tuple[float, float]:
    """(median, fastest) wall seconds of ``runs`` fresh runs of ``command``."""
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
        seconds.append(time.perf_counter() - started)
        if done.returncode:
            raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}): {done.stderr[-2000:]}")
    return statistics.median(seconds), min(seconds)


def moto_queue(home: Path) -> tuple[subprocess.Popen, str, str]:
    """A moto SQS server on a free port: (process, connection URI, queue URL)."""
    import boto3

    proc, endpoint = start_moto(home / "moto.log")
    sqs = boto3.client("sqs", endpoint_url=endpoint, region_name="us-east-1",
                       aws_access_key_id="testing", aws_secret_access_key="testing")  # fmt: skip
    url = sqs.create_queue(QueueName="roster-jobs-bench")["QueueUrl"]
    uri = f"aws://testing:testing@/?region_name=us-east-1&endpoint_url={endpoint.replace(':', '%3A').replace('/', '%2F')}"
    return proc, uri, url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--jobs", type=int, default=200, help="jobs in the --from-file publish")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="roster-cli-bench-"))
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "ROSTER_"))}
    env = {**base, "AIRFLOW_HOME": str(home / "airflow"), "AIRFLOW_CONN_ROSTER_DB": f"sqlite:///{home}/roster.db",
           "ROSTER_JOBS_QUEUE_URL": ""}  # fmt: skip  (set and empty: no broker, no Airflow Variable to look up)
    subprocess.run([ROSTER, "jobs", "update-schema"], env=env, check=True, capture_output=True, timeout=120)
    publish = [ROSTER, "jobs", "publish", "warm_users", "--params", '{"usernames": ["user_10"]}', "--priority", "5"]
    jobs_file = home / "jobs.jsonl"
    jobs_file.write_text("".join(json.dumps({"callback": "warm_users", "params": {"usernames": [f"user_{i}"]}}) + "\n"
                                 for i in range(args.jobs)))  # fmt: skip
    moto, sqs_uri, queue_url = moto_queue(home)
    broker_env = {**env, "AIRFLOW_CONN_ROSTER_SQS": sqs_uri, "ROSTER_JOBS_QUEUE_URL": queue_url}
    try:
        baseline = timed([sys.executable, "-c", "import airflow"], env, args.runs)
        figures = {
            "roster --help": timed([ROSTER, "--help"], env, args.runs),
            "roster jobs publish (no broker)": timed(publish, env, args.runs),
            "roster jobs publish (SQS broker)": timed(publish, broker_env, args.runs),
        }
        if "--from-file" in subprocess.run([ROSTER, "jobs", "publish", "--help"], env=env, capture_output=True,
                                           text=True, timeout=60).stdout:  # fmt: skip
            figures[f"roster jobs publish --from-file ({args.jobs} jobs, SQS broker)"] = timed(
                [ROSTER, "jobs", "publish", "--from-file", str(jobs_file)], broker_env, max(1, args.runs // 2)
            )
    finally:
        moto.terminate()
        moto.wait(timeout=10)
    print(f"baseline: python -c 'import airflow': median {baseline[0]:.3f} s, fastest {baseline[1]:.3f} s")
    for name, (median, fastest) in figures.items():
        print(f"{name}: median {median:.3f} s, fastest {fastest:.3f} s; "
              f"import airflow / this = {baseline[0] / median:.1f}x")  # fmt: skip


if __name__ == "__main__":
    main()
