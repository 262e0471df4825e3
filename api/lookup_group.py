"""Lookups that concurrent requests make at the same moment, answered together.

On PostgreSQL a verification's lookup is a round trip made from one of the service's
threads: the hand-off to the thread and back and the round trip cost the service more
than the query costs the server. So, like the JSON-RPC batching (notary.chain.jsonrpc),
items that arrive while a batch is in flight go out together as the next batch: one
hand-off and one connection for all of them, their statements pipelined
(`CompiledSelect.rows_many`). Nothing waits on a timer: a lone item goes at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from sqlalchemy import Connection

I = TypeVar("I")  # noqa: E741  # what one request looks up
R = TypeVar("R")  # what it gets back
MAX_BATCH = 64
"""Most items in one batch (one pipeline of statements)."""

Many = Callable[[Connection, list[I]], list[R | Exception]]
"""Looks up every item on one connection; an Exception in the list fails only its item."""
LookUp = Callable[[list[I]], Awaitable[list[R | Exception]]]
"""Runs a `Many` for a batch of items (on a thread, on one connection)."""


class LookupGroup(Generic[I, R]):
    """`look_up(items)` for items asked concurrently, one batch at a time."""

    def __init__(self, look_up: LookUp[I, R]) -> None:
        self.look_up = look_up
        self._waiting: list[tuple[I, asyncio.Future[R]]] = []
        self._sender: asyncio.Task[None] | None = None

    async def ask(self, item: I) -> R:
        """The answer for `item` (its exception raised), looked up with whatever is waiting."""
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[R] = loop.create_future()
        self._waiting.append((item, answer))
        if self._sender is None:
            self._sender = loop.create_task(self._send_waiting())
        return await answer

    async def _send_waiting(self) -> None:
        """Send batches until none is waiting (in a task of its own: a caller's
        cancellation must not leave the others of its batch without an answer)."""
        batch: list[tuple[I, asyncio.Future[R]]] = []
        try:
            while self._waiting:
                batch, self._waiting = self._waiting[:MAX_BATCH], self._waiting[MAX_BATCH:]
                items = [item for item, _ in batch]
                try:
                    results = await self.look_up(items)
                except Exception as exc:  # the whole batch failed (e.g. the database is down)
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
