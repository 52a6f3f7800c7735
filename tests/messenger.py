"""The roster application's side of a shared warmup queue: ``tests/php/messenger.php`` run with ``php`` and the
Symfony Messenger 5.4 Debian packages (``scripts/php.sh`` installs them), against the tests' moto SQS server.

    messenger("dispatch", queue_url, "user_1", "user_2")      # the application publishes
    messenger("consume", queue_url, 3)                         # its worker reads: [{"class", "usernames"}, ...]
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

SCRIPT = Path(__file__).resolve().parent / "php" / "messenger.php"


def transport_dsn(queue_url: str) -> str:
    """The transport DSN for a moto queue: its host and port as the endpoint, over http (``sslmode=disable``)."""
    parts = urlsplit(queue_url)
    queue_name = parts.path.rsplit("/", 1)[-1]
    return f"sqs://testing:testing@{parts.netloc}/{queue_name}?sslmode=disable&region=us-east-1"


def messenger(command: str, queue_url: str, *args: object, timeout: float = 90) -> list[dict]:
    """Run one command of the PHP side; return the JSON lines it printed (a consumer's handled messages)."""
    result = subprocess.run(
        ["php", str(SCRIPT), command, transport_dsn(queue_url), *map(str, args)],
        capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip
    assert result.returncode == 0, f"php messenger.php {command} failed: {result.stderr or result.stdout}"
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
