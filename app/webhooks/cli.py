"""`hembesok webhooks work [--once]`: the webhook delivery worker."""

import logging
import signal
import threading
from typing import Annotated

import typer

from app.config import get_settings
from app.db import make_engine, make_sessionmaker
from app.webhooks.worker import Worker, WorkerConfig

webhooks_app = typer.Typer(help="Webhook delivery.", no_args_is_help=True)

_defaults = WorkerConfig()


@webhooks_app.callback()
def _group() -> None:
    """Webhook delivery."""


@webhooks_app.command()
def work(
    once: Annotated[
        bool, typer.Option("--once", help="Send what is due now, then exit (cron, tests)")
    ] = False,
    timeout: Annotated[
        float, typer.Option(min=0.1, help="Seconds to wait for a receiver")
    ] = _defaults.timeout_seconds,
    lease: Annotated[
        float,
        typer.Option(help="Seconds a claim is held; a dead worker's claims are due after it"),
    ] = _defaults.lease_seconds,
    poll: Annotated[
        float, typer.Option(min=0.05, help="Seconds to sleep when nothing is due")
    ] = _defaults.poll_seconds,
    max_attempts: Annotated[int, typer.Option(min=1)] = _defaults.max_attempts,
    backoff: Annotated[
        float, typer.Option(min=0.0, help="Seconds before the 2nd attempt; doubles each time")
    ] = _defaults.backoff_base_seconds,
) -> None:
    """Deliver booking events to subscribed systems until stopped (SIGTERM or Ctrl-C)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    try:
        config = WorkerConfig(
            timeout_seconds=timeout,
            lease_seconds=lease,
            poll_seconds=poll,
            max_attempts=max_attempts,
            backoff_base_seconds=backoff,
        )
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    engine = make_engine(get_settings().database_url)
    worker = Worker(make_sessionmaker(engine), config)
    try:
        if once:
            typer.echo(f"{worker.drain()} delivery attempt(s) made")
            return
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        worker.run(stop)
    finally:
        engine.dispose()
