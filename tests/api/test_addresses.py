"""The address rule the schema states is the one the service applies (EIP-55)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from eth_account import Account

from api.schemas.common import ADDRESS_FORMAT
from notary.core.types import to_checksum_address
from tests.api.conftest import ApiEnv


def _address_examples(node: Any) -> Iterator[str]:
    """Every example of an `eip55-address` anywhere in an OpenAPI document."""
    if isinstance(node, dict):
        if node.get("format") == ADDRESS_FORMAT:
            yield from node.get("examples", [])
        for value in node.values():
            yield from _address_examples(value)
    elif isinstance(node, list):
        for value in node:
            yield from _address_examples(value)


def test_every_address_example_passes_the_checksum(api: ApiEnv) -> None:
    examples = list(_address_examples(api.client.get("/openapi.json").json()))
    assert len(examples) >= 5  # request bodies, responses and the path parameter
    for example in examples:
        assert to_checksum_address(example) == example


def test_any_single_case_is_accepted_and_answered_in_eip55_form(api: ApiEnv) -> None:
    address = Account.create().address
    body = {"address": address.lower(), "name": "Chi cục Kiểm dịch thực vật vùng II"}
    created = api.client.post("/v1/issuers", json=body, headers=api.admin)
    assert created.status_code == 201 and created.json()["address"] == address
    upper = "0x" + address[2:].upper()
    assert api.client.get(f"/v1/issuers/{upper}").json()["address"] == address


def test_a_wrong_mixed_case_checksum_is_refused_naming_the_field(api: ApiEnv) -> None:
    wrong = "0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"  # EIP-55's example, one letter flipped
    r = api.client.post("/v1/issuers", json={"address": wrong, "name": "x"}, headers=api.admin)
    assert r.status_code == 422 and r.json()["field"] == "address"
    assert "EIP-55" in r.json()["detail"]
    got = api.client.get(f"/v1/issuers/{wrong}")
    assert got.status_code == 422 and got.json()["field"] == "address"
