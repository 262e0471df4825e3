"""A contract's revert, read out of whatever error shape the node answered with.

A revert's data (a 4-byte selector and ABI-encoded arguments) reaches a JSON-RPC client
inside the error object, and nodes put it in different places:

- geth, Anvil, Hardhat: `error.data` is the data, `"0x…"`;
- Ganache 7 (`eth_estimateGas`, `eth_sendTransaction`): `error.data` is an object
  `{hash, programCounter, result: "0x…", reason, message}`;
- Nethermind: `error.data` is `"Reverted 0x…"`;
- proxies and wallets that wrap a node's error again: `error.data.data`,
  `error.data.originalError.data`.

Only those members are read: a Ganache error also carries a transaction `hash`, which is
hex but no revert data.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from eth_abi.abi import decode as abi_decode
from eth_abi.exceptions import DecodingError
from eth_utils.address import to_checksum_address

from notary.chain.errors import ContractReverted

# Solidity's own errors: require(…, "reason") and assert / arithmetic panics.
ERROR_STRING = bytes.fromhex("08c379a0")  # Error(string)
PANIC = bytes.fromhex("4e487b71")  # Panic(uint256)
_DATA = re.compile(r"(?:Reverted )?0x((?:[0-9a-fA-F]{2})*)")
_NESTED = ("data", "result", "originalError", "error")
_MAX_DEPTH = 4

ErrorTable = Mapping[bytes, tuple[str, Sequence[str]]]
"""A contract's custom errors by selector: name and argument types."""


def revert_data(error: object) -> bytes:
    """The revert data in a JSON-RPC error object (or its `data` member, or a web3
    exception's `data`), whichever node shaped it; b"" when there is none."""
    return _find(error, _MAX_DEPTH) or b""


def decode_revert(data: bytes, errors: ErrorTable) -> ContractReverted:
    """Name the error encoded in revert `data`: one of `errors`, Error(string) or Panic."""
    selector, payload = data[:4], data[4:]
    if selector in errors:
        name, types = errors[selector]
    elif selector == ERROR_STRING:
        name, types = "Error", ["string"]
    elif selector == PANIC:
        name, types = "Panic", ["uint256"]
    else:
        return ContractReverted("UnknownError", ("0x" + data.hex(),))
    try:
        values = abi_decode(list(types), payload)
    except (DecodingError, OverflowError, ValueError):
        return ContractReverted("UnknownError", ("0x" + data.hex(),))
    return ContractReverted(
        name,
        tuple(
            to_checksum_address(v) if t == "address" else v
            for t, v in zip(types, values, strict=True)
        ),
    )


def _find(value: object, depth: int) -> bytes | None:
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if isinstance(value, str):
        match = _DATA.fullmatch(value.strip())
        return bytes.fromhex(match.group(1)) if match else None
    if isinstance(value, Mapping) and depth > 0:
        if "error" in value and "jsonrpc" in value:  # a whole JSON-RPC answer
            return _find(value["error"], depth - 1)
        for key in _NESTED:
            found = _find(value.get(key), depth - 1)
            if found:
                return found
    return None
