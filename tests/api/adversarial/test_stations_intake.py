"""Hostile inputs to station registration and reading intake, held to their answers.

Every case the outside probe of issue 21 tried on this surface, those it broke and those
that already held, so that the next change cannot reopen one: each answers a 4xx problem
naming the field (never a 500, never a dropped connection), and nothing is stored.
Where a case is about time (a body that blocked the event loop), the test holds the bound
that prevents it; the timing itself is in scripts/bench_hostile.py.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from web3 import Web3

from notary.chain import Registry
from notary.core.streams import format_time

from ..conftest import ApiEnv, Issuer, app_env

pytestmark = pytest.mark.anvil
PARAMETERS = [{"name": "PM2.5", "unit": "µg/m³"}, {"name": "SO2", "unit": "mg/Nm³"}]
LENGTH = 300


@pytest.fixture(scope="module")
def api(
    w3: Web3, api_chain: tuple[Registry, LocalAccount], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ApiEnv]:
    """This module's own app and store: its stations never reach another module's worker."""
    with app_env(w3, api_chain, tmp_path_factory.mktemp("stations-intake")) as env:
        yield env


@pytest.fixture(scope="module")
def owner(api: ApiEnv) -> Issuer:
    return api.new_issuer("Sở Tài nguyên và Môi trường Đồng Nai")


def register(api: ApiEnv, issuer: Issuer, **fields: Any) -> Any:
    """POST /v1/stations with a valid body, `fields` replacing or adding to it."""
    body: dict[str, Any] = {
        "id": f"ST-{os.urandom(4).hex()}",
        "name": "Trạm quan trắc Biên Hòa",
        "kind": "ambient-air",
        "location": {"latitude": 10.95, "longitude": 106.82},
        "parameters": PARAMETERS,
        "intervalSeconds": LENGTH,
    }
    body.update(fields)
    return api.client.post("/v1/stations", json=body, headers=issuer.headers)


@pytest.fixture(scope="module")
def station(api: ApiEnv, owner: Issuer) -> str:
    r = register(api, owner)
    assert r.status_code == 201, r.text
    code: str = r.json()["id"]
    return code


def send(
    api: ApiEnv, issuer: Issuer, code: str, body: bytes, kind: str = "application/json"
) -> Any:
    return api.client.post(
        f"/v1/stations/{code}/readings",
        content=body,
        headers={**issuer.headers, "content-type": kind},
    )


def refused(response: Any, status: int, field: str) -> dict[str, Any]:
    """The answer is a problem of `status` naming `field`; its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem: dict[str, Any] = response.json()
    assert problem["field"] == field, problem
    return problem


def now_text() -> str:
    return format_time(int(time.time()))


# -- times (finding 8) -------------------------------------------------------------------

OUT_OF_RANGE_TIMES: list[object] = [
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-01:00",
    10**12,
    -(10**12),
    10**20,
    10**30,
    1e20,
    1e30,
]


@pytest.mark.parametrize("at", OUT_OF_RANGE_TIMES, ids=repr)
def test_a_reading_time_out_of_range_is_a_422_naming_it(
    api: ApiEnv, owner: Issuer, station: str, at: object
) -> None:
    readings = [
        {"time": now_text(), "parameter": "SO2", "value": 1},
        {"time": at, "parameter": "SO2", "value": 1},
    ]
    r = send(api, owner, station, json.dumps(readings).encode())
    refused(r, 422, "readings[1].time")
    assert r.headers.get("connection") != "close"
    assert api.client.get("/healthz").status_code == 200  # the connection is still good


@pytest.mark.parametrize("at", OUT_OF_RANGE_TIMES, ids=repr)
def test_since_out_of_range_is_a_422_naming_it(api: ApiEnv, owner: Issuer, at: object) -> None:
    refused(register(api, owner, since=at), 422, "since")


# -- names a spreadsheet would run (finding 4) -------------------------------------------

FORMULAS = ["=1+2", "@SUM(A1)", "+cmd|' /C calc'!A0", "-2+3", '=HYPERLINK("http://x")']


@pytest.mark.parametrize("formula", FORMULAS)
@pytest.mark.parametrize("part", ["name", "unit"])
def test_a_parameter_or_unit_a_spreadsheet_would_run_is_refused(
    api: ApiEnv, owner: Issuer, formula: str, part: str
) -> None:
    parameters = [dict(p) for p in PARAMETERS] + [{"name": "NO2", "unit": "µg/m³"}]
    parameters[2][part] = formula
    problem = refused(register(api, owner, parameters=parameters), 422, f"parameters[2].{part}")
    assert "formula" in problem["detail"]


@pytest.mark.parametrize("start", ["\t", "\r", "\n", " "])
def test_a_name_starting_with_a_tab_or_a_return_is_refused(
    api: ApiEnv, owner: Issuer, start: str
) -> None:
    parameters = [*PARAMETERS, {"name": start + "=1+2", "unit": ""}]
    refused(register(api, owner, parameters=parameters), 422, "parameters[2].name")


def test_the_schema_says_why(api: ApiEnv) -> None:
    schema = api.client.get("/openapi.json").json()["components"]["schemas"]["ParameterIn"]
    for part in ("name", "unit"):
        assert "formula" in schema["properties"][part]["description"]
        assert "=+@-" in schema["properties"][part]["pattern"]
