"""Value types and document digests."""

from __future__ import annotations

import io
import tracemalloc

import pytest

from notary.core.digests import ZERO_DIGEST, sha256_bytes, sha256_file, sha256_stream
from notary.core.errors import FormatError
from notary.core.types import Digest, Leaf, LeafValues, Root, to_checksum_address

ABC = "0xba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_digest_prints_as_sha256_and_hex() -> None:
    d = sha256_bytes(b"abc")
    assert str(d) == "sha256:" + ABC[2:]
    assert d.hex == ABC
    assert Digest.from_hex(ABC) == d
    assert Digest.parse("sha256:" + ABC[2:]) == d == Digest.parse(ABC[2:].upper())


def test_leaf_root_print_as_0x() -> None:
    raw = bytes(range(32))
    assert str(Leaf(raw)) == "0x" + raw.hex() == str(Root(raw))


def test_types_are_not_interchangeable() -> None:
    raw = bytes(range(32))
    assert Leaf(raw) != Digest(raw)
    assert Root(raw) != Leaf(raw)
    assert Leaf(raw) != raw
    assert len({Leaf(raw), Digest(raw), Root(raw)}) == 3


def test_immutable() -> None:
    with pytest.raises(AttributeError):
        ZERO_DIGEST._raw = b"x"


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("ab" * 32, "0x"),
        ("0x" + "ab" * 31, "64 hex digits"),
        ("0x" + "zz" * 32, "not hex"),
        ("0x" + "ab" * 33, "64 hex digits"),
        (" 0x" + "ab" * 32, "0x"),
    ],
)
def test_from_hex_rejects(text: str, why: str) -> None:
    with pytest.raises(FormatError) as info:
        Root.from_hex(text, "anchor.root")
    assert info.value.field == "anchor.root"
    assert why in str(info.value)


def test_wrong_length_bytes() -> None:
    with pytest.raises(FormatError):
        Leaf(b"\x00" * 31)


def test_checksum_address() -> None:
    good = "0x5B38Da6a701c568545dCfcB03FcB875f56beddC4"
    assert to_checksum_address(good.lower()) == good
    assert to_checksum_address(good.upper().replace("0X", "0x")) == good
    with pytest.raises(FormatError, match="checksum"):
        to_checksum_address("0x5b38Da6a701c568545dCfcB03FcB875f56beddC4")
    with pytest.raises(FormatError):
        to_checksum_address("0x5B38Da6a701c568545dCfcB03FcB875f56beddC")
    with pytest.raises(FormatError):
        LeafValues.of(ZERO_DIGEST, "nope", ZERO_DIGEST)


def test_stream_and_file_match_bytes(tmp_path: pytest.TempPathFactory) -> None:
    data = bytes(range(256)) * 5000
    path = tmp_path / "f.bin"  # type: ignore[operator]
    path.write_bytes(data)
    expected = sha256_bytes(data)
    assert sha256_stream(io.BytesIO(data), chunk_size=777) == expected
    assert sha256_file(path) == expected


class _Endless(io.RawIOBase):
    """A 64 MiB stream of zeros that never exists in memory at once."""

    def __init__(self, size: int) -> None:
        self.left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        n = min(len(buffer), self.left)
        buffer[:n] = bytes(n)
        self.left -= n
        return n


def test_stream_hashing_is_constant_memory() -> None:
    tracemalloc.start()
    try:
        sha256_stream(_Endless(64 << 20))  # type: ignore[arg-type]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 << 20
