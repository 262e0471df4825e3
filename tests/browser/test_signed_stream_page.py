"""The monitoring page (/verify/stream) on a signing issuer's station, on a real Anvil: the
intervals the agency signed (`POST …/intervals:sign`) are complete and unaltered; an
interval of a signing issuer anchored unsigned is NOT genuine, as `verify-stream` says."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page
from web3 import Web3

from notary.core.streams import format_time
from notary.pipeline.batcher import seal_due_batches
from notary.streams.sealer import seal_due_intervals
from tests.api.test_signed_stations import (
    LENGTH,
    PAST,
    SigningStation,
    listing,
    register_station,
    sign,
    signed_body,
    signing_issuer,
)
from tests.browser.stack import Chain, Site, site
from tests.browser.streams import export
from tests.browser.test_stream_page import banner, give, open_page, page_findings, python_report


@pytest.fixture(scope="module")
def stations(
    w3: Web3, page_chain: Chain, anvil: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    """This module's own app and store (its stations seal an interval every LENGTH s)."""
    with site(tmp_path_factory.mktemp("signed"), w3, page_chain, rpc_url=anvil.url) as served:
        yield served


def _anchor(env: Any) -> None:
    env.drain()
    time.sleep(0.01)  # the documents wait their batch interval (1 ms here)
    env.drain()


def test_signed_intervals_are_genuine_and_an_unsigned_one_is_not(
    stations: Site, page: Page, w3: Web3
) -> None:
    env = stations.env
    issuer, office = signing_issuer(env)
    code, start = register_station(env, issuer)
    env.drain()  # sealed, awaiting the agency's signature
    station = SigningStation(code, issuer, office, start, env.registry.domain())
    until = format_time(start + PAST * LENGTH)
    intervals = [i for i in listing(env, station)["intervals"] if i["start"] < until]
    assert sign(env, station, signed_body(station, intervals, office)).status_code == 202
    _anchor(env)
    signed = export(env, code, start, start + PAST * LENGTH, "csv")

    forger, _ = signing_issuer(env)  # its interval accepted without asking who signs
    forged_code, forged_start = register_station(env, forger, past=1)
    sealed = seal_due_intervals(
        env.store, signing=lambda who: False if who == forger.address else None
    )
    assert {s.station for s in sealed} == {forged_code}
    seal_due_batches(env.store, batch_interval_s=0)  # and batched, as a worker from before did
    _anchor(env)
    forged = export(env, forged_code, forged_start, forged_start + LENGTH, "csv")

    open_page(page, stations.url)
    assert give(page, signed) == "VALID"
    lead = banner(page)
    assert "complete and unaltered" in lead
    assert "with its own key, registered on the blockchain" in lead, lead
    assert "the service vouches for it" not in lead
    assert python_report(stations, w3, signed).verdict.value == "VALID"
    assert give(page, forged, "forged.csv") == "INVALID"
    assert page_findings(page) == {(format_time(forged_start), "INVALID")}
    assert python_report(stations, w3, forged).verdict.value == "INVALID"
