"""Lookups asked at the same moment share a batch; each request keeps its own answer."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection

from api.state import MAX_LOOKUP_BATCH as MAX_BATCH
from notary.store.engine import Store, open_store
from notary.util.coalesce import Coalescer


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    handle = open_store(f"sqlite:///{tmp_path / 'lookups.db'}")
    yield handle
    handle.dispose()


Many = Callable[[Connection, list[int]], list[Any]]
GroupOf = Callable[[Many], Coalescer[int, Any]]


@pytest.fixture
def group_of(store: Store) -> Iterator[GroupOf]:
    """Coalescers of lookups on `store` whose batches run on a thread pool of their own."""
    pool = ThreadPoolExecutor(2)

    def group(many: Many) -> Coalescer[int, Any]:
        def on_a_connection(items: list[int]) -> list[Any]:
            with store.lookup() as conn:
                return many(conn, items)

        async def look_up(items: list[int]) -> list[Any]:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(pool, on_a_connection, items)

        return Coalescer(look_up, MAX_BATCH)

    yield group
    pool.shutdown()


def test_asks_made_during_a_batch_go_out_together_and_each_gets_its_answer(
    group_of: Callable[[Many], Coalescer[int, Any]],
) -> None:
    batches: list[list[int]] = []
    first = threading.Event()

    def squares(conn: Connection, items: list[int]) -> list[Any]:
        assert isinstance(conn, Connection)
        batches.append(items)
        if not first.is_set():  # while the first is in flight, the others queue up
            first.set()
            time.sleep(0.2)
        return [i * i for i in items]

    group = group_of(squares)
    asks = 3 * MAX_BATCH // 2

    async def scenario() -> list[Any]:
        lone = asyncio.ensure_future(group.ask(0))
        await asyncio.to_thread(first.wait, 5)
        return await asyncio.gather(lone, *(group.ask(i) for i in range(1, asks)))

    assert asyncio.run(scenario()) == [i * i for i in range(asks)]
    assert [len(b) for b in batches] == [1, MAX_BATCH, asks - 1 - MAX_BATCH]


def test_an_exception_answers_only_its_own_ask(
    group_of: Callable[[Many], Coalescer[int, Any]],
) -> None:
    def picky(conn: Connection, items: list[int]) -> list[Any]:
        return [ValueError(f"no {i}") if i % 2 else i for i in items]

    group = group_of(picky)

    async def scenario() -> list[Any]:
        return await asyncio.gather(*(group.ask(i) for i in range(6)), return_exceptions=True)

    answers = asyncio.run(scenario())
    assert answers[0::2] == [0, 2, 4]
    assert [str(a) for a in answers[1::2]] == ["no 1", "no 3", "no 5"]


def test_a_failed_batch_fails_its_asks_and_the_next_batch_is_answered(
    group_of: Callable[[Many], Coalescer[int, Any]],
) -> None:
    down = True

    def flaky(conn: Connection, items: list[int]) -> list[Any]:
        if down:
            raise ConnectionError("database down")
        return list(items)

    group = group_of(flaky)

    async def scenario() -> None:
        nonlocal down
        failed = await asyncio.gather(*(group.ask(i) for i in range(4)), return_exceptions=True)
        assert all(isinstance(f, ConnectionError) for f in failed)
        down = False
        assert await asyncio.gather(*(group.ask(i) for i in range(3))) == [0, 1, 2]

    asyncio.run(scenario())


def test_a_caller_that_gives_up_leaves_the_others_their_answers(
    group_of: Callable[[Many], Coalescer[int, Any]],
) -> None:
    gate = threading.Event()

    def held(conn: Connection, items: list[int]) -> list[Any]:
        gate.wait(5)
        return list(items)

    group = group_of(held)

    async def scenario() -> None:
        kept = asyncio.ensure_future(group.ask(1))
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(group.ask(2), 0.1)
        gate.set()
        assert await kept == 1
        assert await group.ask(3) == 3

    asyncio.run(scenario())
