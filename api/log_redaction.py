"""Secrets kept out of the logs: URLs and paths are logged with their secrets replaced.

A client may put a key where none belongs (`?api_key=nty_…`, a path): the service refuses
it, but uvicorn's access log writes the request's URL whole. `redact` replaces the value
of every query parameter whose name suggests a secret, and anything that looks like one of
our keys wherever it is; `install` puts a filter doing that on every logger that writes
URLs or paths (uvicorn's access and error logs, ours).
"""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote_plus

REDACTED = "***"
SECRET_WORDS = ("key", "token", "secret", "pass", "pwd", "auth", "sig", "cred", "session")
"""A query parameter whose name (lower-case) contains one of these has its value hidden."""
_OUR_KEY = re.compile(r"nty(?:_|%5[Ff])[A-Za-z0-9_%-]{8,}")
"""An API key (`nty_` and token_urlsafe), the local admin key (`nty_admin_…`), or one of
them percent-encoded; a literal prefix and one character class: linear, no backtracking."""
LOGGERS = ("uvicorn.access", "uvicorn.error", "notary.api")


def redact(text: str) -> str:
    """`text` (a URL, a path, a log line) with secret query values and our keys hidden."""
    if "?" in text:
        path, _, query = text.partition("?")
        text = path + "?" + "&".join(_redacted_parameter(p) for p in query.split("&"))
    if "nty" in text:
        text = _OUR_KEY.sub("nty_" + REDACTED, text)
    return text


def _redacted_parameter(parameter: str) -> str:
    name, equals, _ = parameter.partition("=")
    lowered = unquote_plus(name).lower()
    if equals and any(word in lowered for word in SECRET_WORDS):
        return f"{name}={REDACTED}"
    return parameter


class RedactSecrets(logging.Filter):
    """Applies `redact` to a record's message and to each of its text arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True


def install() -> None:
    """Put the filter on every logger in LOGGERS (once per process)."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecrets) for f in logger.filters):
            logger.addFilter(RedactSecrets())
