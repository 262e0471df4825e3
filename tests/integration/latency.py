"""A TCP relay that adds latency, standing in for `tc qdisc … netem delay` (a test helper).

    python tests/integration/latency.py LISTEN_HOST:PORT TARGET_HOST:PORT MIN_MS MAX_MS

Each chunk read in either direction is written out a random MIN_MS..MAX_MS / 2 later
(half the round trip each way), never before the chunk ahead of it, so order holds and a
round trip takes MIN_MS..MAX_MS more. Run inside a server's network namespace in front of
that server: the kernel here has no netem (CONFIG_NET_SCH_NETEM is off).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import sys
import time


async def _pump(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, low_s: float, high_s: float
) -> None:
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def deliver() -> None:
        while True:
            due, chunk = await queue.get()
            if not chunk:
                break
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            writer.write(chunk)
            await writer.drain()
        with contextlib.suppress(OSError):
            writer.write_eof()

    delivering = asyncio.create_task(deliver())
    last_due = 0.0
    try:
        while chunk := await reader.read(65536):
            last_due = max(last_due, time.monotonic() + random.uniform(low_s, high_s))
            queue.put_nowait((last_due, chunk))
    except OSError:
        pass
    finally:
        queue.put_nowait((last_due, b""))
        with contextlib.suppress(OSError):
            await delivering


async def _serve(listen: str, target: str, low_s: float, high_s: float) -> None:
    target_host, target_port = target.rsplit(":", 1)

    async def relay(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        try:
            server_r, server_w = await asyncio.open_connection(target_host, int(target_port))
        except OSError:
            client_w.close()
            return
        try:
            await asyncio.gather(
                _pump(client_r, server_w, low_s, high_s),
                _pump(server_r, client_w, low_s, high_s),
            )
        finally:
            for writer in (client_w, server_w):
                writer.close()

    host, port = listen.rsplit(":", 1)
    server = await asyncio.start_server(relay, host, int(port))
    async with server:
        await server.serve_forever()


def main(argv: list[str]) -> None:
    listen, target, low_ms, high_ms = argv
    asyncio.run(_serve(listen, target, float(low_ms) / 2000, float(high_ms) / 2000))


if __name__ == "__main__":
    main(sys.argv[1:])
