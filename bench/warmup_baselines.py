"""What bench/warmup.py measures roster against besides the naive loop: the read ceiling and the CLI's start-up.

- The read ceiling: the whole ``users LEFT JOIN assignments LEFT JOIN line_items`` join streamed as rows through
  mysqlclient (an unbuffered SSCursor, the driver's own conversions, datetimes included), in one process, doing
  nothing with them. Any warmup that reads the join row by row is slower than this.
- ``roster warm`` from a shell: the wall time of a fresh process, and when its first database connection opens
  after the process started (a probe patches ``MySQLdb.connect`` before roster runs; the process start comes from
  /proc, so the interpreter's own start-up is counted).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent

CEILING_QUERY = """
SELECT u.id, u.username, u.group_id, u.roles, a.id, a.state, a.attempts_count, a.updated_at,
       li.id, li.label, li.uri, li.slug, li.is_active, li.start_at, li.end_at, li.max_attempts
FROM users u
LEFT JOIN assignments a ON a.user_id = u.id
LEFT JOIN line_items li ON li.id = a.line_item_id
ORDER BY u.id
"""

# Runs roster's CLI in this interpreter after patching MySQLdb.connect to print, once, the seconds since the
# process started (the kernel's start time of the process, from /proc/self/stat, with the clock tick resolution).
PROBE = """
import os, sys
def since_start():
    start = int(open("/proc/self/stat").read().rsplit(")", 1)[1].split()[19]) / os.sysconf("SC_CLK_TCK")
    return float(open("/proc/uptime").read().split()[0]) - start
import MySQLdb
_connect = MySQLdb.connect
def connect(*args, **kwargs):
    if not getattr(connect, "done", False):
        connect.done = True
        sys.stderr.write("roster-bench-first-connect %.3f\\n" % since_start())
    return _connect(*args, **kwargs)
MySQLdb.connect = MySQLdb.Connect = connect
sys.argv = ["roster", *sys.argv[1:]]
from roster.cli import main
sys.exit(main())
"""


def read_ceiling(database: str, host: str = "127.0.0.1", user: str = "root") -> dict:
    """Stream the full join of ``database``; users/s over the time from the query to the last row."""
    import MySQLdb
    import MySQLdb.cursors

    conn = MySQLdb.connect(host=host, user=user, database=database, charset="utf8mb4")
    try:
        cursor = conn.cursor(MySQLdb.cursors.SSCursor)
        started = time.perf_counter()
        cursor.execute(CEILING_QUERY)
        rows = 0
        users = set()
        while batch := cursor.fetchmany(10_000):
            rows += len(batch)
            users.add(batch[-1][0])  # touch one value per batch: the rows are read, not kept
        seconds = time.perf_counter() - started
        cursor.close()
        users_total = conn.cursor()
        users_total.execute("SELECT COUNT(*) FROM users")
        count = users_total.fetchone()[0]
    finally:
        conn.close()
    return {"rows": rows, "users_warmed": count, "wall": seconds, "users_per_second": count / seconds}


def roster_cli(args: list[str], env: dict[str, str]) -> dict:
    """One ``roster ...`` in a fresh interpreter: wall seconds, first connection (seconds after the process
    started) and the command's JSON output."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", PROBE, *args], env=env, capture_output=True, text=True, timeout=600)
    wall = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"roster {' '.join(args)} failed ({done.returncode}): {done.stderr[-2000:]}")
    first = [line for line in done.stderr.splitlines() if line.startswith("roster-bench-first-connect")]
    return {"wall": wall, "first_connect": float(first[0].split()[1]), "output": json.loads(done.stdout)}
