"""A station of an issuer that signs, on a real Anvil: its intervals are never anchored
unsigned; they await the issuer's signature, are listed with what to sign, and one
signature over many accepts them; anchored, they verify as signed by the agency's key,
and an interval of a signing issuer anchored unsigned is NOT genuine."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from sqlalchemy import select
from web3 import Web3

from notary.chain import Registry, TxSender
from notary.cli import main
from notary.core.issuer_signing import IssuerKey, RegistryDomain, SubmissionRoot
from notary.core.receipts import Receipt
from notary.core.streams import format_time
from notary.core.types import Leaf
from notary.pipeline.batcher import seal_due_batches
from notary.store.models import Station, StreamInterval
from notary.streams.awaiting import leaves_root_of
from notary.streams.sealer import seal_due_intervals
from tests.agency import Agency

from .conftest import ApiEnv, Issuer, app_env, funded

pytestmark = pytest.mark.anvil
LENGTH = 2  # seconds per interval: real intervals close while the test runs
PAST = 3  # intervals already over when the station is registered


@pytest.fixture(scope="module")
def api(
    w3: Web3, api_chain: tuple[Registry, LocalAccount], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ApiEnv]:
    """This module's own app and store (its stations seal an interval every LENGTH s)."""
    with app_env(w3, api_chain, tmp_path_factory.mktemp("signed-stations")) as env:
        yield env


@dataclass
class SigningStation:
    """A station of an issuer with a signing key, its first intervals sealed."""

    code: str
    issuer: Issuer
    office: IssuerKey
    start: int
    domain: RegistryDomain


def signing_issuer(api: ApiEnv) -> tuple[Issuer, IssuerKey]:
    """A new issuer registered on chain with one signing key (relayed, paid by another)."""
    issuer = api.new_issuer("Sở Tài nguyên và Môi trường Đồng Nai")
    api.drain()  # registered on chain
    agency = Agency(api.registry, TxSender(api.registry, funded(api.registry.w3)))
    agency.root = IssuerKey(bytes(issuer.account.key))
    return issuer, agency.add_key()


def register_station(api: ApiEnv, issuer: Issuer, past: int = PAST) -> tuple[str, int]:
    now = int(time.time())
    start = now - now % LENGTH - past * LENGTH
    code = f"DN-{os.urandom(3).hex()}"
    r = api.client.post(
        "/v1/stations",
        json={
            "id": code,
            "name": "Trạm quan trắc nước thải KCN Biên Hòa",
            "kind": "water",
            "location": {"latitude": 10.95, "longitude": 106.82},
            "parameters": [{"name": "COD", "unit": "mg/L"}, {"name": "pH", "unit": ""}],
            "intervalSeconds": LENGTH,
            "graceSeconds": 0,
            "since": format_time(start),
        },
        headers=issuer.headers,
    )
    assert r.status_code == 201, r.text
    lines = [
        {"time": format_time(t), "parameter": p, "value": v}
        for t in range(start, start + past * LENGTH)
        for p, v in (("COD", 40 + t % 9), ("pH", "7.1"))
    ]
    r = api.client.post(f"/v1/stations/{code}/readings", json=lines, headers=issuer.headers)
    assert r.status_code == 200 and r.json()["created"] == len(lines), r.text
    return code, start


@pytest.fixture(scope="module")
def station(api: ApiEnv) -> SigningStation:
    issuer, office = signing_issuer(api)
    code, start = register_station(api, issuer)
    api.drain()  # seals the past intervals
    return SigningStation(code, issuer, office, start, api.registry.domain())


def listing(api: ApiEnv, st: SigningStation, **params: Any) -> dict[str, Any]:
    r = api.client.get(
        f"/v1/stations/{st.code}/intervals",
        params={"state": "awaiting-signature", **params},
        headers=st.issuer.headers,
    )
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def signed_body(st: SigningStation, intervals: list[dict[str, Any]], key: IssuerKey) -> dict:  # type: ignore[type-arg]
    root = leaves_root_of([Leaf.from_hex(i["leaf"]) for i in intervals])
    signature = key.sign_submission(st.domain, st.issuer.address, root)
    return {
        "intervals": [{"start": i["start"], "leaf": i["leaf"]} for i in intervals],
        "leavesRoot": root.hex,
        "signature": "0x" + signature.hex(),
    }


