"""Requests made while a batch is in flight, sent together as the next batch.

Used where one exchange for many costs about as much as one for one: JSON-RPC calls to
the node (`notary.chain.jsonrpc.AsyncJsonRpc`), the API's PostgreSQL lookups
(`api.state.ServiceState.lookup_together`) and single submissions committed together
(`notary.pipeline.group_commit`). Nothing waits on a timer: an idle `Coalescer` sends a
lone item at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

I = TypeVar("I")  # noqa: E741  # what one caller asks
R = TypeVar("R")  # what it gets back

Send = Callable[[list[I]], Awaitable[list[R | Exception]]]
"""Answers a batch in order; an Exception in the list fails only its item's caller."""


class Coalescer(Generic[I, R]):
    """`send(items)` for items asked concurrently, one batch in flight at a time."""

    def __init__(self, send: Send[I, R], max_batch: int) -> None:
        self.send = send
        self.max_batch = max_batch
        self._waiting: list[tuple[I, asyncio.Future[R]]] = []
        self._sender: asyncio.Task[None] | None = None

    async def ask(self, item: I) -> R:
        """The answer for `item` (its exception raised), sent with whatever is waiting."""
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[R] = loop.create_future()
        self._waiting.append((item, answer))
        if self._sender is None:
            self._sender = loop.create_task(self._send_waiting())
        return await answer

    async def _send_waiting(self) -> None:
        """Send batches until none is waiting (in a task of its own: a caller's
        cancellation must not cut an exchange in half or leave the others of its batch
        without an answer)."""
        batch: list[tuple[I, asyncio.Future[R]]] = []
        try:
            while self._waiting:
                size = self.max_batch
                batch, self._waiting = self._waiting[:size], self._waiting[size:]
                try:
                    results = await self.send([item for item, _ in batch])
                except Exception as exc:  # the whole batch failed (e.g. the peer is down)
                    results = [exc] * len(batch)
                for (_, answer), result in zip(batch, results, strict=True):
                    if answer.done():  # its caller gave up
                        continue
                    if isinstance(result, Exception):
                        answer.set_exception(result)
                    else:
                        answer.set_result(result)
        finally:
            self._sender = None
            for _, answer in batch + self._waiting:  # unanswered only if this was cancelled
                if not answer.done():
                    answer.cancel()
            self._waiting = []
