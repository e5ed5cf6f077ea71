"""Feed tokens out of the logs: the secret is in the URL path, which access logs print."""

import logging
import re
from collections.abc import Mapping

# The secret, in any path that has one: /calendar/<secret>.ics, also under a root path.
_FEED_PATH = re.compile(r"(/calendar/)[^/?#\s\"']+?(\.ics)?(?=$|[/?#\s\"'])")
REDACTED = "***"
LOGGERS = ("uvicorn.access", "uvicorn.error", "gunicorn.access", "hembesok.errors")


def redact(text: str) -> str:
    return _FEED_PATH.sub(lambda m: f"{m.group(1)}{REDACTED}{m.group(2) or ''}", text)


def _clean(value: object) -> object:
    return redact(value) if isinstance(value, str) else value


class RedactFeedTokens(logging.Filter):
    """Rewrites the record's message and arguments; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, Mapping):
            record.args = {key: _clean(value) for key, value in record.args.items()}
        elif isinstance(record.args, tuple):
            record.args = tuple(_clean(value) for value in record.args)
        return True


def install_log_redaction(names: tuple[str, ...] = LOGGERS) -> None:
    """Add the filter to the loggers that print request paths (once per logger).

    A logger's filters see only records logged through it, so each one is named here; uvicorn
    keeps filters when it configures its loggers.
    """
    for name in names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactFeedTokens) for f in logger.filters):
            logger.addFilter(RedactFeedTokens())
