"""Several API processes on one port, each with its own listening socket (SO_REUSEPORT).

uvicorn's `--workers` shares one listening socket between its processes: a burst of new
connections is taken by whichever process wakes first (asyncio accepts a whole backlog per
wakeup), and keep-alive connections stay where they landed: under the cluster's mixed load
one process did nearly all the work while the other idled. With one socket per process
bound with SO_REUSEPORT, the kernel spreads
connections over the processes by their addresses, as a load balancer would.

The supervisor keeps every socket open, so a process that dies is restarted on its own
socket and the connections the kernel gave that socket meanwhile wait in its backlog
instead of being refused. Each process is told by the kernel to stop when the supervisor
dies (PR_SET_PDEATHSIG), so a SIGKILLed supervisor leaves nothing behind.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import time
from multiprocessing.process import BaseProcess
from multiprocessing.synchronize import Event
from types import FrameType

import uvicorn

from notary.ops.anvil import follow_parent
from notary.settings.config import Settings

log = logging.getLogger("notary.ops.serving")

POLL_S = 0.5


def reuse_port_available() -> bool:
    """Whether this platform lets several sockets listen on one port."""
    return hasattr(socket, "SO_REUSEPORT")


def bind_sockets(host: str, port: int, count: int) -> list[socket.socket]:
    """`count` listening sockets on host:port, all with SO_REUSEPORT.

    The port is first bound once without SO_REUSEPORT, so a server still listening there
    (even one with SO_REUSEPORT, such as an earlier supervisor's) is an error, not a
    silent partner sharing the connections.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))
        port = probe.getsockname()[1]  # port 0: the one the kernel chose, for every socket
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(family, socket.SOCK_STREAM)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.bind((host, port))
            sock.listen(2048)
            sock.set_inheritable(True)
    except OSError:
        for sock in sockets:
            sock.close()
        raise
    return sockets


class _ReadyServer(uvicorn.Server):
    """uvicorn's server, saying through `ready` once it has started serving."""

    def __init__(self, config: uvicorn.Config, ready: Event) -> None:
        super().__init__(config)
        self._ready = ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            self._ready.set()


def _serve_one(
    app: str, sock: socket.socket, parent: int, ready: Event, log_level: str, access_log: bool
) -> None:
    """One API process (in a spawned child): uvicorn on the socket it was given."""
    from api.server import server_options  # the web stack is only loaded by what serves

    follow_parent(parent)
    host, port = sock.getsockname()[:2]
    config = uvicorn.Config(
        app,
        factory=True,
        host=host,
        port=port,
        log_level=log_level,
        access_log=access_log,
        **server_options(Settings()),
    )
    _ReadyServer(config, ready).run(sockets=[sock])


class Supervisor:
    """Starts one process per socket, restarts any that dies, stops them all on a signal."""

    def __init__(
        self, app: str, sockets: list[socket.socket], *, log_level: str, access_log: bool
    ) -> None:
        self.app = app
        self.sockets = sockets
        self.log_level = log_level
        self.access_log = access_log
        self._context = multiprocessing.get_context("spawn")
        self._processes: list[tuple[BaseProcess, Event]] = []
        self._stopping = False

    def run(self) -> int:
        """Until SIGTERM/SIGINT (0), or until a process fails to start (1)."""
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._stop)
        self._processes = [self._start(i) for i in range(len(self.sockets))]
        failed = False
        try:
            while not self._stopping and not failed:
                time.sleep(POLL_S)
                failed = self._replace_dead()
        finally:
            self._stop_all()
        return 1 if failed else 0

    def _start(self, index: int) -> tuple[BaseProcess, Event]:
        ready = self._context.Event()
        process = self._context.Process(
            target=_serve_one,
            args=(
                self.app,
                self.sockets[index],
                os.getpid(),
                ready,
                self.log_level,
                self.access_log,
            ),
            name=f"api-{index}",
        )
        process.start()
        return process, ready

    def _replace_dead(self) -> bool:
        """Restart each process that died; True if one died before it served.

        A process that cannot start (a broken configuration, an unreachable database at
        startup) would fail again at once: stopping all says so instead of looping.
        """
        for index, (process, ready) in enumerate(self._processes):
            if process.is_alive() or self._stopping:
                continue
            if not ready.is_set():
                log.error("API process %s exited with %s while starting", index, process.exitcode)
                return True
            log.warning("API process %s exited with %s: restarting it", index, process.exitcode)
            self._processes[index] = self._start(index)
        return False

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        self._stopping = True

    def _stop_all(self) -> None:
        for process, _ in self._processes:
            if process.is_alive():
                process.terminate()
        deadline = time.monotonic() + 10.0
        for process, _ in self._processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()
        for sock in self.sockets:
            sock.close()


def serve_processes(
    app: str, host: str, port: int, processes: int, *, log_level: str, access_log: bool
) -> int:
    """Serve the app factory `app` from `processes` processes on host:port; the exit code."""
    return Supervisor(
        app, bind_sockets(host, port, processes), log_level=log_level, access_log=access_log
    ).run()
