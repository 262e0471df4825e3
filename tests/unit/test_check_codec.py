"""The hand-written codec of `check` against eth_abi, on random values and broken answers."""

from __future__ import annotations

import pytest
from eth_abi.abi import decode, encode
from eth_utils.address import to_checksum_address
from hypothesis import given, settings
from hypothesis import strategies as st

from notary.chain.artifact import load_artifact
from notary.chain.check_codec import AnswerMalformed, decode_tuple, encode_check_args
from notary.chain.registry import CHECK_INPUTS, _check_components

COMPONENTS = _check_components(load_artifact().abi)
TUPLE = "(" + ",".join(COMPONENTS) + ")"
word = st.binary(min_size=32, max_size=32)


def _value(kind: str) -> st.SearchStrategy[object]:
    if kind == "bytes32":
        return word
    if kind == "string":
        return st.text(max_size=80)
    return st.integers(0, 2 ** int(kind.removeprefix("uint")) - 1)


answers = st.tuples(*(_value(kind) for kind in COMPONENTS))


@settings(max_examples=300, deadline=None)
@given(word, st.binary(min_size=20, max_size=20), word, st.lists(word, max_size=24))
def test_call_encoding_equals_eth_abi(
    digest: bytes, address: bytes, metadata: bytes, proof: list[bytes]
) -> None:
    issuer = to_checksum_address(address)
    ours = encode_check_args(digest, issuer, metadata, proof)
    assert ours == encode(list(CHECK_INPUTS), [digest, issuer, metadata, proof])


@settings(max_examples=300, deadline=None)
@given(answers)
def test_answer_decoding_equals_eth_abi(values: tuple[object, ...]) -> None:
    data = encode([TUPLE], [values])
    assert decode_tuple(data, COMPONENTS) == decode([TUPLE], data)[0] == values


def test_the_contract_answer_has_a_string_among_fixed_fields() -> None:
    assert "string" in COMPONENTS and COMPONENTS[0] == "bytes32"


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: d[:-1],  # truncated
        lambda d: d[:64],  # cut inside the head
        lambda d: (64).to_bytes(32, "big") + d[32:],  # wrong tuple offset
        lambda d: d[: 32 + 2 * 32] + b"\x01" + d[32 + 2 * 32 + 1 :],  # uint64 overflow
        lambda d: d[:-1] + b"\x01",  # nonzero string padding
        lambda d: d.replace("Sở Y tế".encode(), b"\xff" * len("Sở Y tế".encode())),  # not UTF-8
    ],
)
def test_broken_answers_are_refused(damage: object) -> None:
    values = [b"\x01" * 32, b"\x02" * 32, 1, 2, 3, 0, 0, 9, "Sở Y tế", 4, 0]
    data = encode([TUPLE], [tuple(values)])
    assert decode_tuple(data, COMPONENTS) == tuple(values)
    with pytest.raises(AnswerMalformed):
        decode_tuple(damage(data), COMPONENTS)  # type: ignore[operator]


def test_wrong_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        encode_check_args(b"\x00" * 31, "0x" + "11" * 20, b"\x00" * 32, [])
    with pytest.raises(ValueError, match="proof element"):
        encode_check_args(b"\x00" * 32, "0x" + "11" * 20, b"\x00" * 32, [b"\x00"])
