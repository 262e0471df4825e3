"""The pure half of signed submissions: when a signature is required, and each document's
path to the signed root read back from the stored tree."""

from __future__ import annotations

import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from notary.core.errors import FormatError
from notary.core.issuer_signing import submission_root, submission_tree
from notary.core.merkle import verify_proof
from notary.core.types import Address, Leaf, to_checksum_address
from notary.pipeline.submissions import (
    SIGNATURE_FIELD,
    IssuerKeys,
    SignatureRefused,
    parse_signature,
    path_in,
    require_signature,
)

ISSUER = to_checksum_address("0x" + "5a" * 20)
KEY = Address(to_checksum_address("0x" + "4c" * 20))


@given(st.lists(st.binary(min_size=32, max_size=32), min_size=1, max_size=70), st.data())
def test_the_path_read_from_stored_nodes_leads_to_the_signed_root(
    raws: list[bytes], data: st.DataObject
) -> None:
    leaves = [Leaf(raw) for raw in raws]
    leaves.append(data.draw(st.sampled_from(leaves)))  # a repeated leaf has a path too
    tree = submission_tree(leaves)
    nodes = tree.node_bytes() if len(leaves) > 1 else None
    root = submission_root(tree)
    for leaf in leaves:
        assert verify_proof(leaf, path_in(nodes, leaf), root.raw)


def test_a_leaf_outside_the_submission_has_no_path() -> None:
    tree = submission_tree([Leaf(os.urandom(32)) for _ in range(5)])
    with pytest.raises(FormatError) as error:
        path_in(tree.node_bytes(), Leaf(os.urandom(32)))
    assert error.value.field == "leaf"


@pytest.mark.parametrize(
    ("signing_since", "signed", "refused"),
    [(0, False, False), (0, True, True), (12, False, True), (12, True, False)],
)
def test_a_signing_issuer_needs_a_signature_and_only_it_may_send_one(
    signing_since: int, signed: bool, refused: bool
) -> None:
    keys = IssuerKeys(ISSUER, signing_since, frozenset({KEY}) if signing_since else frozenset())
    if not refused:
        require_signature(keys, signed)
        return
    with pytest.raises(SignatureRefused) as error:
        require_signature(keys, signed)
    assert error.value.field == "signature"


@pytest.mark.parametrize(
    ("value", "why"),
    [
        (None, "expected a string"),
        ("0x" + "ab" * 64, "hex digits"),  # a byte short
        ("ab" * 65, "hex digits"),  # no 0x
        ("0x" + "zz" * 65, "hex digits"),
    ],
)
def test_a_signature_of_the_wrong_form_is_refused_naming_it(value: object, why: str) -> None:
    with pytest.raises(FormatError, match=why) as refused:
        parse_signature(value)
    assert refused.value.field == SIGNATURE_FIELD


def test_a_signature_of_the_right_form_is_its_65_bytes() -> None:
    assert parse_signature("0x" + "Ab" * 65) == bytes.fromhex("ab" * 65)
