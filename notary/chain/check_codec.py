"""The ABI encoding of `NotaryRegistry.check`'s and `checkSigned`'s calls and answers, by hand.

Verification is the public hot path and eth_abi's generic codec took a large share of a
call (docs/benchmarks.md). The calls and the answers have fixed
shapes, so both are a few slices here; the answers are checked as strictly as eth_abi
checks them (padding, bounds, booleans, UTF-8), and tests compare both codecs on random
values.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from notary.core.types import to_checksum_address

WORD = 32
SUPPORTED = frozenset(
    {"bytes32", "string", "address", "bool"} | {f"uint{bits}" for bits in range(8, 257, 8)}
)


class AnswerMalformed(ValueError):
    """The bytes are not an ABI encoding of the expected tuple."""


def encode_check_args(
    digest: bytes, issuer: str, metadata_digest: bytes, proof: Sequence[bytes]
) -> bytes:
    """abi.encode(bytes32 digest, address issuer, bytes32 metadataDigest, bytes32[] proof)."""
    address = bytes.fromhex(issuer.removeprefix("0x"))
    if len(digest) != WORD or len(metadata_digest) != WORD or len(address) != 20:
        raise ValueError("digest and metadata digest take 32 bytes, the issuer 20")
    parts = [bytes(digest), bytes(12) + address, bytes(metadata_digest)]
    parts.append((4 * WORD).to_bytes(WORD, "big"))  # where the array starts
    parts.append(len(proof).to_bytes(WORD, "big"))
    for node in proof:
        if len(node) != WORD:
            raise ValueError("every proof element takes 32 bytes")
        parts.append(bytes(node))
    return b"".join(parts)


def encode_check_signed_args(
    digest: bytes,
    issuer: str,
    metadata_digest: bytes,
    proof: Sequence[bytes],
    leaves_root: bytes,
    submission_proof: Sequence[bytes],
    signature: bytes,
) -> bytes:
    """abi.encode of checkSigned's arguments: check's four, then bytes32 leavesRoot,
    bytes32[] submissionProof and bytes signature."""
    if len(leaves_root) != WORD:
        raise ValueError("the leaves root takes 32 bytes")
    head = encode_check_args(digest, issuer, metadata_digest, [])[: 3 * WORD]
    proof_part = _words(proof)
    submission_part = _words(submission_proof)
    signature_part = len(signature).to_bytes(WORD, "big") + bytes(signature)
    signature_part += bytes(-len(signature) % WORD)
    proof_at = 7 * WORD
    submission_at = proof_at + len(proof_part)
    signature_at = submission_at + len(submission_part)
    return b"".join(
        (
            head,
            proof_at.to_bytes(WORD, "big"),
            bytes(leaves_root),
            submission_at.to_bytes(WORD, "big"),
            signature_at.to_bytes(WORD, "big"),
            proof_part,
            submission_part,
            signature_part,
        )
    )


def decode_tuple(data: bytes, components: Sequence[str]) -> tuple[Any, ...]:
    """Decode one returned tuple of `components`: bytes32 as bytes, uintN as int, string,
    address as an EIP-55 string, bool."""
    if _uint(data, 0, 256) != WORD:
        raise AnswerMalformed("the tuple does not start at offset 32")
    return _fields(data, WORD, components)


def decode_tuple_pair(
    data: bytes, dynamic: Sequence[str], static: Sequence[str]
) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """Decode two returned tuples, the first with a string in it, the second all fixed-size
    (as `checkSigned` returns them): the second sits in the head, the first after it."""
    if _uint(data, 0, 256) != WORD * (1 + len(static)):
        raise AnswerMalformed(
            f"the first tuple does not start at offset {WORD * (1 + len(static))}"
        )
    if "string" in static:
        raise ValueError("the second tuple must be all fixed-size")
    return _fields(data, WORD * (1 + len(static)), dynamic), _fields(data, WORD, static)


def _fields(data: bytes, base: int, components: Sequence[str]) -> tuple[Any, ...]:
    values: list[bytes | int | str | bool] = []
    for index, kind in enumerate(components):
        at = base + index * WORD
        if kind == "bytes32":
            values.append(_word(data, at))
        elif kind == "string":
            values.append(_string(data, base, _uint(data, at, 256)))
        elif kind == "address":
            values.append(_address(_uint(data, at, 160)))
        elif kind == "bool":
            values.append(bool(_uint(data, at, 1)))
        else:
            values.append(_uint(data, at, int(kind.removeprefix("uint"))))
    return tuple(values)


def _words(items: Sequence[bytes]) -> bytes:
    """A bytes32[] in the tail: its length, then the elements."""
    if any(len(item) != WORD for item in items):
        raise ValueError("every proof element takes 32 bytes")
    return len(items).to_bytes(WORD, "big") + b"".join(bytes(item) for item in items)


def _address(value: int) -> str:
    return to_checksum_address(f"0x{value:040x}")


def _word(data: bytes, at: int) -> bytes:
    word = data[at : at + WORD]
    if len(word) != WORD:
        raise AnswerMalformed(f"the answer ends before byte {at + WORD}")
    return word


def _uint(data: bytes, at: int, bits: int) -> int:
    value = int.from_bytes(_word(data, at), "big")
    if value >> bits:
        raise AnswerMalformed(f"a uint{bits} at byte {at} does not fit")
    return value


def _string(data: bytes, base: int, offset: int) -> str:
    start = base + offset
    length = _uint(data, start, 64)
    end = start + WORD + length
    padded = end + (-length % WORD)
    if padded > len(data):
        raise AnswerMalformed("a string runs past the answer")
    if any(data[end:padded]):
        raise AnswerMalformed("a string's padding is not zero")
    try:
        return data[start + WORD : end].decode("utf-8")
    except UnicodeDecodeError:
        raise AnswerMalformed("a string is not UTF-8") from None
