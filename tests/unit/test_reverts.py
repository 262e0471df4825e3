"""Revert data and names out of each node's error shape (answers recorded from the nodes)."""

from __future__ import annotations

from eth_abi import encode
from eth_utils.abi import function_signature_to_4byte_selector

from notary.chain.reverts import decode_revert, revert_data

STRANGER = "0xc0a9716b166DC58074878B0e48CAFab989043812"
ROLE = bytes.fromhex("4b3e6527f1b0d33beb6c20e3c362af276f03c4526b5f8b6d118672f0d75a60eb")
SELECTOR = function_signature_to_4byte_selector("AccessControlUnauthorizedAccount(address,bytes32)")
DATA = SELECTOR + encode(["address", "bytes32"], [STRANGER, ROLE])
HEX = "0x" + DATA.hex()
ERRORS = {SELECTOR: ("AccessControlUnauthorizedAccount", ["address", "bytes32"])}

ANVIL = {"code": 3, "message": "execution reverted: custom error 0xe2517d3f…", "data": HEX}
HARDHAT = {
    "code": 3,
    "message": "VM Exception while processing transaction: reverted with an unrecognized "
    f"custom error (return data: {HEX})",
    "data": HEX,
}
GANACHE_ESTIMATE = {
    "message": "VM Exception while processing transaction: revert",
    "code": -32000,
    "name": "RuntimeError",
    "data": {
        "hash": None,
        "programCounter": 1470,
        "result": HEX,
        "reason": None,
        "message": "revert",
    },
}
GANACHE_CALL = {"message": "VM Exception …: revert", "code": -32000, "data": HEX}
NETHERMIND = {"code": -32015, "message": "VM execution error.", "data": f"Reverted {HEX}"}
WRAPPED = {"code": -32603, "message": "Internal error", "data": {"originalError": ANVIL}}


def test_every_nodes_shape_gives_the_same_data() -> None:
    for error in (ANVIL, HARDHAT, GANACHE_ESTIMATE, GANACHE_CALL, NETHERMIND, WRAPPED):
        assert revert_data(error) == DATA, error
    assert revert_data({"jsonrpc": "2.0", "id": 1, "error": GANACHE_ESTIMATE}) == DATA
    assert revert_data(GANACHE_ESTIMATE["data"]) == DATA  # web3's exception.data
    assert revert_data(HEX) == DATA and revert_data(DATA) == DATA


def test_errors_that_are_no_revert_give_nothing() -> None:
    known = "Known transaction: 0x6611f228030c2c39eaa65712a922be34fd6827bb09b96b10266f2b53c249c6ff"
    ganache_tx = {"hash": "0x" + "ab" * 32, "programCounter": 3, "result": "0x", "reason": None}
    for error in (
        {"code": -32000, "message": known, "data": {"message": known}},
        {"code": -32003, "message": "transaction underpriced"},
        {"code": -32005, "message": "rate limited", "data": "try again in 1 s"},
        {"message": "VM Exception while processing transaction: invalid opcode", "data": "0x"},
        {"message": "revert", "data": ganache_tx},  # the hash is hex, but no revert data
        None,
        "execution reverted",
    ):
        assert revert_data(error) == b"", error


def test_a_custom_error_is_named_with_its_arguments() -> None:
    reverted = decode_revert(DATA, ERRORS)
    assert reverted.error_name == "AccessControlUnauthorizedAccount"
    assert reverted.error_args == (STRANGER, ROLE)


def test_solidity_errors_and_unknown_or_garbled_data_are_named() -> None:
    reason = bytes.fromhex("08c379a0") + encode(["string"], ["not allowed"])
    assert decode_revert(reason, ERRORS).error_args == ("not allowed",)
    panic = bytes.fromhex("4e487b71") + encode(["uint256"], [0x11])
    assert (decode_revert(panic, ERRORS).error_name, decode_revert(panic, ERRORS).error_args) == (
        "Panic",
        (0x11,),
    )
    assert decode_revert(b"\x12\x34\x56\x78", ERRORS).error_name == "UnknownError"
    assert decode_revert(SELECTOR + b"\x01", ERRORS).error_name == "UnknownError"