def sign(api: ApiEnv, st: SigningStation, body: dict) -> Any:  # type: ignore[type-arg]
    return api.client.post(
        f"/v1/stations/{st.code}/intervals:sign", json=body, headers=st.issuer.headers
    )


def test_a_signing_issuers_intervals_wait_for_its_signature(
    api: ApiEnv, station: SigningStation
) -> None:
    with api.store.read() as conn:
        rows = conn.execute(
            select(StreamInterval.start_s, StreamInterval.document_id)
            .join(Station, Station.id == StreamInterval.station_id)
            .where(Station.code == station.code)
        ).all()
    assert len(rows) >= PAST
    assert all(document_id is None for _, document_id in rows)  # nothing anchored unsigned
    page = listing(api, station)
    assert page["awaiting"] >= PAST and page["oldest"] == format_time(station.start)
    first = page["intervals"][0]
    assert (first["start"], first["readings"]) == (format_time(station.start), 2 * LENGTH)
    assert first["values"] == [first["digest"], station.issuer.address, first["metadataDigest"]]
    assert first["metadata"]["station"] == station.code and len(first["metadata"]["salt"]) == 32
    typed = page["submission"]["typedData"]
    assert typed["primaryType"] == "Submission"
    assert typed["message"] == {
        "issuer": station.issuer.address,
        "leavesRoot": page["submission"]["leavesRoot"],
    }
    assert typed["domain"]["verifyingContract"] == api.registry.address
    one = listing(api, station, limit=1)
    assert len(one["intervals"]) == 1 and one["next"] is not None
    r = api.client.get(one["next"], headers=station.issuer.headers)
    assert r.status_code == 200, r.text
    assert r.json()["intervals"][0]["start"] == page["intervals"][1]["start"]
    public = api.client.get(f"/v1/stations/{station.code}")
    assert public.json()["awaitingSignature"] >= PAST
    metrics = api.client.get("/metrics").text
    count = f'notary_stream_intervals_awaiting_signature{{station="{station.code}"}} '
    age = f'notary_stream_awaiting_signature_age_seconds{{station="{station.code}"}} '
    assert int(metrics.split(count)[1].split()[0]) >= PAST, metrics
    assert float(metrics.split(age)[1].split()[0]) >= (PAST - 1) * LENGTH, metrics


def test_a_signature_must_be_the_issuers_over_exactly_those_intervals(
    api: ApiEnv, station: SigningStation
) -> None:
    intervals = listing(api, station)["intervals"][:2]
    stranger = sign(api, station, signed_body(station, intervals, IssuerKey(os.urandom(32))))
    assert stranger.status_code == 422 and stranger.json()["field"] == "signature", stranger.text
    body = signed_body(station, intervals, station.office)
    body["intervals"][1]["leaf"] = intervals[0]["leaf"]
    wrong = sign(api, station, body)
    assert wrong.status_code == 422 and wrong.json()["field"] == "intervals[1].leaf", wrong.text
    body = signed_body(station, intervals, station.office)
    body["intervals"].append({"start": "2001-01-01T00:00:00Z"})
    unknown = sign(api, station, body)
    assert unknown.status_code == 422 and unknown.json()["field"] == "intervals[2].start"
    other = api.new_issuer("Sở Công Thương Đồng Nai")
    r = api.client.post(
        f"/v1/stations/{station.code}/intervals:sign",
        json=signed_body(station, intervals, station.office),
        headers=other.headers,
    )
    assert r.status_code == 403, r.text
    assert listing(api, station)["awaiting"] >= PAST  # nothing was accepted


