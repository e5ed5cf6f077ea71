"""Feed secrets never reach a log line: uvicorn's access log prints every request path."""

import logging
import socket
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
import uvicorn
from uvicorn.config import LOGGING_CONFIG

from app.calendar.redaction import redact
from tests.calendar.conftest import staff_token

SECRET = "Zq3_kP-0aB4cD5eF6gH7iJ8kL9mN0oP1qR2sT3uV4wX"


def test_redact_replaces_the_secret_and_keeps_the_rest():
    assert redact(f"/calendar/{SECRET}.ics") == "/calendar/***.ics"
    assert redact(f'"GET /calendar/{SECRET}.ics?x=1 HTTP/1.1" 200') == (
        '"GET /calendar/***.ics?x=1 HTTP/1.1" 200'
    )
    assert redact(f"/root/calendar/{SECRET}") == "/root/calendar/***"
    assert redact("/api/v1/calendar-tokens/5/rotation") == "/api/v1/calendar-tokens/5/rotation"
    assert redact("/api/v1/bookings/5.ics") == "/api/v1/bookings/5.ics"


def test_error_log_lines_are_redacted(app, caplog):
    # create_app installed the filter; the error handlers log the request path.
    with caplog.at_level(logging.WARNING, logger="hembesok.errors"):
        logging.getLogger("hembesok.errors").error(
            "unhandled error on %s %s", "GET", f"/calendar/{SECRET}.ics"
        )
    assert SECRET not in caplog.text
    assert "/calendar/***.ics" in caplog.text


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def restore_uvicorn_logging() -> Iterator[None]:
    names = ("uvicorn", "uvicorn.error", "uvicorn.access")
    saved = {
        n: (
            logging.getLogger(n).handlers[:],
            logging.getLogger(n).level,
            logging.getLogger(n).propagate,
        )
        for n in names
    }
    yield
    for name, (handlers, level, propagate) in saved.items():
        logger = logging.getLogger(name)
        logger.handlers[:] = handlers
        logger.setLevel(level)
        logger.propagate = propagate


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_uvicorn_access_log_shows_no_feed_secret(app, client, team, restore_uvicorn_logging):
    created = staff_token(client, team.setting.nurse_id)
    path = urlsplit(created["feed_url"]).path
    port = _free_port()
    # uvicorn configures its loggers (dictConfig) after the app installed the filter: the
    # filter must survive that, as it does when uvicorn serves app.asgi.
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_config=LOGGING_CONFIG, access_log=True
    )
    collected = _Collect()
    logging.getLogger("uvicorn.access").addHandler(collected)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        base = f"http://127.0.0.1:{port}"
        assert httpx.get(base + path).status_code == 200
        assert httpx.get(f"{base}/calendar/{SECRET}.ics").status_code == 404
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    access = "\n".join(collected.lines)
    assert access.count("/calendar/***.ics") == 2, access
    assert created["token"] not in access and SECRET not in access
