"""Concurrent single submissions share a transaction; a bad one fails alone; a cancelled
commit leaves no submission waiting."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable
from typing import Any

import pytest

from notary.core.errors import FormatError
from notary.core.types import Digest
from notary.pipeline.accept import AcceptResult, DocumentInput
from notary.pipeline.group_commit import GroupCommit
from notary.store.engine import Store

from .conftest import ISSUER


def _now(fn: Callable[..., Any], *args: Any) -> Any:
    return fn(*args)


def _documents(count: int) -> list[DocumentInput]:
    return [DocumentInput(Digest(os.urandom(32)), {"n": i}) for i in range(count)]


def test_a_group_stores_all_and_isolates_a_bad_document(store: Store) -> None:
    group = GroupCommit(store, _now)
    good = _documents(30)
    bad = DocumentInput(Digest(os.urandom(32)), {"salt": "00" * 16})

    async def main() -> list[Any]:
        tasks = [group.accept(ISSUER, d) for d in [*good[:15], bad, *good[15:]]]
        return await asyncio.gather(*tasks, return_exceptions=True)

    results = asyncio.run(main())
    assert isinstance(results[15], FormatError) and results[15].field == "metadata.salt"
    stored = [r for r in results if isinstance(r, AcceptResult)]
    assert len(stored) == 30 and all(r.created for r in stored)
    assert [r.record.digest for r in stored] == [d.digest for d in good]


def test_a_lone_error_reaches_its_caller(store: Store) -> None:
    group = GroupCommit(store, _now)
    with pytest.raises(FormatError):
        asyncio.run(group.accept(ISSUER, DocumentInput("0x12", None)))


class _HeldWrite:
    """Writes that wait until `release` is set, telling `entered` when the first begins."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def __call__(self, fn: Callable[..., Any], *args: Any) -> Any:
        self.entered.set()
        assert self.release.wait(10), "the test never released the write"
        return fn(*args)


def test_a_caller_that_gives_up_leaves_its_group_their_answers(store: Store) -> None:
    held = _HeldWrite()
    group = GroupCommit(store, held)

    async def main() -> list[Any]:
        first = asyncio.create_task(group.accept(ISSUER, _documents(1)[0]))
        await asyncio.to_thread(held.entered.wait, 5)  # its commit is in flight
        callers = [asyncio.create_task(group.accept(ISSUER, d)) for d in _documents(5)]
        await asyncio.sleep(0)  # queued behind the commit in flight: the next group
        callers[0].cancel()
        held.release.set()
        return await asyncio.wait_for(asyncio.gather(first, *callers[1:]), 10)

    results = asyncio.run(main())
    assert len(results) == 5 and all(isinstance(r, AcceptResult) for r in results)


def test_a_cancelled_commit_tells_every_waiting_submission(store: Store) -> None:
    """When the task committing a group is cancelled (as the event loop does when the
    service stops), each submission waiting on it hears CancelledError at once instead of
    waiting forever."""
    held = _HeldWrite()
    group = GroupCommit(store, held)

    async def main() -> list[Any]:
        before = asyncio.all_tasks()
        callers = [asyncio.create_task(group.accept(ISSUER, d)) for d in _documents(3)]
        await asyncio.to_thread(held.entered.wait, 5)  # the first group's commit is in flight
        callers += [asyncio.create_task(group.accept(ISSUER, d)) for d in _documents(2)]
        await asyncio.sleep(0)
        (committing,) = asyncio.all_tasks() - before - set(callers)
        committing.cancel()
        held.release.set()  # the thread finishes its commit; the task is cancelled after it
        return await asyncio.wait_for(asyncio.gather(*callers, return_exceptions=True), 5)

    results = asyncio.run(main())
    assert [type(r) for r in results] == [asyncio.CancelledError] * 5
