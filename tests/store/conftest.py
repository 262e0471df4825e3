"""One store, two backends: every test here runs on SQLite (a temp file) and PostgreSQL.

PostgreSQL: a fresh database is created on the server named by NOTARY_TEST_POSTGRES_URL
for the test session and dropped afterwards. If that server cannot be reached the
PostgreSQL half of the suite fails with a message saying so (never silently skipped).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from notary.core.types import to_checksum_address
from notary.store.engine import Store, open_store
from notary.store.issuers import create_issuer

ISSUER = to_checksum_address("0x" + "5a" * 20)


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    """A store on the migrated database, with one active issuer (ISSUER)."""
    handle = open_store(database_url)
    with handle.write() as conn:
        create_issuer(conn, ISSUER, "Sở Tài nguyên và Môi trường", jurisdiction="VN-HN")
    try:
        yield handle
    finally:
        handle.dispose()