def test_signed_intervals_are_anchored_and_verify_as_the_agencys(
    api: ApiEnv, station: SigningStation, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = listing(api, station)
    intervals = [
        i for i in page["intervals"] if i["start"] < format_time(station.start + 3 * LENGTH)
    ]
    assert len(intervals) == PAST
    body = signed_body(station, intervals, station.office)
    r = sign(api, station, body)
    assert r.status_code == 202, r.text
    assert (r.json()["accepted"], r.json()["signer"]) == (PAST, station.office.address)
    again = sign(api, station, body)
    assert (again.status_code, again.json()["accepted"]) == (200, 0), again.text
    first = dict(intervals[0])
    conflict = sign(api, station, signed_body(station, [first], station.office))
    assert conflict.status_code == 409 and conflict.json()["field"] == "intervals[0].start"
    api.drain()
    time.sleep(0.01)
    api.drain()
    end = station.start + PAST * LENGTH
    r = api.client.get(
        f"/v1/stations/{station.code}/readings",
        params={"from": format_time(station.start), "to": format_time(end), "format": "json"},
    )
    assert r.status_code == 200, r.text
    export = r.json()
    assert len(export["intervals"]) == PAST
    for interval in export["intervals"]:
        receipt = Receipt.from_dict(interval["receipt"])
        assert receipt.issuer_signature is not None
        assert receipt.issuer_signature.signer == station.office.address
        assert receipt.issuer_signature.leaves_root == SubmissionRoot.from_hex(body["leavesRoot"])
    path = tmp_path / "signed.json"
    path.write_bytes(r.content)
    code = main(
        ["verify-stream", str(path), "--rpc-url", api.settings.rpc_url, "--json"], http=api.client
    )
    out = json.loads(capsys.readouterr().out)
    assert code == 0, out
    assert out["verdict"] == "VALID" and all(x["verdict"] == "VALID" for x in out["receipts"])
    assert any(station.office.address in (x["detail"] or "") for x in out["receipts"]), out


def test_an_issuer_without_a_key_has_nothing_to_sign(api: ApiEnv) -> None:
    issuer = api.new_issuer("Sở Nông nghiệp Đồng Nai")
    code, _ = register_station(api, issuer, past=1)
    api.drain()
    r = api.client.get(
        f"/v1/stations/{code}/intervals", params={"limit": 10}, headers=issuer.headers
    )
    assert (r.json()["awaiting"], r.json()["submission"]) == (0, None), r.text
    key = IssuerKey(os.urandom(32))
    st = SigningStation(code, issuer, key, 0, api.registry.domain())
    intervals = [{"start": format_time(0), "leaf": "0x" + "11" * 32}]
    refused = sign(api, st, signed_body(st, intervals, key))
    assert refused.status_code == 422 and refused.json()["field"] == "signature", refused.text


def test_an_interval_of_a_signing_issuer_anchored_unsigned_is_not_genuine(
    w3: Web3,
    api_chain: tuple[Registry, LocalAccount],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """What a worker from before this change did (or an attacker with the database and
    the hot wallet does): the interval accepted vouched for and anchored."""
    with app_env(w3, api_chain, tmp_path / "old") as api:
        issuer, _ = signing_issuer(api)
        code, start = register_station(api, issuer, past=1)
        forged = seal_due_intervals(api.store, signing=None)  # nobody asked who signs
        assert [s.start for s in forged] == [start] and not forged[0].awaiting_signature
        seal_due_batches(api.store, batch_interval_s=0)  # and batched, as that worker did
        api.drain()
        time.sleep(0.01)
        api.drain()
        r = api.client.get(
            f"/v1/stations/{code}/readings",
            params={"from": format_time(start), "to": format_time(start + LENGTH)},
        )
        assert r.status_code == 200, r.text
        path = tmp_path / "unsigned.csv"
        path.write_bytes(r.content)
        exit_code = main(
            ["verify-stream", str(path), "--rpc-url", api.settings.rpc_url, "--json"],
            http=api.client,
        )
    out = json.loads(capsys.readouterr().out)
    assert exit_code == 1, out
    assert out["verdict"] == "INVALID"
    assert (
        "issuerSignature" in out["receipts"][0]["detail"] or "sign" in out["receipts"][0]["detail"]
    ), out
