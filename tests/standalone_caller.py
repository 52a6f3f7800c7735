"""A caller of StandaloneAirflow for tests/test_standalone_exit.py: ``python -m tests.standalone_caller HOME MODE``.

MODE ``raise``: an exception in the block once Airflow is healthy. ``wait``: prints ``ready`` once Airflow is
healthy, then waits (the test signals it). ``starting``: prints ``starting`` and waits in the block's start-up.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from tests.standalone import StandaloneAirflow


def main(home: str, mode: str) -> None:
    if mode == "starting":
        print("starting", flush=True)
    with StandaloneAirflow(Path(home), ready_timeout=300):
        if mode == "raise":
            raise RuntimeError("the caller failed")
        print("ready", flush=True)
        time.sleep(600)


if __name__ == "__main__":
    main(*sys.argv[1:3])
