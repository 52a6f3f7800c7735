"""roster's package as it was at a git revision, for a bench's baseline of the same run: ``git archive`` of its
plugins/ extracted into a directory, to be put first on PYTHONPATH of the baseline's processes."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def baseline_source(rev: str, home: Path) -> Path:
    """roster's plugins/ as at ``rev``, extracted under ``home``."""
    target = home / "baseline"
    target.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "plugins"], check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    return target / "plugins"
