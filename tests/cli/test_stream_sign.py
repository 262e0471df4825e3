"""`notary stream sign --signer KEYSTORE STATION` on a real Anvil: an agency that signs
fetches its station's intervals awaiting its signature, signs them here a page per
signature, and they are anchored as its own; `notary stream status` shows what awaits;
a listing that is not what it says is never signed."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from notary.chain import Registry, TxSender
from notary.cli import stream_signing
from notary.cli.keystore import create_keystore
from notary.cli.stream_signing import UntrustedInterval, checked_leaves
from notary.client.stamping import document_leaf
from notary.core.issuer_signing import IssuerKey
from notary.core.metadata import metadata_digest
from notary.core.streams import format_time
from notary.core.types import Digest, Leaf
from notary.streams.awaiting import leaves_root_of
from tests.agency import Agency
from tests.api.conftest import ApiEnv, Issuer, app_env, funded
from tests.api.test_signed_stations import LENGTH, PAST, register_station
from tests.cli.conftest import Run

pytestmark = pytest.mark.anvil
PASSWORD = "mật khẩu trạm quan trắc"
FAST_SCRYPT = 2**10


@pytest.fixture(scope="module")
def api(
    w3: Web3, api_chain: tuple[Registry, LocalAccount], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ApiEnv]:
    """This module's own app and store (its station seals an interval every LENGTH s)."""
    with app_env(w3, api_chain, tmp_path_factory.mktemp("stream-sign")) as env:
        yield env


def _signing_issuer(
    api: ApiEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Issuer, Path]:
    """A new issuer on chain, and its office keystore whose key it authorised."""
    issuer = api.new_issuer("Sở Tài nguyên và Môi trường Bình Dương")
    api.drain()  # registered on chain
    keystore = create_keystore(tmp_path / "office.json", PASSWORD, issuer.address, FAST_SCRYPT)
    agency = Agency(api.registry, TxSender(api.registry, funded(api.registry.w3)))
    agency.root = IssuerKey(bytes(issuer.account.key))
    agency.add_key(_key_of(keystore.path))
    monkeypatch.setenv("NOTARY_SIGNER_PASSWORD", PASSWORD)
    return issuer, keystore.path


def _key_of(path: Path) -> IssuerKey:
    return IssuerKey(bytes(Account.decrypt(json.loads(path.read_text()), PASSWORD)))


