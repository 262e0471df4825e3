"""No two issuers read the same: the name keys' unique indexes, under races and migration."""

from __future__ import annotations

import threading

import pytest
from alembic import command
from eth_account import Account
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError

from notary.core.identity import name_keys
from notary.pipeline import issuers as pipeline
from notary.pipeline.issuers import IssuerExists, NameTaken, register_issuer
from notary.store.engine import Store, open_store
from notary.store.issuers import create_issuer
from notary.store.migrate import alembic_config, upgrade

from .conftest import ISSUER

STAMP = "2025-01-01 00:00:00+00"
NAME = "Sở Tài nguyên và Môi trường"  # the conftest issuer's


@pytest.mark.parametrize(
    "look_alike",
    [NAME, NAME.upper(), "S\u1edf T\u00e0i nguy\u00ean v\u00e0 M\u00f4i tr\u01b0\u1eddng".lower()],
)
def test_the_store_refuses_a_second_issuer_reading_the_same(store: Store, look_alike: str) -> None:
    with pytest.raises(IntegrityError), store.write() as conn:
        create_issuer(conn, Account.create().address, look_alike)


def test_a_registration_that_lost_the_race_names_the_winner(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check before the insert saw nothing (the other transaction had not committed):
    the unique index refuses, and the error still names the issuer that won."""
    checked: list[str] = []
    real = pipeline.rows.reading_as

    def not_yet(conn: object, name: str) -> str | None:
        checked.append(name)
        return None if len(checked) == 1 else real(conn, name)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline.rows, "reading_as", not_yet)
    with pytest.raises(NameTaken) as caught:
        register_issuer(store, Account.create().address, NAME.upper(), None, "admin")
    assert caught.value.field == "name" and caught.value.other == ISSUER
    assert ISSUER in caught.value.message


def test_racing_registrations_of_look_alike_names_let_one_win(store: Store) -> None:
    names = ["Chi cục Kiểm lâm", "CHI CỤC KIỂM LÂM", "Chi cục Kiểm lâm", "chi cục kiểm lâm"]
    start = threading.Barrier(len(names))
    outcomes: list[str] = []

    def register(name: str) -> None:
        start.wait()
        try:
            register_issuer(store, Account.create().address, name, None, "admin")
            outcomes.append("registered")
        except NameTaken:
            outcomes.append("taken")

    threads = [threading.Thread(target=register, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["registered", "taken", "taken", "taken"]


def test_the_same_address_again_is_a_conflict_not_a_look_alike(store: Store) -> None:
    with pytest.raises(IssuerExists):
        register_issuer(store, ISSUER, "Another name entirely", None, "admin")


def test_migration_0007_keys_existing_issuers_and_keeps_the_first_of_a_look_alike_pair(
    empty_database_url: str,
) -> None:
    url = empty_database_url
    upgrade(url, "0006")
    first, second, third = (Account.create().address for _ in range(3))
    engine = create_engine(url)
    with engine.begin() as conn:
        for address, name in (
            (first, "Chi cục Thú y"),
            (second, "CHI CỤC THÚ Y"),  # from before the rules: reads as the first
            (third, "Sở Y tế"),
        ):
            conn.execute(
                text("INSERT INTO issuers (address, name, created_at) VALUES (:a, :n, :t)"),
                {"a": address, "n": name, "t": STAMP},
            )
    engine.dispose()

    upgrade(url)

    engine = create_engine(url)
    with engine.connect() as conn:
        keys = conn.execute(
            text("SELECT name_skeleton, name_folded FROM issuers ORDER BY id")
        ).all()
        audit = conn.execute(text("SELECT actor, action, subject FROM audit_log ORDER BY id")).all()
    engine.dispose()
    assert tuple(map(bytes, keys[0])) == name_keys("Chi cục Thú y")
    skeleton = bytes(keys[1][0])
    assert skeleton == name_keys("CHI CỤC THÚ Y").skeleton and keys[1][1] is None
    assert tuple(map(bytes, keys[2])) == name_keys("Sở Y tế")
    assert [tuple(row) for row in audit] == [("migration 0007", "name_confusable", second)]
    store = open_store(url)
    try:  # a new look-alike of either is refused
        with pytest.raises(NameTaken) as caught:
            register_issuer(store, Account.create().address, "chi cục thú y", None, "admin")
        assert caught.value.other == first
    finally:
        store.dispose()
    command.downgrade(alembic_config(url), "0006")
    command.upgrade(alembic_config(url), "head")
