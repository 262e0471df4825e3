"""Concurrent single submissions share a transaction; a bad one fails alone."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import pytest

from api.group_commit import GroupCommit
from notary.core.errors import FormatError
from notary.core.types import Digest
from notary.pipeline.accept import AcceptResult, DocumentInput
from tests.api.conftest import ApiEnv, Issuer


def test_a_group_stores_all_and_isolates_a_bad_document(api: ApiEnv, issuer: Issuer) -> None:
    group = GroupCommit(api.store, lambda fn, *args: fn(*args))
    good = [DocumentInput(Digest(os.urandom(32)), {"n": i}) for i in range(30)]
    bad = DocumentInput(Digest(os.urandom(32)), {"salt": "00" * 16})

    async def main() -> list[Any]:
        tasks = [group.accept(issuer.address, d) for d in [*good[:15], bad, *good[15:]]]
        return await asyncio.gather(*tasks, return_exceptions=True)

    results = asyncio.run(main())
    assert isinstance(results[15], FormatError) and results[15].field == "metadata.salt"
    stored = [r for r in results if isinstance(r, AcceptResult)]
    assert len(stored) == 30 and all(r.created for r in stored)
    assert [r.record.digest for r in stored] == [d.digest for d in good]


def test_a_lone_error_reaches_its_caller(api: ApiEnv, issuer: Issuer) -> None:
    group = GroupCommit(api.store, lambda fn, *args: fn(*args))
    with pytest.raises(FormatError):
        asyncio.run(group.accept(issuer.address, DocumentInput("0x12", None)))
