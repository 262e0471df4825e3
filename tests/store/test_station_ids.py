"""Station ids are unique whatever their case, across issuers, under races and migration."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from alembic import command
from sqlalchemy import create_engine, text

from notary.core.types import to_checksum_address
from notary.store.engine import Store, open_store
from notary.store.issuers import create_issuer
from notary.store.migrate import alembic_config, upgrade
from notary.streams.stations import (
    StationExists,
    StationRecord,
    UnknownStation,
    create_station,
    get_station,
)

from .conftest import ISSUER

OTHER = to_checksum_address("0x" + "6b" * 20)
T0 = 1_772_323_200  # 2026-03-01T00:00:00Z


def register(store: Store, code: str, issuer: str = ISSUER) -> StationRecord:
    with store.write() as conn:
        return create_station(
            conn,
            issuer,
            code,
            "Trạm",
            "water",
            {"latitude": 10.0, "longitude": 106.0},
            [("pH", "")],
            300,
            since=T0,
            now=dt.datetime.fromtimestamp(T0, dt.UTC),
        )


@pytest.fixture
def other(store: Store) -> str:
    with store.write() as conn:
        create_issuer(conn, OTHER, "Chi cục Bảo vệ môi trường", jurisdiction="VN-DN")
    return OTHER


def test_an_id_differing_only_in_case_is_taken_even_by_another_issuer(
    store: Store, other: str
) -> None:
    register(store, "st-a1")
    for code in ("ST-A1", "St-a1", "st-a1"):
        with pytest.raises(StationExists) as taken:
            register(store, code, other)
        assert taken.value.code == code and taken.value.registered == "st-a1"
        assert "st-a1" in str(taken.value)


def test_lookups_take_any_case_and_answer_the_registered_id(store: Store) -> None:
    made = register(store, "HN-Air.01")
    with store.read() as conn:
        for code in ("HN-Air.01", "hn-air.01", "HN-AIR.01"):
            assert get_station(conn, code) == made
        with pytest.raises(UnknownStation):
            get_station(conn, "HN-Air.02")


def test_racing_registrations_of_one_id_in_two_cases_let_one_win(store: Store, other: str) -> None:
    start = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def race(code: str, issuer: str) -> None:
        start.wait()
        try:
            outcomes[code] = register(store, code, issuer)
        except StationExists as exc:
            outcomes[code] = exc

    threads = [
        threading.Thread(target=race, args=("RACE-1", ISSUER)),
        threading.Thread(target=race, args=("race-1", other)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    won = [o for o in outcomes.values() if isinstance(o, StationRecord)]
    lost = [o for o in outcomes.values() if isinstance(o, StationExists)]
    assert len(won) == 1 and len(lost) == 1
    assert lost[0].registered == won[0].code


STAMP = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


def test_migration_0008_keys_existing_stations_and_keeps_the_first_of_a_pair(
    empty_database_url: str,
) -> None:
    url = empty_database_url
    upgrade(url, "0007")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO issuers (address, name, created_at) VALUES (:a, :n, :t)"),
            {"a": ISSUER, "n": "Sở Tài nguyên và Môi trường", "t": STAMP},
        )
        for code in ("st-a1", "ST-A1", "HN-02"):  # the first two from before the rule
            conn.execute(
                text(
                    "INSERT INTO stations (code, issuer_address, name, kind, location,"
                    " parameters, interval_s, grace_s, since, sealed_until, created_at)"
                    " VALUES (:code, :issuer, 'Trạm', 'water', '{}', '[]', 300, 60,"
                    " :since, :since, :t)"
                ),
                {"code": code, "issuer": ISSUER, "since": T0, "t": STAMP},
            )
    engine.dispose()

    upgrade(url)

    engine = create_engine(url)
    with engine.connect() as conn:
        keys = conn.execute(text("SELECT code_folded FROM stations ORDER BY id")).scalars().all()
        audit = conn.execute(text("SELECT actor, action, subject FROM audit_log")).all()
    engine.dispose()
    assert keys == ["st-a1", None, "hn-02"]
    assert [tuple(row) for row in audit] == [("migration 0008", "station_id_confusable", "ST-A1")]
    store = open_store(url)
    try:
        with store.read() as conn:  # both stay reachable by their exact ids
            assert get_station(conn, "ST-A1").code == "ST-A1"
            assert get_station(conn, "st-a1").code == "st-a1"
            assert get_station(conn, "St-A1").code == "st-a1"  # the key's holder
        with pytest.raises(StationExists):
            register(store, "St-A1")
    finally:
        store.dispose()
    command.downgrade(alembic_config(url), "0007")
    command.upgrade(alembic_config(url), "head")
