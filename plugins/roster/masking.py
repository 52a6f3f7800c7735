"""What roster does to keep secrets out of logs: a connection's password masked in what a hook logs, and Airflow's
"too short to mask" notice about roster's short, non-secret extras dropped."""

from __future__ import annotations

import logging
from urllib.parse import quote, quote_plus


class ShortSecretNotice(logging.Filter):
    """Drops Airflow's "Skipping masking for a secret as it's too short": its masker walks every extra of a
    connection, so the short, non-secret ones of roster's (a Redis ``db`` number, say) made every task and CLI run
    print it, naming neither the value nor the connection."""

    LOGGERS = ("airflow.sdk._shared.secrets_masker.secrets_masker", "airflow._shared.secrets_masker.secrets_masker")

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Skipping masking for a secret")

    @classmethod
    def install(cls) -> None:
        for name in cls.LOGGERS:
            logger = logging.getLogger(name)
            if not any(isinstance(existing, cls) for existing in logger.filters):
                logger.addFilter(cls())


def masked(hook, password: str | None):
    """``hook`` with the connection's password masked in what it logs: the SQL provider logs the engine URL, with
    the password, at DEBUG (``roster -vv``, task logs)."""
    if password:
        hook._log = _MaskedLog(hook.log, password)
    return hook


class _MaskedLog:
    """A logger proxy that writes ``***`` for a secret (as given or URL-quoted) in the message and its arguments."""

    _METHODS = frozenset(("debug", "info", "warning", "warn", "error", "exception", "critical", "fatal", "log"))

    def __init__(self, log, secret: str) -> None:
        self._inner = log
        self._secrets = sorted({secret, quote(secret, safe=""), quote_plus(secret)}, key=len, reverse=True)

    def __getattr__(self, name: str):
        method = getattr(self._inner, name)
        if name not in self._METHODS:
            return method
        return lambda *args, **kwargs: method(*map(self._mask, args), **{k: self._mask(v) for k, v in kwargs.items()})

    def _mask(self, value):
        text = value if isinstance(value, str) else str(value)
        if not any(secret in text for secret in self._secrets):
            return value
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text
