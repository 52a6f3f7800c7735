"""Print airflow.env as shell ``export`` lines for scripts/cluster.sh, interpolated the way Compose does it.

``${NAME:-default}`` takes NAME from the environment (cluster.sh sets the ``*_ADDRESS`` variables to local
processes); a setting already in the environment is kept, as Compose's ``environment:`` wins over ``env_file``.
"""

from __future__ import annotations

import os
import shlex
import sys

from dotenv import dotenv_values


def exports(path: str) -> list[str]:
    return [
        f"export {name}={shlex.quote(value or '')}"
        for name, value in dotenv_values(path).items()
        if name not in os.environ
    ]


if __name__ == "__main__":
    print("\n".join(exports(sys.argv[1])))
