"""Group commit for single submissions: concurrent requests share one transaction.

Each accepted document must be durable before its caller is answered, and a commit costs
an fsync (SQLite synchronous=FULL, PostgreSQL's WAL flush) whatever it holds. Submissions
made while a commit is in flight are stored together by the next one, through
`accept_many` (one transaction per issuer), so a busy service pays one fsync per group
instead of one per document. The queueing is `notary.util.coalesce.Coalescer`'s: nothing waits
on a timer (an idle service commits at once), a caller that gives up leaves the others of
its group their answers, and if the committing task itself is cancelled every submission
still waiting is told so instead of waiting forever.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from anyio import to_thread

from notary.core.errors import NotaryError
from notary.pipeline.accept import AcceptResult, DocumentInput, accept, accept_many
from notary.store.engine import Store
from notary.util.coalesce import Coalescer

MAX_GROUP = 500
"""Most documents per commit: bounds how long the first submission of a group waits."""

Submission = tuple[str, DocumentInput]
"""The issuer's address and one of its documents."""
Outcome = AcceptResult | Exception
Write = Callable[..., Any]
"""Runs `fn(*args)` as the service runs its writes (e.g. one at a time on SQLite)."""


class GroupCommit:
    """Single submissions stored in groups, one commit in flight per process.

    Commits run on anyio's worker threads (the ones `starlette`'s `run_in_threadpool`
    uses), not on the API's own executor: single submissions were measured faster so
    (the benchmark notes have the figures).
    """

    def __init__(self, store: Store, write: Write) -> None:
        self.store = store
        self.write = write
        self._groups: Coalescer[Submission, AcceptResult] = Coalescer(self._commit, MAX_GROUP)

    async def accept(self, issuer: str, document: DocumentInput) -> AcceptResult:
        """Store one document (in a group when others are waiting); durable on return."""
        return await self._groups.ask((issuer, document))

    async def _commit(self, group: list[Submission]) -> list[Outcome]:
        """Each issuer's documents of the group in one transaction; outcomes in order."""
        by_issuer: dict[str, list[int]] = defaultdict(list)
        for index, (issuer, _) in enumerate(group):
            by_issuer[issuer].append(index)
        outcomes: list[Outcome | None] = [None] * len(group)
        for issuer, indices in by_issuer.items():
            documents = [group[i][1] for i in indices]
            for index, outcome in zip(indices, await self._store(issuer, documents), strict=True):
                outcomes[index] = outcome
        return [outcome for outcome in outcomes if outcome is not None]

    async def _store(self, issuer: str, documents: Sequence[DocumentInput]) -> list[Outcome]:
        if len(documents) == 1:  # plain `accept`: its errors name the field as sent
            return [await self._one(issuer, documents[0])]
        try:
            return list(await self._run(accept_many, self.store, issuer, documents))
        except NotaryError:
            # One bad document must not fail its neighbours: store each on its own.
            return [await self._one(issuer, document) for document in documents]
        except Exception as exc:  # e.g. the database is down: every caller hears it
            return [exc] * len(documents)

    async def _one(self, issuer: str, document: DocumentInput) -> Outcome:
        try:
            result: AcceptResult = await self._run(accept, self.store, issuer, *document)
        except Exception as exc:  # handed to the caller that sent it
            return exc
        return result

    async def _run(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await to_thread.run_sync(functools.partial(self.write, fn, *args))
