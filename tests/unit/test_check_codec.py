"""The hand-written codec of `check` against eth_abi, on random values and broken answers."""

from __future__ import annotations

import pytest
from eth_abi.abi import decode, encode
from eth_utils.address import to_checksum_address
from hypothesis import given, settings
from hypothesis import strategies as st

from notary.chain.artifact import load_artifact
from notary.chain.check_codec import (
    AnswerMalformed,
    decode_tuple,
    decode_tuple_pair,
    encode_check_args,
    encode_check_signed_args,
)
from notary.chain.registry import (
    CHECK_INPUTS,
    CHECK_SIGNED_INPUTS,
    _check_components,
    _check_signed_components,
)

COMPONENTS = _check_components(load_artifact().abi)
TUPLE = "(" + ",".join(COMPONENTS) + ")"
SIGNED_V, SIGNED_S = _check_signed_components(load_artifact().abi)
SIGNED_TUPLES = ["(" + ",".join(SIGNED_V) + ")", "(" + ",".join(SIGNED_S) + ")"]
word = st.binary(min_size=32, max_size=32)


def _value(kind: str) -> st.SearchStrategy[object]:
    if kind == "bytes32":
        return word
    if kind == "string":
        return st.text(max_size=80)
    if kind == "address":
        return st.binary(min_size=20, max_size=20).map(to_checksum_address)
    if kind == "bool":
        return st.booleans()
    return st.integers(0, 2 ** int(kind.removeprefix("uint")) - 1)


answers = st.tuples(*(_value(kind) for kind in COMPONENTS))
signed_answers = st.tuples(
    st.tuples(*(_value(kind) for kind in SIGNED_V)),
    st.tuples(*(_value(kind) for kind in SIGNED_S)),
)


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


def test_check_signed_returns_checks_answer_and_the_signature_facts() -> None:
    assert SIGNED_V == COMPONENTS
    assert SIGNED_S == (
        "address",
        "bool",
        "uint64",
        "uint64",
        "uint64",
        "uint64",
        "uint64",
        "bool",
        "bool",
    )


@settings(max_examples=300, deadline=None)
@given(
    word,
    st.binary(min_size=20, max_size=20),
    word,
    st.lists(word, max_size=24),
    word,
    st.lists(word, max_size=16),
    st.binary(max_size=140),
)
def test_check_signed_call_encoding_equals_eth_abi(
    digest: bytes,
    address: bytes,
    metadata: bytes,
    proof: list[bytes],
    leaves_root: bytes,
    submission_proof: list[bytes],
    signature: bytes,
) -> None:
    issuer = to_checksum_address(address)
    values = [digest, issuer, metadata, proof, leaves_root, submission_proof, signature]
    ours = encode_check_signed_args(*values)  # type: ignore[arg-type]
    assert ours == encode(list(CHECK_SIGNED_INPUTS), values)


@settings(max_examples=300, deadline=None)
@given(signed_answers)
def test_check_signed_answer_decoding_equals_eth_abi(
    values: tuple[tuple[object, ...], tuple[object, ...]],
) -> None:
    data = encode(SIGNED_TUPLES, list(values))
    decoded = decode(SIGNED_TUPLES, data)
    theirs = tuple(  # eth_abi gives addresses in lower case, ours are EIP-55
        tuple(
            to_checksum_address(x) if k == "address" else x for k, x in zip(kinds, t, strict=True)
        )
        for kinds, t in zip((SIGNED_V, SIGNED_S), decoded, strict=True)
    )
    assert decode_tuple_pair(data, SIGNED_V, SIGNED_S) == theirs == values


def _signed_answer() -> bytes:
    v = (b"\x01" * 32, b"\x02" * 32, 1, 2, 3, 0, 0, 9, "Sở Y tế", 4, 0)
    s = ("0x" + "ab" * 20, True, 5, 6, 0, 0, 6, True, False)
    return encode(SIGNED_TUPLES, [v, s])


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: d[:-1],  # truncated
        lambda d: (32).to_bytes(32, "big") + d[32:],  # the first tuple's offset is wrong
        lambda d: d[:32] + b"\x01" + d[33:],  # dirty padding before the signer's address
        lambda d: d[:64] + (2).to_bytes(32, "big") + d[96:],  # inSubmission is 2
        lambda d: d[: 8 * 32] + (2).to_bytes(32, "big") + d[9 * 32 :],  # signatureRequired 2
    ],
)
def test_broken_check_signed_answers_are_refused(damage: object) -> None:
    data = _signed_answer()
    decode_tuple_pair(data, SIGNED_V, SIGNED_S)
    with pytest.raises(AnswerMalformed):
        decode_tuple_pair(damage(data), SIGNED_V, SIGNED_S)  # type: ignore[operator]


def test_check_signed_wrong_lengths_are_refused() -> None:
    issuer = "0x" + "11" * 20
    with pytest.raises(ValueError, match="leaves root"):
        encode_check_signed_args(bytes(32), issuer, bytes(32), [], bytes(31), [], b"")
    with pytest.raises(ValueError, match="proof element"):
        encode_check_signed_args(bytes(32), issuer, bytes(32), [], bytes(32), [b"\x00"], b"")
