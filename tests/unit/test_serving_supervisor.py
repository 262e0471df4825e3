"""The API-process supervisor tells a process that cannot start from one that died later."""

from __future__ import annotations

import sys
import time

import pytest

from notary.ops.serving import Supervisor, bind_sockets

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="SO_REUSEPORT and PR_SET_PDEATHSIG"
)


def broken_app() -> None:
    """An app factory that fails, as a broken configuration makes the real one fail."""
    raise RuntimeError("no app today")


def test_a_process_that_never_served_stops_the_supervisor_with_a_failure() -> None:
    sockets = bind_sockets("127.0.0.1", 0, 2)
    supervisor = Supervisor(
        f"{__name__}:broken_app", sockets, log_level="critical", access_log=False
    )
    started = time.monotonic()
    assert supervisor.run() == 1  # not restarted in a loop
    assert time.monotonic() - started < 60
    assert all(sock.fileno() == -1 for sock in sockets)  # closed on the way out
