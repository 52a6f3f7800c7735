"""``bench/jobs.py --baseline REV``: the same bench in fresh processes, roster as at REV and as in this checkout,
alternating; the best and the median of each, and the ratios (on a shared machine the median moves less). Both
create the job table with their own code (REV's without the columns added since), so each runs what it would run in
production."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from revisions import baseline_source

FIGURES = [("bulk", "bulk publish (queue.bulk)"), ("roster_1", "no-op processing, 1 process"),
           ("roster_2", "no-op processing, 2 processes"), ("one", "one job per transaction (no roster code)")]  # fmt: skip


def _run(script: str, jobs: int, pythonpath: str | None, out: Path) -> dict:
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (pythonpath, env.get("PYTHONPATH")) if p)
    command = [sys.executable, script, "--jobs", str(jobs), "--batches", "adaptive", "--json-out", str(out)]
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, timeout=1800)
    return json.loads(out.read_text())


def compare(script: str, rev: str, jobs: int, rounds: int) -> None:
    runs: dict[str, list[dict]] = {rev: [], "this checkout": []}
    with tempfile.TemporaryDirectory(prefix="roster-bench-jobs-") as home:
        old = str(baseline_source(rev, Path(home)))
        for round_ in range(1, rounds + 1):
            for label, path in ((rev, old), ("this checkout", None)):
                figures = _run(script, jobs, path, Path(home) / f"{len(runs[label])}-{label[:4]}.json")
                runs[label].append(figures)
                print(f"round {round_}, {label}: " + ", ".join(f"{k} {v:,.0f}/s" for k, v in figures.items()))
    for pick, how in ((max, f"best of {rounds} each"), (statistics.median, f"median of {rounds} each")):
        print(f"\n{jobs:,} no-op jobs, {how:<22} {rev:>12}   this checkout   ratio")
        for key, name in FIGURES:
            before, now = (pick([run[key] for run in runs[label]]) for label in (rev, "this checkout"))
            print(f"{name:<42} {before:>12,.0f}   {now:>13,.0f}   {now / before:.2f}x")
