"""The host name Airflow records for a task instance, so that several Celery workers on one machine tell apart.

Set as Airflow's ``core.hostname_callable`` in a worker's environment
(``AIRFLOW__CORE__HOSTNAME_CALLABLE=roster.hostname.worker_hostname``) together with ``ROSTER_WORKER_HOSTNAME``
(``make cluster`` gives each worker its own, e.g. ``w1.<host>``): the task instances it runs then carry that name.
Without ``ROSTER_WORKER_HOSTNAME`` it is the machine's fully qualified name, as with Airflow's default.
"""

from __future__ import annotations

import socket

from roster import settings


def worker_hostname() -> str:
    return settings.worker_hostname() or socket.getfqdn()