def test_an_agency_signs_its_stations_intervals_here(
    cli: Run,
    api: ApiEnv,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    issuer, keystore = _signing_issuer(api, tmp_path, monkeypatch)
    office = _key_of(keystore)
    code, start = register_station(api, issuer)
    api.drain()
    capsys.readouterr()

    assert cli("stream", "status", code) == 0
    status = capsys.readouterr().out
    assert f"{code}: issuer {issuer.address}" in status and "await the issuer's signature" in status

    assert cli("stream", "sign", code, "--signer", keystore, "--page", 2, key=issuer.key) == 0
    said = capsys.readouterr().out
    assert f"station {code}: signed " in said and f"with key {office.address}" in said, said
    signed = int(said.split("signed ")[1].split(" ")[0])
    assert signed >= PAST and f"in {-(-signed // 2)} signatures" in said, said

    api.drain()
    api.drain()
    end = start + PAST * LENGTH
    r = api.client.get(
        f"/v1/stations/{code}/readings",
        params={"from": format_time(start), "to": format_time(end)},
    )
    assert r.status_code == 200, r.text
    export = tmp_path / "export.csv"
    export.write_bytes(r.content)
    rpc = ("--rpc-url", api.settings.rpc_url, "--service", "http://testserver")
    assert cli("verify-stream", export, *rpc) == 0
    out = capsys.readouterr().out
    (line,) = out.splitlines()
    assert line.startswith("VALID: readings from "), out
    assert line.endswith(
        f"at station {code}: {PAST} intervals, {4 * PAST} readings, complete and unaltered, "
        f"signed by the issuer with its own key {office.address}"
    ), out


def test_watch_signs_what_is_sealed_meanwhile(
    cli: Run,
    api: ApiEnv,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    issuer, keystore = _signing_issuer(api, tmp_path, monkeypatch)
    code, _ = register_station(api, issuer, past=1)
    api.drain()
    pauses: list[float] = []

    def pause(seconds: float) -> None:
        pauses.append(seconds)
        if len(pauses) > 1:
            raise KeyboardInterrupt
        time.sleep(2 * LENGTH)
        api.drain()  # the worker seals the intervals that ended meanwhile

    monkeypatch.setattr(stream_signing, "_pause", pause)
    args = ("stream", "sign", code, "--signer", keystore, "--watch", 5)
    assert cli(*args, key=issuer.key) == 130
    rounds = [line for line in capsys.readouterr().out.splitlines() if "signed" in line]
    first, second = (int(line.split("signed ")[1].split(" ")[0]) for line in rounds)
    assert pauses == [5, 5] and first >= 1 and second > first, rounds


def test_intervals_another_office_signed_meanwhile_are_listed_again(
    cli: Run,
    api: ApiEnv,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    issuer, keystore = _signing_issuer(api, tmp_path, monkeypatch)
    code, start = register_station(api, issuer)
    api.drain()
    office = _key_of(keystore)
    domain = api.registry.domain()
    real = stream_signing.checked_leaves
    raced: list[str] = []

    def racing(page: dict[str, Any], who: str) -> list[Leaf]:
        leaves = real(page, who)
        if not raced:  # another office signs the page's first interval right now
            first = page["intervals"][0]
            root = leaves_root_of([Leaf.from_hex(first["leaf"])])
            body = {
                "intervals": [{"start": first["start"]}],
                "signature": "0x" + office.sign_submission(domain, who, root).hex(),
            }
            r = api.client.post(
                f"/v1/stations/{code}/intervals:sign", json=body, headers=issuer.headers
            )
            assert r.status_code == 202, r.text
            raced.append(first["start"])
        return leaves

    monkeypatch.setattr(stream_signing, "checked_leaves", racing)
    assert cli("stream", "sign", code, "--signer", keystore, key=issuer.key) == 0
    said = capsys.readouterr().out
    assert raced == [format_time(start)] and "in 1 signature " in said, said
    left = api.client.get(f"/v1/stations/{code}/intervals", headers=issuer.headers).json()
    assert left["awaiting"] == 0, left


def _page(issuer: str) -> dict[str, Any]:
    metadata = {
        "documentType": "monitoring-interval",
        "encoding": "notary-stream-interval-v1",
        "station": "BD-01",
        "intervalStart": "2026-03-01T00:00:00Z",
        "intervalEnd": "2026-03-01T00:05:00Z",
        "count": 0,
        "lateCount": 0,
        "salt": "ab" * 16,
    }
    digest = Digest(bytes(range(32)))
    leaf = document_leaf(issuer, digest, metadata)
    interval = {
        "start": metadata["intervalStart"],
        "end": metadata["intervalEnd"],
        "digest": digest.hex,
        "metadata": metadata,
        "metadataDigest": metadata_digest(metadata).hex,
        "values": [digest.hex, issuer, metadata_digest(metadata).hex],
        "leaf": leaf.hex,
    }
    return {"station": "BD-01", "issuer": issuer, "intervals": [interval]}


@pytest.mark.parametrize(
    "tamper",
    [
        lambda p: p.update(issuer="0x" + "77" * 20),
        lambda p: p["intervals"][0]["metadata"].update(station="BD-02"),
        lambda p: p["intervals"][0]["metadata"].update(intervalEnd="2026-03-01T00:10:00Z"),
        lambda p: p["intervals"][0].update(leaf="0x" + "11" * 32),
        lambda p: p["intervals"][0].update(digest="0x" + "22" * 32),
        lambda p: p["intervals"][0]["metadata"].update(count=5),
        lambda p: p["intervals"][0].pop("metadata"),
    ],
)
def test_a_listing_that_is_not_what_it_says_is_not_signed(tamper: Any) -> None:
    issuer = Account.create().address
    page = _page(issuer)
    assert len(checked_leaves(page, issuer)) == 1
    bad = copy.deepcopy(page)
    tamper(bad)
    with pytest.raises(UntrustedInterval):
        checked_leaves(bad, issuer)
